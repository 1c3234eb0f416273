import { Encoder } from '@msgpack/msgpack';
import { CausewayError, ErrorCodes, InvalidPayloadError } from '../errors/index.ts';
import { assertPlainData } from '../events/payload.ts';
import { CODEC_MAX_DEPTH } from '../store/codec.ts';
import { markStateValue, STATE_EXTENSION_TYPE, StateMark } from './state-codec.ts';

// The hashes a state hash is made of: a value's (through its canonical encoding), a table
// entry's (its value's mixed with its key) and a table's (the sum of its entries'). The state
// hasher (hash.ts) and the stored tables (tables.ts), which keep their entries' hashes, share
// them.

// Canonical form: msgpack with sorted map keys, so two equal values hash the same whatever
// their insertion order (a state rebuilt from a snapshot has the same hash as the live one),
// and `undefined`, `-0` and array holes written as the state codec writes them (an extension,
// see state-codec.ts), so that each hashes apart from its look-alike (null, 0, undefined).
// As deep as the codec goes: the encoder's default (100 levels) refused a payload of a system
// whose raised limits (up to 256 levels) had accepted it, once an applier put it in the state.
const canonical = new Encoder({
  sortKeys: true,
  ignoreUndefined: false,
  maxDepth: CODEC_MAX_DEPTH,
});

/** A 64-bit hash as two unsigned 32-bit lanes. */
export type Lanes = [number, number];

function hashBytes(bytes: Uint8Array, seedA: number, seedB: number): Lanes {
  let a = 0x811c9dc5 ^ seedA;
  let b = 0x01000193 ^ seedB;
  for (let i = 0; i < bytes.length; i++) {
    const x = bytes[i] as number;
    a = Math.imul(a ^ x, 0x9e3779b1);
    b = Math.imul(b ^ x, 0x85ebca77);
  }
  return [fmix(a ^ bytes.length), fmix(b ^ (bytes.length * 0x27d4eb2f))];
}

/** Two lanes written in place, for the hot paths that hash many entries without allocating. */
export interface LanePair {
  a: number;
  b: number;
}

const pair: LanePair = { a: 0, b: 0 };

export function hashString(s: string, a: number, b: number): Lanes {
  mixString(s, a, b, pair);
  return [pair.a, pair.b];
}

function mixString(s: string, a: number, b: number, out: LanePair): void {
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    a = Math.imul(a ^ x, 0x9e3779b1);
    b = Math.imul(b ^ x, 0x85ebca77);
  }
  out.a = fmix(a);
  out.b = fmix(b);
}

// murmur3's finaliser: every input bit affects every output bit.
export function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes any plain value through its canonical encoding. */
export function hashValue(value: unknown): Lanes {
  return streamHash(value) ?? hashBytes(canonical.encode(markStateValue(value)), 0, 0);
}

// The streaming hasher below feeds the bytes of the canonical msgpack encoding straight into
// `hashBytes`' two lanes, without building them: the same hash for the values it knows (plain
// objects, arrays and their holes, numbers, ASCII strings, booleans, null and undefined), and
// `null` for anything else, which then goes through the encoder. Hashing the changed entries of
// every tick is a large part of a tick's cost; the encoder's buffer, key sort and copy were most
// of it.
let laneA = 0;
let laneB = 0;
let fed = 0;
const float = new DataView(new ArrayBuffer(8));

function feed(x: number): void {
  laneA = Math.imul(laneA ^ x, 0x9e3779b1);
  laneB = Math.imul(laneB ^ x, 0x85ebca77);
  fed++;
}

function feed16(x: number): void {
  feed((x >>> 8) & 0xff);
  feed(x & 0xff);
}

function feed32(x: number): void {
  feed((x >>> 24) & 0xff);
  feed((x >>> 16) & 0xff);
  feed((x >>> 8) & 0xff);
  feed(x & 0xff);
}

/** The bytes of a state value extension (a fixext 1): `d4`, the type, the mark. */
function feedMark(mark: number): void {
  feed(0xd4);
  feed(STATE_EXTENSION_TYPE);
  feed(mark);
}

