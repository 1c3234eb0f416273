import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import {
  createHandler as createHttpHandler,
  type OperationArgs as HttpOperationArgs,
} from 'graphql-http';
import {
  createHandler as createSseHandler,
  TOKEN_HEADER_KEY,
  TOKEN_QUERY_KEY,
  type OperationArgs as SseOperationArgs,
  type Response as SseResponse,
} from 'graphql-sse';
import { ErrorCodes } from '@causeway/runtime';
import type { Mediator } from '@causeway/runtime/cqrs';
import { TokenVerifier, type GraphqlAuth, type Principal } from './auth.ts';
import { toGraphqlError, type GraphqlContext } from './fields.ts';
import { queryLimitsRule, type QueryLimits } from './limits.ts';

/** Options of {@link graphqlRequestListener} and {@link serveGraphql}. */
export interface GraphqlServerOptions<S extends object, L> {
  readonly schema: GraphQLSchema;
  readonly mediator: Mediator<S>;
  /** How tokens are verified. There is no anonymous mode: every request must be authenticated. */
  readonly auth: GraphqlAuth;
  readonly limits?: QueryLimits;
  /**
   * Makes this request's DataLoaders: called once per query or mutation, and once per event of
   * a subscription, so no cache outlives what it was made for.
   */
  readonly loaders?: (mediator: Mediator<S>) => L;
  /** Where queries and mutations are served (POST/GET). Default `/graphql`. */
  readonly path?: string;
  /** Where subscriptions are served over server-sent events. Default `/graphql/stream`. */
  readonly streamPath?: string;
}

interface Params {
  readonly query?: string | DocumentNode | undefined;
  readonly operationName?: string | null | undefined;
  readonly variables?: Record<string, unknown> | null | undefined;
}

// Both libraries type the context as an index-signature record; ours is an interface.
type LibraryContext = Record<PropertyKey, unknown>;

/**
 * A `node:http` request listener serving GraphQL with graphql-http (queries, mutations) and
 * graphql-sse (subscriptions). Each request is authenticated (JWT bearer token), parsed and
 * checked against the depth and cost limits before anything runs; a refused request gets a
 * GraphQL error with a stable `extensions.code` (`CW_UNAUTHENTICATED`, `CW_QUERY_TOO_COMPLEX`)
 * and changes nothing.
 */
