import { CausewayError, ErrorCodes, InvalidPayloadError } from '../errors/index.ts';
import { encodeValue } from '../store/codec.ts';

/**
 * The limits of storable data. Every store carries back, byte for byte, any payload within the
 * defaults ({@link DEFAULT_PAYLOAD_LIMITS}); a system may raise them up to
 * {@link MAX_PAYLOAD_LIMITS}, which the codec and every store still carry.
 */
export interface PayloadLimits {
  /**
   * Deepest nesting of objects and arrays: `{}` and `[]` are depth 1, `{ a: [1] }` depth 2;
   * a scalar payload is depth 0. Default 64.
   */
  readonly maxDepth: number;
  /**
   * Largest payload, as the bytes of its msgpack encoding (so strings and binaries are bounded
   * by it too). Default 1 MiB.
   */
  readonly maxBytes: number;
}

/** The limits every system starts with. */
export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = Object.freeze({
  maxDepth: 64,
  maxBytes: 1024 * 1024,
});

/**
 * The highest limits a system may set: the codec encodes up to 1,024 levels (room for a
 * snapshot's state nested around the deepest payloads), and 64 MiB keeps a payload far below
 * the file store's record limit and Postgres' `bytea` limit.
 */
export const MAX_PAYLOAD_LIMITS: PayloadLimits = Object.freeze({
  maxDepth: 256,
  maxBytes: 64 * 1024 * 1024,
});

/**
 * Checks a system's `limits` option and fills in the defaults.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` for a limit that is not an integer from 1 to its
 *   maximum in {@link MAX_PAYLOAD_LIMITS}.
 */
export function payloadLimits(given: Partial<PayloadLimits> | undefined): PayloadLimits {
  const limits = { ...DEFAULT_PAYLOAD_LIMITS, ...given };
  for (const name of ['maxDepth', 'maxBytes'] as const) {
    const value = limits[name];
    const max = MAX_PAYLOAD_LIMITS[name];
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `limits.${name} must be an integer from 1 to ${max}, got ${String(value)}: past ${max}, not every store can carry a payload back.`,
        { [name]: value, max },
      );
    }
  }
  return limits;
}

// One frame per open object or array: the container, its keys (null for an array), the next
// index to visit, and, when copying, the container's copy; the byte bound of what was seen so
// far is summed in one counter.
interface Frame {
  readonly container: object;
  readonly keys: readonly string[] | null;
  readonly length: number;
  readonly copy: unknown[] | Record<string, unknown> | null;
  next: number;
}

// msgpack's largest header for a string, binary, array or map is 5 bytes; a number takes at most 9.
const HEAD = 5;
const NUMBER = 9;

/**
 * Checks that `value` is storable data: what every store carries back byte for byte.
 *
 * - `null`, booleans, finite numbers, well-formed strings (no lone UTF-16 surrogate, which
 *   UTF-8 cannot carry), `Uint8Array`s, dense arrays, and objects whose prototype is
 *   `Object.prototype` or `null`, with string keys other than `__proto__` (which msgpack
 *   decoders refuse, and which `JSON.parse` turns into an own property);
 * - nested no deeper than `limits.maxDepth`, without cycles;
 * - encoding to no more than `limits.maxBytes` bytes of msgpack.
 *
 * The walk is iterative: a value nested 10,000 levels deep is refused by name, not by the
 * engine's stack.
 *
 * @throws InvalidPayloadError (`CW_INVALID_PAYLOAD`) naming the first offending field's path
 *   (`$.items[2].when`).
 */
export function assertPlainData(
  eventType: string,
  value: unknown,
  limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
): void {
  walkPlainData(eventType, value, limits, false);
}

/**
 * Checks `value` as {@link assertPlainData} does and returns a copy of it that shares nothing
 * with it: the system's own payload, which the caller can no longer change (a payload changed
 * after its input was accepted, or after a listener emitted it, would otherwise differ from
 * what the store journaled, or change a committed event of the memory store). The copy reads
 * each field once (a getter runs once, and what it returned is what was checked), holds plain
 * objects, arrays and plain `Uint8Array`s (a `Buffer` is copied to one), and writes `-0` as
 * `0`: what a store reads back, so a live run sees what its replay will. Its objects and arrays
 * are frozen (byte arrays cannot be): listeners read it, and it is the logged payload.
 *
 * @throws InvalidPayloadError (`CW_INVALID_PAYLOAD`), as {@link assertPlainData}.
 */