function streamHash(value: unknown): Lanes | null {
  laneA = 0x811c9dc5;
  laneB = 0x01000193;
  fed = 0;
  if (!feedValue(value, 1)) return null;
  return [fmix(laneA ^ fed), fmix(laneB ^ (fed * 0x27d4eb2f))];
}

function feedValue(value: unknown, depth: number): boolean {
  if (depth > 100) return false;
  if (value === null) feed(0xc0);
  else if (value === undefined) feedMark(StateMark.undefined);
  else if (typeof value === 'number') feedNumber(value);
  else if (typeof value === 'string') return feedString(value);
  else if (typeof value === 'boolean') feed(value ? 0xc3 : 0xc2);
  else if (typeof value !== 'object') return false;
  else if (Array.isArray(value)) {
    const size = value.length;
    if (size < 16) feed(0x90 + size);
    else if (size < 0x10000) {
      feed(0xdc);
      feed16(size);
    } else {
      feed(0xdd);
      feed32(size);
    }
    for (let i = 0; i < size; i++) {
      const item: unknown = value[i];
      if (item === undefined && !(i in value)) feedMark(StateMark.hole);
      else if (!feedValue(item, depth + 1)) return false;
    }
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    const obj = value as Record<string, unknown>;
    const keys = ownKeys(obj, depth);
    const size = keys.length;
    if (size < 16) feed(0x80 + size);
    else if (size < 0x10000) {
      feed(0xde);
      feed16(size);
    } else {
      feed(0xdf);
      feed32(size);
    }
    for (let i = 0; i < size; i++) {
      const key = keys[i] as string;
      if (!feedString(key) || !feedValue(obj[key], depth + 1)) return false;
    }
  }
  return true;
}

// One list of keys a nesting depth, reused: hashing an entry's object took an `Object.keys`
// array each time, about a twentieth of what an appliers-only tick allocated.
const keyLists: string[][] = [];

/** The own enumerable keys of a plain object, sorted, in the reused list of `depth`. */
function ownKeys(obj: Record<string, unknown>, depth: number): string[] {
  let keys = keyLists[depth];
  if (keys === undefined) keyLists[depth] = keys = [];
  let n = 0;
  // A plain object's prototype is Object.prototype or null: `for…in` lists its own keys, unless
  // something made a key of Object.prototype enumerable, which `hasOwn` leaves out.
  for (const key in obj) if (Object.hasOwn(obj, key)) keys[n++] = key;
  keys.length = n;
  sortKeys(keys);
  return keys;
}

/**
 * Sorts keys as `Array.prototype.sort` does (by UTF-16 code units). Objects have a few keys,
 * usually written in order already: an insertion sort settles them in a few comparisons, where
 * the built-in sort's setup costs more than the whole hash of a small component.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
}

function feedNumber(n: number): void {
  if (Number.isSafeInteger(n)) {
    if (n >= 0) {
      if (n < 0x80) {
        if (n === 0 && 1 / n < 0) feedMark(StateMark.negativeZero);
        else feed(n);
      } else if (n < 0x100) {
        feed(0xcc);
        feed(n);
      } else if (n < 0x10000) {
        feed(0xcd);
        feed16(n);
      } else if (n < 0x100000000) {
        feed(0xce);
        feed32(n);
      } else {
        feed(0xcf);
        feed32(Math.trunc(n / 4294967296) >>> 0);
        feed32(n >>> 0);
      }
    } else if (n >= -0x20) feed((0xe0 | (n + 0x20)) & 0xff);
    else if (n >= -0x80) {
      feed(0xd0);
      feed(n & 0xff);
    } else if (n >= -0x8000) {
      feed(0xd1);
      feed16(n & 0xffff);
    } else if (n >= -0x80000000) {
      feed(0xd2);
      feed32(n >>> 0);
    } else {
      feed(0xd3);
      feed32(Math.floor(n / 4294967296) >>> 0);
      feed32(n >>> 0);
    }
    return;
  }
  feed(0xcb);
  float.setFloat64(0, n);
  for (let i = 0; i < 8; i++) feed(float.getUint8(i));
}

function feedString(s: string): boolean {
  const size = s.length;
  if (size < 32) feed(0xa0 + size);
  else if (size < 0x100) {
    feed(0xd9);
    feed(size);
  } else if (size < 0x10000) {
    feed(0xda);
    feed16(size);
  } else {
    feed(0xdb);
    feed32(size);
  }
  for (let i = 0; i < size; i++) {
    const c = s.charCodeAt(i);
    // Beyond ASCII a character is several UTF-8 bytes: left to the encoder.
    if (c >= 0x80) return false;
    feed(c);
  }
  return true;
}

/** The hash of one table entry: its value's, mixed with its key. */
export function entryHash(key: string, value: unknown): Lanes {
  entryHashInto(key, value, pair);
  return [pair.a, pair.b];
}