export function graphqlRequestListener<S extends object, L>(
  options: GraphqlServerOptions<S, L>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const verifier = new TokenVerifier(options.auth);
  const rules = [...specifiedRules, queryLimitsRule(options.limits)];
  const maxTokens = options.limits?.tokens ?? 20_000;
  const maxBytes = options.limits?.bodyBytes ?? 1_048_576;
  const schema = options.schema;

  const path = options.path ?? '/graphql';
  const streamPath = options.streamPath ?? '/graphql/stream';
  const maxReservations = options.limits?.streamReservations ?? 8;
  // The principal of each stream request, verified once when it arrives.
  const streamPrincipals = new WeakMap<IncomingMessage, Principal>();
  // The stream token of each stream request, chosen before graphql-sse sees it (its own
  // choice for a reservation is not told to us), and the principal holding each reservation.
  const streamTokens = new WeakMap<IncomingMessage, string>();
  const reservations = new Reservations();
  // Stream requests refused by `prepare` (their errors are this module's, codes included).
  const refusedByPrepare = new WeakSet<IncomingMessage>();
  const prepare = async (
    raw: IncomingMessage,
    params: Params,
    transport: 'http' | 'sse',
  ): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    // A stream request's token was verified on its way in (see `sse` below).
    let principal = streamPrincipals.get(raw);
    if (principal === undefined) {
      try {
        principal = await verifier.verify(raw.headers.authorization);
      } catch (err) {
        return [toGraphqlError(err)];
      }
    }
    let document: DocumentNode;
    try {
      if (params.query === undefined) throw new GraphQLError('The request has no query.');
      document =
        typeof params.query === 'string' ? parse(params.query, { maxTokens }) : params.query;
    } catch (err) {
      if (err instanceof GraphQLError && tooManyTokens.test(err.message)) {
        return [
          new GraphQLError(
            `The query is too long: more than ${maxTokens} tokens (limits.tokens). Ask for fewer fields.`,
            { extensions: { code: ErrorCodes.QueryTooComplex, maxTokens } },
          ),
        ];
      }
      // graphql-js parses (and validates) by recursion: a query within the token limit but
      // nested some thousands deep overflows the stack, which is the query's fault, not ours.
      if (err instanceof RangeError) return [nestedTooDeeply()];
      return [err instanceof GraphQLError ? err : toGraphqlError(err)];
    }
    let errors: readonly GraphQLError[];
    try {
      errors = validate(schema, document, rules);
    } catch (err) {
      if (err instanceof RangeError) return [nestedTooDeeply()];
      throw err;
    }
    if (errors.length > 0) return errors;
    // The libraries' own words for these ("Unable to detect operation AST", "Subscriptions are
    // not supported") say neither what was wrong nor what to send instead.
    const operation = getOperationAST(document, params.operationName ?? undefined);
    if (operation === null || operation === undefined)
      return [noOperation(document, params.operationName ?? null)];
    if (operation.operation === OperationTypeNode.SUBSCRIPTION && transport === 'http') {
      return [
        new GraphQLError(
          `Subscriptions are served over server-sent events at ${streamPath} (a graphql-sse client), not at ${path}.`,
          { extensions: { code: ErrorCodes.InvalidArgument, streamPath } },
        ),
      ];
    }
    const contextValue: GraphqlContext<S, L> = {
      principal,
      mediator: options.mediator,
      loaders: (options.loaders?.(options.mediator) ?? {}) as L,
    };
    return {
      schema,
      document,
      contextValue,
      operationName: params.operationName ?? null,
      variableValues: params.variables ?? null,
    };
  };

  // A subscription's event gets loaders of its own, like a request.
  const withFreshLoaders = (context: unknown): GraphqlContext<S, L> => ({
    ...(context as GraphqlContext<S, L>),
    loaders: (options.loaders?.(options.mediator) ?? {}) as L,
  });

  // The libraries get this module's graphql functions: where a bundler or test runner loads
  // graphql twice (its ESM and CJS builds), a schema must be checked by the copy that built it.
  const handleHttp = createHttpHandler<IncomingMessage, { res: ServerResponse }, LibraryContext>({
    schema,
    execute: executeSafely,
    validate,
    parse,
    getOperationAST,
    onSubscribe: async (req, params) => {
      const prepared = await prepare(req.raw, params, 'http');
      if (isErrors(prepared)) return refusal(prepared);
      return prepared as HttpOperationArgs<LibraryContext>;
    },
  });
  const handleSse = createSseHandler<IncomingMessage, { res: ServerResponse }, LibraryContext>({
    schema,
    execute: executeSafely,
    subscribe: (args) => subscribeEachFresh(args, withFreshLoaders),
    validate,
    authenticate: (req) => streamTokens.get(req.raw) ?? null,
    onSubscribe: async (req, params) => {
      const prepared = await prepare(req.raw, params, 'sse');
      if (isErrors(prepared)) {
        refusedByPrepare.add(req.raw);
        return refusal(prepared);
      }
      return prepared as SseOperationArgs<LibraryContext>;
    },
  });
  // Every request to the stream path is authenticated before graphql-sse sees it: a stream
  // reservation (PUT, its single-connection mode) runs no operation, so the check in
  // onSubscribe never saw it, and anyone could make reservations that the server keeps.
  // graphql-sse keeps a reservation until its event stream closes, so each principal holds a
  // bounded number of them; and a stream reserved by one principal is not another's to use.
  const sse = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let principal: Principal;
    try {
      principal = await verifier.verify(req.headers.authorization);
    } catch (err) {
      const [body, init] = refusal([toGraphqlError(err)]);
      res.writeHead(init.status, init.statusText, init.headers).end(body);
      return;
    }
    streamPrincipals.set(req, principal);
    const given = streamTokenOf(req);
    const token = given ?? randomUUID();
    streamTokens.set(req, token);
    const holder = reservations.holder(token);
    if (holder !== undefined && holder !== principal.id) {
      respond(res, 403, 'Forbidden', [
        new GraphQLError(
          'This event stream was reserved by another principal; reserve one of your own (PUT to the stream path) and use its token.',
          { extensions: { code: ErrorCodes.Forbidden } },
        ),
      ]);
      return;
    }
    const reserving = req.method === 'PUT' && holder === undefined;
    if (reserving) {
      const held = reservations.count(principal.id);
      if (held >= maxReservations) {
        respond(res, 429, 'Too Many Requests', [
          new GraphQLError(
            `${JSON.stringify(principal.id)} holds ${held} event stream reservations, the most this server keeps for one principal (limits.streamReservations). A graphql-sse client in single-connection mode needs one: use one you hold, or close the event stream of one (which frees it) before reserving another.`,
            { extensions: { code: ErrorCodes.Forbidden, held, max: maxReservations } },
          ),
        ]);
        return;
      }
      // Counted before graphql-sse answers: two reservations arriving together both count.
      reservations.add(token, principal.id);
    }
    let tooLarge: number | null = null;
    let notJson: string | null = null;
    let response: SseResponse;
    try {
      response = await handleSse({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: {
          get: (key) => {
            const header = req.headers[key];
            return Array.isArray(header) ? header.join('\n') : (header ?? null);
          },
        },
        body: async () => {
          let text: string;
          try {
            text = await readBody(req, maxBytes);
          } catch (err) {
            if (err instanceof BodyTooLarge) tooLarge = err.bytes;
            throw err;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch (err) {
            notJson = err instanceof Error ? err.message : String(err);
            throw err;
          }
          // graphql-sse would parse a JSON string again, and take an array for an object.
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
            throw new Error('JSON body must be an object');
          return parsed as Record<string, unknown>;
        },
        raw: req,
        context: { res },
      });
    } catch (err) {
      if (reserving) reservations.release(token);
      throw err;
    }
    const [body, init] = response;
    if (reserving && init.status !== 201) reservations.release(token);
    if (tooLarge !== null) {
      refuseTooLarge(req, res, tooLarge, maxBytes);
      return;
    }
    // graphql-sse's own 400s (a body it could not read) carry only its bare words.
    if (init.status === 400 && !refusedByPrepare.has(req)) {
      respond(res, 400, 'Bad Request', [malformedStreamRequest(body, notJson)]);
      return;
    }
    res.writeHead(init.status, init.statusText, init.headers);
    if (body === null || typeof body === 'string') {
      res.end(body ?? undefined);
      return;
    }
    // An event stream: when it closes, graphql-sse drops the stream and with it a reservation.
    res.once('close', () => {
      void body.return(undefined);
      if (holder !== undefined) reservations.release(token);
    });
    for await (const chunk of body) {
      if (!res.writable) break;
      const closed = await new Promise<boolean>((resolve, reject) => {
        res.write(chunk, (err) => (err ? reject(err) : resolve(false)));
      }).catch(() => true);
      if (closed) break;
    }
    res.end();
  };
  // graphql-http's node adapter reads a body of any size: read it here, up to the limit.
  const http = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let tooLarge: number | null = null;
    const [body, init] = await handleHttp({
      url: req.url ?? '/',
      method: req.method ?? 'GET',
      headers: req.headers,
      body: () =>
        readBody(req, maxBytes).catch((err: unknown) => {
          if (err instanceof BodyTooLarge) tooLarge = err.bytes;
          throw err;
        }),
      raw: req,
      context: { res },
    });
    if (tooLarge !== null) refuseTooLarge(req, res, tooLarge, maxBytes);
    else res.writeHead(init.status, init.statusText, init.headers).end(body);
  };
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = url.pathname === path ? http : url.pathname === streamPath ? sse : null;
    if (handler === null) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`Not found: GraphQL is at ${path}.`);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      refuseTooLarge(req, res, declared, maxBytes);
      return;
    }
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
}

