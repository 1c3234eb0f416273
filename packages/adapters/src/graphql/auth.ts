import { importSPKI, jwtVerify, type CryptoKey, type JWTPayload, type KeyObject } from 'jose';
import { CausewayError, ErrorCodes } from '@causeway/runtime';

/** Who a request is: the token's subject, and its verified claims. */
export interface Principal {
  /** The actor of every command the request sends (the token's `sub`). */
  readonly id: string;
  readonly claims: Readonly<JWTPayload>;
}

/** HMAC-signed tokens (HS256/384/512) checked against a shared secret. */
export interface SecretAuth {
  readonly secret: string | Uint8Array;
  /** Accepted algorithms. Default `['HS256']`. */
  readonly algorithms?: readonly string[];
  readonly issuer?: string;
  readonly audience?: string;
}

/** Tokens signed with a private key, checked against its public key (PEM SPKI or a CryptoKey). */
export interface PublicKeyAuth {
  readonly publicKey: string | CryptoKey | KeyObject;
  /** Accepted algorithms, e.g. `['ES256']` or `['RS256']`. */
  readonly algorithms: readonly string[];
  readonly issuer?: string;
  readonly audience?: string;
}

/** How requests are authenticated: every request must carry `Authorization: Bearer <JWT>`. */
export type GraphqlAuth = SecretAuth | PublicKeyAuth;

const HMAC_ALGORITHMS: ReadonlySet<unknown> = new Set(['HS256', 'HS384', 'HS512']);

/** Verifies bearer tokens; made once per server. */
export class TokenVerifier {
  readonly #auth: GraphqlAuth;
  #key: Promise<CryptoKey | KeyObject | Uint8Array> | null = null;

  /**
   * @throws CausewayError `CW_INVALID_ARGUMENT` when `auth` is neither `{ secret }` nor
   *   `{ publicKey, algorithms }`, the secret is missing (an unset environment variable), not a
   *   string or bytes, or shorter than 32, its algorithms are not HMAC ones, or no algorithms
   *   are named for a public key.
   */
  constructor(auth: GraphqlAuth) {
    if (typeof auth !== 'object' || auth === null || !('secret' in auth || 'publicKey' in auth)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        'auth is { secret } (an HMAC secret of at least 32 bytes) or { publicKey, algorithms }; there is no anonymous mode.',
        {},
      );
    }
    if ('secret' in auth) {
      const secret: unknown = auth.secret;
      if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
        // Typically `process.env.JWT_SECRET!` read where the variable is not set.
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `The HMAC secret (auth.secret) is ${secret === null ? 'null' : typeof secret}, not a string or bytes: is the environment variable it is read from set? Use at least 32 random bytes.`,
          { type: secret === null ? 'null' : typeof secret },
        );
      }
      const algorithms: unknown = auth.algorithms;
      if (
        algorithms !== undefined &&
        (!Array.isArray(algorithms) ||
          algorithms.length === 0 ||
          !algorithms.every((a) => HMAC_ALGORITHMS.has(a)))
      ) {
        // Otherwise the server starts and refuses every token, blaming the token.
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `A secret verifies HMAC tokens: auth.algorithms lists some of HS256, HS384, HS512 (or is left out for HS256), got ${JSON.stringify(algorithms)}. For RS*, ES* or EdDSA tokens give { publicKey, algorithms }.`,
          { algorithms },
        );
      }
      const length = typeof secret === 'string' ? secret.length : secret.byteLength;
      if (length < 32) {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `The HMAC secret is ${length} bytes long; use at least 32 random bytes.`,
          { length },
        );
      }
    } else if (!Array.isArray(auth.algorithms) || auth.algorithms.length === 0) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        'A public-key configuration names the algorithms it accepts, e.g. ["ES256"].',
        {},
      );
    }
    this.#auth = auth;
  }

  /**
   * The principal a request's `Authorization` header proves.
   *
   * @throws CausewayError `CW_UNAUTHENTICATED` for a missing, malformed, badly signed or expired token.
   */
  async verify(header: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (match === null) {
      throw new CausewayError(
        ErrorCodes.Unauthenticated,
        'The request carries no bearer token. Send "Authorization: Bearer <JWT>".',
        {},
      );
    }
    const auth = this.#auth;
    try {
      const { payload } = await jwtVerify(match[1] as string, await this.#keyOf(), {
        algorithms: [...(auth.algorithms ?? ['HS256'])],
        ...(auth.issuer === undefined ? {} : { issuer: auth.issuer }),
        ...(auth.audience === undefined ? {} : { audience: auth.audience }),
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new Error('the token has no subject (sub)');
      }
      return { id: payload.sub, claims: payload };
    } catch (err) {
      throw new CausewayError(
        ErrorCodes.Unauthenticated,
        `The bearer token is not valid: ${err instanceof Error ? err.message : String(err)}.`,
        {},
        { cause: err },
      );
    }
  }

  #keyOf(): Promise<CryptoKey | KeyObject | Uint8Array> {
    const auth = this.#auth;
    this.#key ??=
      'secret' in auth
        ? Promise.resolve(
            typeof auth.secret === 'string' ? new TextEncoder().encode(auth.secret) : auth.secret,
          )
        : typeof auth.publicKey === 'string'
          ? importSPKI(auth.publicKey, auth.algorithms[0] as string)
          : Promise.resolve(auth.publicKey);
    return this.#key;
  }
}
