import { Decoder, ExtData, ExtensionCodec } from '@msgpack/msgpack';
import { CODEC_MAX_DEPTH, encodeValue } from '../store/codec.ts';

// State values are written by appliers, not checked like payloads: they may hold what plain
// msgpack cannot tell apart, `undefined` (nil, like null), `-0` (the integer 0) and array holes
// (nil). An applier or listener tells each from its look-alike (`=== undefined`, `Object.is`,
// `i in list`), so a state rebuilt from a snapshot that turned them into their look-alikes, and
// a hash that did not see the difference, made a restarted system behave unlike an
// uninterrupted one with no divergence reported. The state's encodings (its snapshot, its
// canonical form for the hash) write each as a one-byte msgpack extension instead.

/**
 * The msgpack extension type of the values above (type 0: @msgpack/msgpack looks for a custom
 * encoder in every type up to the highest registered, for every object it encodes).
 */
export const STATE_EXTENSION_TYPE = 0;

/** The one data byte of the extension: which value it stands for. */
export const StateMark = {
  undefined: 0,
  negativeZero: 1,
  hole: 2,
} as const;

const UNDEFINED = new ExtData(STATE_EXTENSION_TYPE, Uint8Array.of(StateMark.undefined));
const NEGATIVE_ZERO = new ExtData(STATE_EXTENSION_TYPE, Uint8Array.of(StateMark.negativeZero));
const HOLE = new ExtData(STATE_EXTENSION_TYPE, Uint8Array.of(StateMark.hole));

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with every `undefined`, `-0` and array hole inside it replaced by its extension, for
 * the msgpack encoder, which writes an extension as it is. Copies only the arrays and objects
 * on the way to a replaced value: a value without any is returned as it is. Leaves alone what
 * is not plain data (the encoder refuses or encodes it as before) and anything deeper than the
 * codec goes (the encoder refuses it).
 */
export function markStateValue(value: unknown, depth = 1): unknown {
  if (value === undefined) return UNDEFINED;
  if (typeof value === 'number') return value === 0 && 1 / value < 0 ? NEGATIVE_ZERO : value;
  if (typeof value !== 'object' || value === null || depth > CODEC_MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const list = value as readonly unknown[];
    let copy: unknown[] | null = null;
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const marked = item === undefined && !(i in list) ? HOLE : markStateValue(item, depth + 1);
      // Items before the first replaced one were kept as they are, so none was a hole.
      if (marked !== item) copy ??= list.slice(0, i);
      if (copy !== null) copy.push(marked);
    }
    return copy ?? value;
  }
  if (ArrayBuffer.isView(value) || !isPlainObject(value)) return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | null = null;
  // `for…in` lists own keys as `Object.keys` does, without an array an object (a snapshot walks
  // every object of the state); `hasOwn` leaves out an enumerable key of Object.prototype.
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const item = record[key];
    const marked = markStateValue(item, depth + 1);
    if (copy !== null) copy[key] = marked;
    else if (marked !== item) {
      // No prototype: a `__proto__` key of the state stays a key of the copy.
      copy = Object.create(null) as Record<string, unknown>;
      for (const before in record) {
        if (before === key) break;
        if (Object.hasOwn(record, before)) copy[before] = record[before];
      }
      copy[key] = marked;
    }
  }
  return copy ?? value;
}

/**
 * Encodes a state value (a snapshot's body) with the codec, `undefined`, `-0` and array holes
 * as {@link STATE_EXTENSION_TYPE}. The returned bytes are a copy and may be kept.
 *
 * @throws what the codec throws for a value msgpack cannot carry (a function, a symbol, a
 *   bigint, more than `CODEC_MAX_DEPTH` levels)
 */
export function encodeState(value: unknown): Uint8Array {
  return encodeValue(markStateValue(value));
}

// Set by the extension's decoder: only a decoded value that had holes is walked to open them.
let holes = false;
const HOLE_FOUND: unique symbol = Symbol('hole');

const extensions = new ExtensionCodec();
extensions.register({
  type: STATE_EXTENSION_TYPE,
  encode: () => null,
  decode(data) {
    if (data.length === 1) {
      switch (data[0]) {
        case StateMark.undefined:
          return undefined;
        case StateMark.negativeZero:
          return -0;
        case StateMark.hole:
          holes = true;
          return HOLE_FOUND;
      }
    }
    throw new RangeError(`Unknown state value extension [${data.join(', ')}].`);
  },
});

const decoder = new Decoder({ extensionCodec: extensions });

/**
 * Decodes bytes made by {@link encodeState} (or by the codec's `encodeValue`, which it reads
 * the same): `undefined`, `-0` and array holes come back as they were.
 *
 * @throws an Error for bytes that are not msgpack, or a hole that is not an array's item
 */
export function decodeState(bytes: Uint8Array): unknown {
  holes = false;
  const value = decoder.decode(bytes);
  if (!holes) return value;
  holes = false;
  openHoles(value);
  return value;
}

/** Deletes the array items that stand for holes (the decoder made them). */
function openHoles(value: unknown): void {
  if (value === HOLE_FOUND) throw new RangeError('A hole outside an array.');
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    const list = value as unknown[];
    for (let i = 0; i < list.length; i++) {
      // Deleting the item is what makes a hole (splice would shift the items after it).
      if (list[i] === HOLE_FOUND) Reflect.deleteProperty(list, i);
      else openHoles(list[i]);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) openHoles(record[key]);
}