/**
 * The graphql-sse stream reservations (single-connection mode) that were made and whose event
 * stream has not closed, by token, with the principal holding each.
 */
class Reservations {
  readonly #holders = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  holder(token: string): string | undefined {
    return this.#holders.get(token);
  }

  count(principal: string): number {
    return this.#counts.get(principal) ?? 0;
  }

  add(token: string, principal: string): void {
    this.#holders.set(token, principal);
    this.#counts.set(principal, this.count(principal) + 1);
  }

  release(token: string): void {
    const principal = this.#holders.get(token);
    if (principal === undefined) return;
    this.#holders.delete(token);
    const left = this.count(principal) - 1;
    if (left > 0) this.#counts.set(principal, left);
    else this.#counts.delete(principal);
  }
}

/** The stream token a request names, as graphql-sse reads it: its header, else `?token=`. */
function streamTokenOf(req: IncomingMessage): string | null {
  const header = req.headers[TOKEN_HEADER_KEY];
  const fromHeader = Array.isArray(header) ? header.join('') : header;
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  const fromQuery = new URL(req.url ?? '/', 'http://localhost').searchParams.get(TOKEN_QUERY_KEY);
  return fromQuery === null || fromQuery === '' ? null : fromQuery;
}

/** Sends GraphQL errors as a JSON response with `status`. */
function respond(
  res: ServerResponse,
  status: number,
  statusText: string,
  errors: readonly GraphQLError[],
): void {
  res
    .writeHead(status, statusText, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify({ errors: errors.map((e) => e.toJSON()) }));
}