/** {@link entryHash}, written into `out`. */
export function entryHashInto(key: string, value: unknown, out: LanePair): void {
  laneA = 0x811c9dc5;
  laneB = 0x01000193;
  fed = 0;
  if (feedValue(value, 1)) {
    mixString(key, fmix(laneA ^ fed), fmix(laneB ^ (fed * 0x27d4eb2f)), out);
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = canonical.encode(markStateValue(value));
  } catch (err) {
    throw unstorableEntry(key, value, err);
  }
  const [a, b] = hashBytes(bytes, 0, 0);
  mixString(key, a, b, out);
}

/**
 * The error for a state entry that cannot be frozen or encoded (a function, a symbol, a BigInt,
 * a cycle): it names the entry and, found by the payload check, the field that holds the value.
 */
export function unstorableEntry(key: string, value: unknown, err: unknown): CausewayError {
  let where = `entry "${key}"`;
  let reason = err instanceof Error ? err.message : String(err);
  try {
    assertPlainData('state', value);
  } catch (found) {
    if (found instanceof InvalidPayloadError) {
      const details = found.details as { path: string; reason: string };
      where = `entry "${key}" at ${details.path}`;
      reason = details.reason;
    }
  }
  return new CausewayError(
    ErrorCodes.InvalidState,
    `An applier put a value the log cannot hold into the state, in ${where}: ${reason}. State values are plain data (objects, arrays, strings, numbers, booleans, null, undefined, Uint8Array). The tick was not committed and the system stopped: fix the applier and reopen the store, or reject the input that led to it (causeway store reject-input).`,
    { entry: key, reason },
    { cause: err },
  );
}

const HEX_DIGITS = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

/**
 * A hash's two lanes (unsigned 32-bit) as 16 hex digits. One `fromCharCode` of sixteen codes
 * makes the string at once: a tenth of the time of two `toString(16)` and `padStart`, on the
 * path of every tick.
 */
export function toHex(a: number, b: number): string {
  const d = HEX_DIGITS;
  return String.fromCharCode(
    d[a >>> 28] as number,
    d[(a >>> 24) & 15] as number,
    d[(a >>> 20) & 15] as number,
    d[(a >>> 16) & 15] as number,
    d[(a >>> 12) & 15] as number,
    d[(a >>> 8) & 15] as number,
    d[(a >>> 4) & 15] as number,
    d[a & 15] as number,
    d[b >>> 28] as number,
    d[(b >>> 24) & 15] as number,
    d[(b >>> 20) & 15] as number,
    d[(b >>> 16) & 15] as number,
    d[(b >>> 12) & 15] as number,
    d[(b >>> 8) & 15] as number,
    d[(b >>> 4) & 15] as number,
    d[b & 15] as number,
  );
}

/**
 * A table's hash from the sums (mod 2^32 per lane) of its entries' hashes and their count: it
 * does not depend on key order and can be updated entry by entry.
 */
export function tableLanes(sumA: number, sumB: number, count: number): Lanes {
  return [fmix(sumA ^ count), fmix(sumB)];
}