export function copyPlainData(
  eventType: string,
  value: unknown,
  limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
): unknown {
  return walkPlainData(eventType, value, limits, true);
}

/**
 * Refuses a byte array anywhere in the payload of a public event: a relay publishes public
 * events as JSON, which cannot carry one, and an event it cannot publish would stop it for good.
 * `value` is plain data already checked (a copy {@link copyPlainData} made); the walk stops at
 * the first byte array.
 *
 * @throws InvalidPayloadError (`CW_INVALID_PAYLOAD`) naming the byte array's path.
 */
export function assertPublicPayload(eventType: string, value: unknown, path = '$'): void {
  if (typeof value !== 'object' || value === null) return;
  if (ArrayBuffer.isView(value)) {
    throw new InvalidPayloadError(
      eventType,
      path,
      'a public event is relayed as JSON, which cannot carry a byte array; encode the bytes as a base64 string, or make the event not public',
    );
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++)
      assertPublicPayload(eventType, value[i], `${path}[${i}]`);
    return;
  }
  for (const key of Object.keys(value))
    assertPublicPayload(eventType, (value as Record<string, unknown>)[key], path + pathStep(key));
}

/**
 * A private, mutable copy of storable data (a checked payload, a value read from a store or
 * from the committed state): plain objects and arrays copied at every level, byte arrays
 * copied, scalars and array holes as they are; storable data holds nothing else. Internal to
 * the runtime: what appliers get of a payload, so that state they build from it never shares
 * an object with the logged event, and what the state engine gives an applier that reads a
 * committed entry.
 */
export function copyData(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      // A hole of a state array stays one (payloads have none): an applier that changed
      // another field of a large table's entry filled it with undefined, where immer keeps it.
      if (item !== undefined || i in value) copy[i] = copyData(item);
    }
    return copy;
  }
  if (ArrayBuffer.isView(value)) return (value as Uint8Array).slice();
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = copyData((value as Record<string, unknown>)[key]);
  return copy;
}

// The walk of both: checks `value`, and returns its copy when `copying` (else `value`).
function walkPlainData(
  eventType: string,
  value: unknown,
  limits: PayloadLimits,
  copying: boolean,
): unknown {
  const maxBytes = limits.maxBytes;
  let bound = leafBound(eventType, value, null, limits);
  if (bound >= 0) {
    // A scalar or a byte array: checked, and its size too unless it may be too big.
    if (bound <= maxBytes) return copying ? copyLeaf(value) : value;
    const copy = copying ? copyLeaf(value) : value;
    checkSize(eventType, copy, maxBytes);
    return copy;
  }
  // Most payloads are one object of numbers, strings, booleans and nulls: checked in one pass
  // that allocates nothing (or only the copy). Anything else, or anything wrong, takes the
  // full walk below, which names the problem.
  if (limits.maxDepth >= 1) {
    const flat: Record<string, unknown> | null = copying ? {} : null;
    if (flatBound(value as object, flat) <= maxBytes) return copying ? Object.freeze(flat) : value;
  }
  bound = 0;
  const frames: Frame[] = [];
  let container = value as object;
  let root: unknown = value;
  let parent: Frame | null = null;
  for (;;) {
    // Open `container`: it was checked to be an array or a plain object.
    if (frames.length >= limits.maxDepth) {
      throw new InvalidPayloadError(
        eventType,
        pathOf(frames),
        `it is nested more than ${limits.maxDepth} levels deep (limits.maxDepth); flatten it`,
      );
    }
    for (const f of frames) {
      if (f.container === container)
        throw new InvalidPayloadError(
          eventType,
          pathOf(frames),
          'the value refers back to itself (a cycle)',
        );
    }
    const keys = Array.isArray(container) ? null : Object.keys(container);
    const length = keys === null ? (container as unknown[]).length : keys.length;
    const copy = !copying ? null : keys === null ? new Array<unknown>(length) : {};
    if (copy !== null) {
      if (parent === null) root = copy;
      else setChild(parent, copy);
    }
    frames.push({ container, keys, length, copy, next: 0 });
    bound += HEAD;
    let opened = false;
    while (!opened && frames.length > 0) {
      const frame = frames[frames.length - 1] as Frame;
      if (frame.next >= frame.length) {
        // The copy is the logged payload, which listeners read: frozen, so that none can
        // rewrite the event (appliers get a copy of their own, see copyData).
        if (frame.copy !== null) Object.freeze(frame.copy);
        frames.pop();
        continue;
      }
      const index = frame.next++;
      let child: unknown;
      if (frame.keys === null) {
        if (!(index in frame.container))
          throw new InvalidPayloadError(
            eventType,
            pathOf(frames),
            'a sparse array hole is not data',
          );
        child = (frame.container as unknown[])[index];
      } else {
        const key = frame.keys[index] as string;
        bound += checkKey(eventType, key, frames);
        child = (frame.container as Record<string, unknown>)[key];
      }
      const size = leafBound(eventType, child, frames, limits);
      if (size < 0) {
        container = child as object;
        parent = frame;
        opened = true;
      } else {
        bound += size;
        if (frame.copy !== null) setChild(frame, copyLeaf(child));
      }
    }
    if (!opened) break;
  }
  // The bound over-counts (three bytes per UTF-16 unit, the widest headers): only a payload
  // that might be too big is encoded to measure it exactly.
  if (bound > maxBytes) checkSize(eventType, root, maxBytes);
  return root;
}