// graphql-sse's words for a request it cannot read, and what to send instead.
const streamRequestHints: Readonly<Record<string, string>> = {
  'Unparsable URL': "the URL's variables or extensions parameter is not JSON",
  'JSON body must be an object': 'the JSON body is not an object',
  'Missing query': 'it has no query',
  'Invalid query': 'its query is not a string',
  'Invalid variables': 'its variables are not a JSON object',
  'Invalid extensions': 'its extensions are not a JSON object',
  'Operation ID is missing':
    'it names no operation id (extensions.operationId), which a stream reservation needs',
};

/** A 400 of graphql-sse's as a `CW_INVALID_ARGUMENT` error saying what to send. */
function malformedStreamRequest(body: unknown, notJson: string | null): GraphQLError {
  let said = 'it could not be read';
  if (notJson !== null) said = `its body is not JSON (${notJson})`;
  else if (typeof body === 'string') {
    try {
      const message = (JSON.parse(body) as { errors?: { message?: unknown }[] }).errors?.[0]
        ?.message;
      if (typeof message === 'string') said = streamRequestHints[message] ?? message;
    } catch {
      // An unreadable body keeps the general words.
    }
  }
  return new GraphQLError(
    `The subscription request was refused: ${said}. Send a JSON object, {"query": "subscription { … }", "variables": { … }}, with content-type application/json, as a graphql-sse client does.`,
    { extensions: { code: ErrorCodes.InvalidArgument } },
  );
}

/** A running GraphQL server. */
export interface GraphqlServer {
  /** The base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  /** Stops the server and ends its connections; calling it again waits for the same close. */
  close(): Promise<void>;
}

/**
 * Serves GraphQL on a plain `node:http` server (see {@link graphqlRequestListener}).
 *
 * @example
 * ```ts
 * const server = await serveGraphql({ schema, mediator, auth: { secret: process.env.JWT_SECRET! }, port: 4000 });
 * ```
 */
export async function serveGraphql<S extends object, L>(
  options: GraphqlServerOptions<S, L> & { readonly port?: number; readonly host?: string },
): Promise<GraphqlServer> {
  const server = createServer(graphqlRequestListener(options));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // Closing is done once: a second close() (a shutdown hook and a test's teardown) waits for the
  // first instead of failing with node's untyped ERR_SERVER_NOT_RUNNING.
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
      })),
  };
}

/**
 * A resolver's error as the client may see it: a `GraphQLError` the resolver threw stays as it
 * is, a Causeway error keeps its message and gets its `extensions.code`, and anything else
 * (a driver's error, a `TypeError`, a thrown string) becomes `INTERNAL_SERVER_ERROR` without
 * its message, which may hold hosts, SQL or secrets. Errors graphql-js makes itself (a
 * variable of the wrong type) have no path and stay as they are.
 */
function clientSafeError(err: GraphQLError): GraphQLError {
  const original = err.originalError;
  if (err.path === undefined || original === undefined || original === null) return err;
  if (original instanceof GraphQLError || isGraphqlErrorOfAnyCopy(original)) return err;
  const safe = toGraphqlError(original);
  return new GraphQLError(safe.message, {
    nodes: err.nodes ?? null,
    source: err.source ?? null,
    positions: err.positions ?? null,
    path: err.path,
    originalError: original,
    extensions: safe.extensions,
  });
}

