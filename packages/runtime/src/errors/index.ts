/**
 * Every error Causeway throws on purpose is a {@link CausewayError} with a stable `code`.
 * Match on the code, never on the message: messages are for people and may be reworded.
 *
 * @packageDocumentation
 */

/** The stable error codes. Adding a code is a minor change; changing one is a breaking change. */
export const ErrorCodes = {
  /** A payload holds something msgpack cannot carry faithfully (a Date, a class, a function, a cycle, NaN…). */
  InvalidPayload: 'CW_INVALID_PAYLOAD',
  /** An event type was used before it was registered with the system, or registered twice. */
  UnknownEventType: 'CW_UNKNOWN_EVENT_TYPE',
  /**
   * An input of a type clients may not send: a built-in `causeway.*` type, or, once the
   * application declared its input surface, a type outside it.
   */
  NotAnInput: 'CW_NOT_AN_INPUT',
  /** A journaled input was rejected by an operator before it ran (`rejectJournaledInput`). */
  InputDiscarded: 'CW_INPUT_DISCARDED',
  /** An event type was declared with a bad name, version or upcaster chain. */
  InvalidEventType: 'CW_INVALID_EVENT_TYPE',
  /** An entity id is not a valid UUIDv7 (version 7, RFC 9562 variant). */
  InvalidEntityId: 'CW_INVALID_ENTITY_ID',
  /** An entity id's timestamp lies further in the future than the allowed skew. */
  EntityIdFromFuture: 'CW_ENTITY_ID_FROM_FUTURE',
  /** An `entity: 'new'` event named an entity that already exists. */
  EntityExists: 'CW_ENTITY_EXISTS',
  /** An `entity: 'existing'` event named an entity that does not exist. */
  EntityNotFound: 'CW_ENTITY_NOT_FOUND',
  /** An input targeted an entity owned by another actor that did not grant it access. */
  EntityNotOwned: 'CW_ENTITY_NOT_OWNED',
  /** A listener returned a Promise: listeners are synchronous, async work is an effect. */
  AsyncListener: 'CW_ASYNC_LISTENER',
  /** A listener threw and the system's failure policy is `halt`. */
  ListenerFailed: 'CW_LISTENER_FAILED',
  /** A tick's cascade exceeded the cascade limit: a runaway loop. */
  CascadeLimit: 'CW_CASCADE_LIMIT',
  /** The system is halted (failure policy `halt`) or closed, and takes no more input. */
  SystemHalted: 'CW_SYSTEM_HALTED',
  /**
   * A tick's time is not one a UUIDv7 timestamp holds (negative, not a number, past
   * `2 ** 48 - 1` ms). A time before the previous tick's is not an error: it is taken as the
   * previous tick's, and ticks called while one runs wait their turn.
   */
  InvalidTick: 'CW_INVALID_TICK',
  /**
   * An applier put a value into the state that the log cannot hold (a function, a symbol, a
   * BigInt, a cycle, nesting too deep): the tick was not committed and the system halted.
   */
  InvalidState: 'CW_INVALID_STATE',
  /** A listener or applier used wall time or global randomness in strict mode. */
  Nondeterminism: 'CW_NONDETERMINISM',
  /** A stored event's version has no upcaster path to the current version. */
  MissingUpcaster: 'CW_MISSING_UPCASTER',
  /** Two runs of the same inputs diverged (see `firstDivergence`). */
  Divergence: 'CW_DIVERGENCE',
  /** The log was written by a system with another seed or an incompatible format. */
  LogMismatch: 'CW_LOG_MISMATCH',
  /** An append would break the log's invariants (seq gap, tick out of order). */
  AppendConflict: 'CW_APPEND_CONFLICT',
  /** Another writer holds the store. */
  StoreLocked: 'CW_STORE_LOCKED',
  /** The store's bytes are damaged (bad checksum, bad record) at a named place. */
  StoreCorrupted: 'CW_STORE_CORRUPTED',
  /** The store is unreachable or failed an operation; nothing partial was committed. */
  StoreUnavailable: 'CW_STORE_UNAVAILABLE',
  /** The store was used after `close()`. */
  StoreClosed: 'CW_STORE_CLOSED',
  /** A write (journal, commit, snapshot) was called on a store opened read-only. */
  StoreReadOnly: 'CW_STORE_READ_ONLY',
  /** The store was used before `open()`, or written before `open(header)` gave its log a header. */
  StoreNotOpen: 'CW_STORE_NOT_OPEN',
  /** The operation needs a log and the store holds none yet (rebuilding an empty store). */
  LogEmpty: 'CW_LOG_EMPTY',
  /** A store URL is malformed or names a scheme no adapter handles. */
  InvalidStoreUrl: 'CW_INVALID_STORE_URL',
  /**
   * An argument is out of its documented range or of the wrong kind. The state of the object
   * called is never the reason: that has its own code (`CW_STORE_NOT_OPEN`, `CW_STORE_READ_ONLY`…).
   */
  InvalidArgument: 'CW_INVALID_ARGUMENT',
  /** A command's handler refused it; the application's own reason is in `details.reason`. */
  CommandRejected: 'CW_COMMAND_REJECTED',
  /** A command named an entity version (optimistic concurrency) that is no longer current. */
  StaleVersion: 'CW_STALE_VERSION',
  /** A command's handler threw, or its events broke an entity rule: nothing was recorded, so it can be retried. */
  CommandFailed: 'CW_COMMAND_FAILED',
  /** A command or query has no handler bound (at send, or at start-up for declared ones). */
  NoHandler: 'CW_NO_HANDLER',
  /** A second handler was bound to the same command, query or saga name. */
  DuplicateHandler: 'CW_DUPLICATE_HANDLER',
  /** A command is malformed: its id is not a UUIDv7, or its expected version not a non-negative integer. */
  InvalidCommand: 'CW_INVALID_COMMAND',
  /** A catch-up projection's handler threw; it stopped at the named event and kept its checkpoint. */
  ProjectionFailed: 'CW_PROJECTION_FAILED',
  /** A request carried no valid credentials (GraphQL: no token, a bad signature, an expired token). */
  Unauthenticated: 'CW_UNAUTHENTICATED',
  /** The authenticated principal may not do what it asked. */
  Forbidden: 'CW_FORBIDDEN',
  /** A GraphQL query is deeper or costlier than the server's limits. */
  QueryTooComplex: 'CW_QUERY_TOO_COMPLEX',
  /** A subscriber fell so far behind the events it follows that its subscription was ended. */
  SlowConsumer: 'CW_SLOW_CONSUMER',
} as const;