// Writes `child` at the position of the frame's last visited child, in the frame's copy.
function setChild(frame: Frame, child: unknown): void {
  const index = frame.next - 1;
  if (frame.keys === null) (frame.copy as unknown[])[index] = child;
  else (frame.copy as Record<string, unknown>)[frame.keys[index] as string] = child;
}

// The copy of a checked scalar or byte array.
function copyLeaf(value: unknown): unknown {
  if (value === 0) return 0;
  return value instanceof Uint8Array ? new Uint8Array(value) : value;
}

// Encodes a checked payload to measure it, and refuses it past `maxBytes`.
function checkSize(eventType: string, value: unknown, maxBytes: number): void {
  const exact = encodeValue(value).byteLength;
  if (exact > maxBytes) {
    const part = largestPart(value, exact);
    throw new InvalidPayloadError(
      eventType,
      part.path,
      part.path === '$'
        ? `it encodes to ${exact} bytes, more than the limit of ${maxBytes} (limits.maxBytes); store large content elsewhere and keep a reference`
        : `the payload encodes to ${exact} bytes, more than the limit of ${maxBytes} (limits.maxBytes), and this field takes ${part.bytes} of them; store large content elsewhere and keep a reference`,
    );
  }
}

/**
 * An upper bound of the msgpack size of `value` when it is a plain object (already checked by
 * {@link leafBound}) whose own enumerable values are all storable scalars under storable keys;
 * Infinity otherwise. The rules are {@link scalarBound}'s and {@link keyBound}'s, which the
 * full walk applies too. Given `copy`, writes each field it read into it.
 */
function flatBound(value: object, copy: Record<string, unknown> | null): number {
  if (Array.isArray(value)) return Infinity;
  let bound = HEAD;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return Infinity;
    const keySize = keyBound(key);
    const field = (value as Record<string, unknown>)[key];
    const size = scalarBound(field);
    if (keySize < 0 || size < 0) return Infinity;
    bound += keySize + size;
    if (copy !== null) copy[key] = field === 0 ? 0 : field;
  }
  return bound;
}

/**
 * An upper bound of the msgpack size of a storable scalar (null, a boolean, a finite number, a
 * well-formed string), or -1 for anything else.
 */
function scalarBound(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return (value as string & { isWellFormed(): boolean }).isWellFormed()
        ? HEAD + value.length * 3
        : -1;
    case 'number':
      return Number.isFinite(value) ? NUMBER : -1;
    case 'boolean':
      return 1;
    default:
      return value === null ? 1 : -1;
  }
}

/**
 * The one string key that reaches an object's prototype through a property read or write: no
 * payload, state table or msgpack map can hold it as a key.
 */
export const PROTO_KEY = '__proto__';

/** The msgpack size bound of a storable map key, or -1 (`__proto__`, a lone surrogate). */
function keyBound(key: string): number {
  return key !== PROTO_KEY && (key as string & { isWellFormed(): boolean }).isWellFormed()
    ? HEAD + key.length * 3
    : -1;
}

/**
 * Checks a value that is not opened further and returns an upper bound of its msgpack size,
 * or -1 for an array or plain object, which the caller opens.
 */