// graphql may be loaded twice (its ESM and CJS builds): its errors name themselves.
function isGraphqlErrorOfAnyCopy(err: unknown): boolean {
  return Object.prototype.toString.call(err) === '[object GraphQLError]';
}

function safeResult<R extends ExecutionResult>(result: R): R {
  if (result.errors === undefined) return result;
  return { ...result, errors: result.errors.map(clientSafeError) };
}

function executeSafely(args: ExecutionArgs): ReturnType<typeof execute> {
  const result = execute(args);
  return isPromiseLike(result) ? result.then(safeResult) : safeResult(result);
}

/**
 * `subscribe` as graphql-js runs it (the source stream, each event executed with the event as
 * the root value), except that each event is executed with a context from `contextOf`: a
 * subscription lives long, and its events must not share one request's DataLoader cache.
 */
async function subscribeEachFresh(
  args: ExecutionArgs,
  contextOf: (context: unknown) => unknown,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return safeResult(stream);
  const source = stream[Symbol.asyncIterator]();
  const results: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]() {
      return results;
    },
    async next() {
      const n = await source.next();
      if (n.done === true) return { done: true, value: undefined };
      const context = contextOf(args.contextValue);
      return {
        done: false,
        value: await executeSafely({ ...args, rootValue: n.value, contextValue: context }),
      };
    },
    // Passed straight to the source, so a client that leaves stops its listener at once.
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
  };
  return results;
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

// graphql-js's words when parsing stops at `maxTokens` ("more that" in graphql 16).
const tooManyTokens = /Document contains more th(?:an|at) \d+ tokens/;

/** Why no operation of `document` can run under `operationName`, and what to send. */
function noOperation(document: DocumentNode, operationName: string | null): GraphQLError {
  const names = document.definitions.flatMap((d) =>
    d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(anonymous)'] : [],
  );
  const message =
    operationName === null
      ? `The query holds ${names.length} operations (${names.join(', ')}); name the one to run with operationName.`
      : `The query holds no operation named ${JSON.stringify(operationName)} (it holds ${names.join(', ') || 'none'}); send one of those as operationName.`;
  return new GraphQLError(message, {
    extensions: { code: ErrorCodes.InvalidArgument, operations: names },
  });
}

function nestedTooDeeply(): GraphQLError {
  return new GraphQLError(
    'The query is nested too deeply to be read (its selections, lists or objects). Nest them less deeply.',
    { extensions: { code: ErrorCodes.QueryTooComplex } },
  );
}

class BodyTooLarge extends Error {
  constructor(readonly bytes: number) {
    super(`The request body is larger than the limit (${bytes} bytes read).`);
  }
}

/** The body as text, or a {@link BodyTooLarge} rejection once more than `maxBytes` arrived. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLarge(size));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** HTTP 413 with a `CW_QUERY_TOO_COMPLEX` error; the rest of the body is not read. */
function refuseTooLarge(
  req: IncomingMessage,
  res: ServerResponse,
  bytes: number,
  maxBytes: number,
): void {
  const error = new GraphQLError(
    `The request body is ${bytes} bytes or more, past the limit of ${maxBytes} (limits.bodyBytes). Send a smaller query and variables.`,
    { extensions: { code: ErrorCodes.QueryTooComplex, bytes, maxBytes } },
  );
  res
    .writeHead(413, 'Payload Too Large', {
      'content-type': 'application/json; charset=utf-8',
      connection: 'close',
    })
    .end(JSON.stringify({ errors: [error.toJSON()] }), () => req.destroy());
}

function isErrors(
  value: ExecutionArgs | readonly GraphQLError[],
): value is readonly GraphQLError[] {
  return Array.isArray(value);
}

/**
 * The response to a request refused before it ran: its GraphQL errors, with HTTP 401 when the
 * request was not authenticated and 400 otherwise.
 */
function refusal(
  errors: readonly GraphQLError[],
): [string, { status: number; statusText: string; headers: Record<string, string> }] {
  const unauthenticated = errors.some((e) => e.extensions['code'] === ErrorCodes.Unauthenticated);
  return [
    JSON.stringify({ errors: errors.map((e) => e.toJSON()) }),
    {
      status: unauthenticated ? 401 : 400,
      statusText: unauthenticated ? 'Unauthorized' : 'Bad Request',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    },
  ];
}