/** One of the {@link ErrorCodes} values. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

// A registered symbol survives several copies of this package in one process (npm dedupe
// failures, bundles), where `instanceof` would not.
const footprint = Symbol.for('causeway.error');

/** Base class of every error Causeway throws on purpose. */
export class CausewayError extends Error {
  /** The stable code of this error: match on it, not on the message. */
  readonly code: ErrorCode;
  /** Structured facts about the failure (the offending value, the path, the position…). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = details;
    Object.defineProperty(this, footprint, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * True when `err` is a Causeway error, optionally with the given code. Works across
 * several copies of the package in one process.
 *
 * @example
 * ```ts
 * try { await system.tick(inputs) } catch (e) { if (isCausewayError(e, ErrorCodes.EntityNotOwned)) … }
 * ```
 */
export function isCausewayError(err: unknown, code?: ErrorCode): err is CausewayError {
  if (typeof err !== 'object' || err === null) return false;
  if ((err as Record<symbol, unknown>)[footprint] !== true) return false;
  return code === undefined || (err as CausewayError).code === code;
}

/** A payload is not plain msgpack-able data; `details.path` names the field. */
export class InvalidPayloadError extends CausewayError {
  constructor(eventType: string, path: string, reason: string) {
    super(
      ErrorCodes.InvalidPayload,
      `Event "${eventType}" has an invalid payload at ${path}: ${reason}. Payloads are plain data (objects, arrays, strings, finite numbers, booleans, null, Uint8Array); convert the value before emitting it.`,
      { eventType, path, reason },
    );
  }
}

/** An entity id failed validation (not a UUIDv7, or too far in the future). */
export class InvalidEntityIdError extends CausewayError {
  constructor(
    code: typeof ErrorCodes.InvalidEntityId | typeof ErrorCodes.EntityIdFromFuture,
    entity: unknown,
    reason: string,
  ) {
    super(code, `Entity id ${JSON.stringify(entity)} is rejected: ${reason}.`, { entity, reason });
  }
}

/** An entity rule was broken: already exists, unknown, or owned by someone else. */
export class EntityRuleError extends CausewayError {
  constructor(
    code:
      | typeof ErrorCodes.EntityExists
      | typeof ErrorCodes.EntityNotFound
      | typeof ErrorCodes.EntityNotOwned,
    message: string,
    details: Record<string, unknown>,
  ) {
    super(code, message, details);
  }
}

/** A tick's cascade ran past the cascade limit; `details.eventType` kept recurring. */
export class CascadeLimitError extends CausewayError {
  constructor(limit: number, eventType: string, count: number) {
    super(
      ErrorCodes.CascadeLimit,
      `The tick's cascade passed its limit of ${limit} events: "${eventType}" was dispatched ${count} times, which looks like a listener loop. Break the loop, or raise cascadeLimit if the cascade is legitimately this long.`,
      { limit, eventType, count },
    );
  }
}

/** Wall time or global randomness was used inside the loop in strict mode. */
export class NondeterminismError extends CausewayError {
  constructor(api: string, where: string) {
    super(
      ErrorCodes.Nondeterminism,
      `${where} called ${api}, which differs between runs and breaks replay. Use ctx.now, ctx.random() or ctx.create() instead.`,
      { api, where },
    );
  }
}

/** The store is held by another writer. */
export class StoreLockedError extends CausewayError {
  constructor(store: string, holder: string) {
    super(
      ErrorCodes.StoreLocked,
      `The store ${store} is already open for writing by ${holder}. Close that writer first, or open this one read-only.`,
      { store, holder },
    );
  }
}

/** The store's bytes are damaged at a known place. */
export class StoreCorruptedError extends CausewayError {
  constructor(store: string, where: string, reason: string, details: Record<string, unknown> = {}) {
    super(
      ErrorCodes.StoreCorrupted,
      `The store ${store} is damaged at ${where}: ${reason}. Nothing was skipped; run "causeway store check" to see the damage and "causeway store repair" to cut the log back to its last good commit.`,
      { store, where, reason, ...details },
    );
  }
}
