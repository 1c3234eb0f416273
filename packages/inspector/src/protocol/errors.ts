/**
 * The protocol's error codes. Stable strings: clients match on them, never on messages.
 */
export const InspectorErrorCodes = {
  /** The frame is not msgpack, or not a request frame. */
  BadFrame: 'bad-frame',
  /** The frame is larger than the agent accepts. */
  FrameTooLarge: 'frame-too-large',
  /** The method is not part of this protocol version. */
  UnknownMethod: 'unknown-method',
  /** The params do not have the method's shape (the message names the field). */
  BadParams: 'bad-params',
  /** The seq, tick, entity or path asked for does not exist. */
  NotFound: 'not-found',
  /** The agent cannot do this here (no appliers, no `makeSystem`, offline). */
  Unavailable: 'unavailable',
  /**
   * The agent will not do this for any client: `compare` named a store that is not among the
   * ones the agent was started with (`details.allowed` lists those).
   */
  Forbidden: 'forbidden',
  /** A request of the same kind is already running (one verify at a time). */
  Busy: 'busy',
  /** The runtime or the store failed; `details.causeway` holds the runtime's code. */
  Failed: 'failed',
  /** The connection closed before the answer came (client side only). */
  Closed: 'closed',
  /** The agent speaks another protocol version (client side only). */
  VersionMismatch: 'version-mismatch',
} as const;

/** One of {@link InspectorErrorCodes}. */
export type InspectorErrorCode = (typeof InspectorErrorCodes)[keyof typeof InspectorErrorCodes];

/** An error as the protocol carries it. */
export interface WireError {
  readonly code: InspectorErrorCode;
  /** What was wrong, with the offending value, and what to do. */
  readonly message: string;
  /** Structured facts: the offending field, the runtime's error code… */
  readonly details: Readonly<Record<string, unknown>>;
}

/** A failed request, as the client raises it. */
export class InspectorError extends Error {
  /** The stable code: match on it. */
  readonly code: InspectorErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(error: WireError) {
    super(error.message);
    this.code = error.code;
    this.details = error.details;
  }

  override get name(): string {
    return 'InspectorError';
  }

  /** The error's wire form. */
  toWire(): WireError {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `err` is an {@link InspectorError}, optionally with the given code. */
export function isInspectorError(err: unknown, code?: InspectorErrorCode): err is InspectorError {
  return err instanceof InspectorError && (code === undefined || err.code === code);
}