function leafBound(
  eventType: string,
  value: unknown,
  frames: readonly Frame[] | null,
  limits: PayloadLimits,
): number {
  const scalar = scalarBound(value);
  if (scalar >= 0) {
    if (scalar > limits.maxBytes) exactLeaf(eventType, value as string, frames, limits.maxBytes);
    return scalar;
  }
  // What is not a storable scalar: a container (opened by the caller), binary, or an error.
  switch (typeof value) {
    case 'string':
      throw invalid(
        eventType,
        frames,
        'the string holds a lone UTF-16 surrogate, which UTF-8 cannot carry',
      );
    case 'number':
      throw invalid(eventType, frames, `${String(value)} is not a finite number`);
    case 'undefined':
      throw invalid(
        eventType,
        frames,
        'undefined does not survive encoding (it reads back as null); omit the field or use null',
      );
    case 'bigint':
      throw invalid(eventType, frames, 'a bigint is not plain data; encode it as a string');
    case 'function':
      throw invalid(eventType, frames, 'a function is not data');
    case 'symbol':
      throw invalid(eventType, frames, 'a symbol is not data');
    default:
      break;
  }
  if (value instanceof Uint8Array) {
    const size = HEAD + value.byteLength;
    if (size > limits.maxBytes) exactLeaf(eventType, value, frames, limits.maxBytes);
    return size;
  }
  if (Array.isArray(value)) return -1;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const kind =
      value instanceof Date
        ? 'a Date (use epoch milliseconds)'
        : `an instance of ${describeClass(value as object)}`;
    throw invalid(eventType, frames, `${kind} is not plain data`);
  }
  if (Object.getOwnPropertySymbols(value).length > 0)
    throw invalid(eventType, frames, 'symbol keys are not data');
  return -1;
}

/** A string or binary alone larger than the limit is named by its own path. */
function exactLeaf(
  eventType: string,
  value: string | Uint8Array,
  frames: readonly Frame[] | null,
  maxBytes: number,
): void {
  const exact = encodeValue(value).byteLength;
  if (exact > maxBytes)
    throw invalid(
      eventType,
      frames,
      `it encodes to ${exact} bytes, more than the limit of ${maxBytes} (limits.maxBytes); store large content elsewhere and keep a reference`,
    );
}

function checkKey(eventType: string, key: string, frames: readonly Frame[]): number {
  const size = keyBound(key);
  if (size >= 0) return size;
  throw new InvalidPayloadError(
    eventType,
    pathOf(frames),
    key === PROTO_KEY
      ? 'the key "__proto__" cannot be stored (msgpack decoders refuse it, and on a plain object it would replace the prototype); rename the key'
      : 'the key holds a lone UTF-16 surrogate, which UTF-8 cannot carry',
  );
}

function invalid(eventType: string, frames: readonly Frame[] | null, reason: string): Error {
  return new InvalidPayloadError(eventType, frames === null ? '$' : pathOf(frames), reason);
}

/**
 * Where an oversized payload's bytes are: from the root, step into the child that holds more
 * than half of its container's encoding, as long as there is one. A payload whose bytes are
 * spread over many fields is named as a whole (`$`). Only runs on the error path, after the
 * walk accepted every value, so each child is plain data. Each step encodes children of the
 * current container; the steps stop once they have encoded four times the payload (a payload
 * nested deep around one large value would otherwise be encoded once a level), naming the
 * deepest part reached.
 */
function largestPart(value: unknown, bytes: number): { path: string; bytes: number } {
  let path = '$';
  let current = value;
  let size = bytes;
  let budget = bytes * 4;
  while (budget >= size) {
    budget -= size;
    if (typeof current !== 'object' || current === null || current instanceof Uint8Array) break;
    const keys = Array.isArray(current) ? null : Object.keys(current);
    const length = keys === null ? (current as unknown[]).length : keys.length;
    let next: { index: number; bytes: number } | null = null;
    for (let i = 0; i < length; i++) {
      const child =
        keys === null
          ? (current as unknown[])[i]
          : (current as Record<string, unknown>)[keys[i] as string];
      const childBytes = encodeValue(child).byteLength;
      if (childBytes * 2 > size) {
        next = { index: i, bytes: childBytes };
        break;
      }
    }
    if (next === null) break;
    if (keys === null) {
      path += `[${next.index}]`;
      current = (current as unknown[])[next.index];
    } else {
      const key = keys[next.index] as string;
      path += pathStep(key);
      current = (current as Record<string, unknown>)[key];
    }
    size = next.bytes;
  }
  return { path, bytes: size };
}

function pathStep(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** The readable path of the child last visited in the innermost frame ("$.a[2].b"). */
function pathOf(frames: readonly Frame[]): string {
  let path = '$';
  for (const f of frames) {
    const index = f.next - 1;
    if (index < 0) continue;
    if (f.keys === null) path += `[${index}]`;
    else {
      path += pathStep(f.keys[index] as string);
    }
  }
  return path;
}

function describeClass(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'a class';
}
