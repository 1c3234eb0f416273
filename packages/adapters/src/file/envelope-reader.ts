import { decodeEnvelope } from '@causeway/runtime/store-kit';
import type { ENVELOPE_FIELDS } from '@causeway/runtime/store-kit';
import type { StoredEnvelope } from '@causeway/runtime';

/** A record the fast reader does not handle (an extension type, an odd map key). */
class Unsupported extends Error {}

// The order in which `EnvelopeReader.decode` reads the fields, one after the other in straight
// code: the runtime's ENVELOPE_FIELDS, where the order is written. A loop over the fields that
// switched on each one's kind and filled a tuple cost a tenth of the decode; this costs a
// compile error when the runtime's order changes (the type below is then `never`).
const READ_ORDER = [
  'id',
  'seq',
  'tick',
  'type',
  'version',
  'entity',
  'data',
  'at',
  'causation',
  'correlation',
  'actor',
] as const;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const readsInOrder: Same<typeof READ_ORDER, typeof ENVELOPE_FIELDS> = true;
void readsInOrder;

// A fixarray head: an envelope has fewer than 16 fields.
const ARRAY_HEAD = 0x90 | READ_ORDER.length;
const FIXSTR = 0xa0;
const STR8 = 0xd9;
// An ASCII string up to this length is made in JavaScript (String.fromCharCode), cheaper than a
// call into Node's native slicing; a payload string this short is never interned: making it
// costs less than looking it up.
const SHORT_STRING = 12;
// Strings up to this length (a UUID's 36 characters and a little more) are interned when they
// stand where values repeat: names, entity and causation ids, map keys, payload strings longer
// than SHORT_STRING (often ids of other entities). Longer ones cost more to hash than they save.
const INTERNED_STRING = 40;

type TextBuffer = Buffer & {
  utf8Slice?: (start: number, end: number) => string;
  latin1Slice?: (start: number, end: number) => string;
};

// Its arguments are bytes of a span already checked to hold them.
const fromCharCode = String.fromCharCode as (...codes: (number | undefined)[]) => string;

/**
 * A table of strings keyed by their UTF-8 bytes, so that a string read many times (an entity
 * id, an event type, a map key) is made once and shared, and its hash, once computed by a `Map`
 * or a property lookup, is kept. Open addressing over a compact index of (hash, entry) pairs,
 * the entries' keys and strings dense in the order they came: a hit reads a pair from a table
 * of a few hundred kilobytes and one row of keys, where a table a slot a key (direct-mapped,
 * as this was) spread 10,000 entity ids over megabytes and missed the processor's caches on
 * most lookups. Keys are compared a 32-bit word at a time. The index doubles while it is more
 * than half full, up to `maxBits`; a full table is emptied and fills again (a log of more
 * distinct strings than it holds still finds the recent ones).
 */
class Interner {
  private mask: number;
  // Two words a slot: the key's hash and its entry + 1 (0: empty).
  private index: Int32Array;
  // ROW words an entry: the key's length, its full words, its last four bytes.
  private keys: Int32Array;
  private values: string[] = [];
  private count = 0;

  constructor(
    private bits: number,
    private readonly maxBits: number,
  ) {
    this.mask = (1 << bits) - 1;
    this.index = new Int32Array(2 << bits);
    this.keys = new Int32Array((1 << (bits - 1)) * ROW);
  }

  /**
   * The string of the `length` (1 … INTERNED_STRING) bytes at `start` of `reader`'s span: the
   * table's when it holds it, else `reader`'s new one, kept.
   */
  lookup(
    reader: EnvelopeReader,
    bytes: Uint8Array,
    view: DataView,
    start: number,
    length: number,
  ): string {
    const end = start + length;
    const whole = length >> 2;
    // A key is its full words from the start and its last four bytes (overlapping the last
    // full word): together they cover every byte of a key of a given length.
    let last = 0;
    let h: number;
    if (length >= 4) {
      last = view.getInt32(end - 4, true);
      h = Math.imul(length ^ view.getInt32(start, true), 0x9e3779b1);
      h = Math.imul(h ^ last, 0x85ebca6b);
      // Ids differ in their last characters (the random part of a UUIDv7).
      if (length >= 12) h = Math.imul(h ^ view.getInt32(end - 8, true), 0xc2b2ae35);
    } else {
      for (let i = start; i < end; i++) last = (last << 8) | (bytes[i] as number);
      h = Math.imul(length ^ last, 0x9e3779b1);
    }
    h ^= h >>> 15;
    const index = this.index;
    const keys = this.keys;
    const mask = this.mask;
    let slot = h & mask;
    for (let entry = index[2 * slot + 1] as number; entry !== 0;) {
      if (index[2 * slot] === h) {
        const row = (entry - 1) * ROW;
        if (keys[row] === length && keys[row + 1 + whole] === last) {
          let i = 0;
          while (i < whole && keys[row + 1 + i] === view.getInt32(start + 4 * i, true)) i++;
          if (i === whole) return this.values[entry - 1] as string;
        }
      }
      slot = (slot + 1) & mask;
      entry = index[2 * slot + 1] as number;
    }
    const value = reader.text(start, length);
    if (2 * (this.count + 1) > mask + 1) this.grow();
    return this.add(h, view, start, length, last, value);
  }

  /** Adds a key the table does not hold, in the first free slot from its hash's. */
  private add(
    h: number,
    view: DataView,
    start: number,
    length: number,
    last: number,
    value: string,
  ): string {
    const whole = length >> 2;
    const row = this.count * ROW;
    this.keys[row] = length;
    for (let i = 0; i < whole; i++) this.keys[row + 1 + i] = view.getInt32(start + 4 * i, true);
    this.keys[row + 1 + whole] = last;
    this.values.push(value);
    let slot = h & this.mask;
    while (this.index[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
    this.index[2 * slot] = h;
    this.index[2 * slot + 1] = ++this.count;
    return value;
  }

  /** Doubles the table, or empties it when it is as large as it may be. */
  private grow(): void {
    if (this.bits >= this.maxBits) {
      this.index.fill(0);
      this.values = [];
      this.count = 0;
      return;
    }
    const old = this.index;
    this.bits++;
    this.mask = (1 << this.bits) - 1;
    this.index = new Int32Array(2 << this.bits);
    const keys = new Int32Array((1 << (this.bits - 1)) * ROW);
    keys.set(this.keys);
    this.keys = keys;
    for (let at = 0; at < old.length; at += 2) {
      const entry = old[at + 1] as number;
      if (entry === 0) continue;
      const h = old[at] as number;
      let slot = h & this.mask;
      while (this.index[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
      this.index[2 * slot] = h;
      this.index[2 * slot + 1] = entry;
    }
  }
}

const ROW = (INTERNED_STRING >> 2) + 2;

/**
 * Decodes event records (msgpack tuples in the runtime's `ENVELOPE_FIELDS` order) straight from
 * a read span. It yields exactly what the runtime's `decodeEnvelope` yields, with less work and
 * less garbage: the usual encoding of each field is read on a straight path; short ASCII strings
 * are made in JavaScript, longer ones by Node's native slicing; strings that repeat (types,
 * actors, entity and causation ids, map keys) come from interning tables, and a correlation id
 * equal to the event's id is the id's string; binary values are copied out so events never pin
 * the read buffer, which the store reuses. Anything unusual falls back to the runtime's decoder,
 * on a copy.
 */
export class EnvelopeReader {
  private bytes: Uint8Array = new Uint8Array(0);
  private chars: TextBuffer = Buffer.alloc(0);
  private view: DataView = new DataView(new ArrayBuffer(0));
  private pos = 0;
  private end = 0;
  private readonly names = new Interner(8, 12);
  private readonly ids = new Interner(12, 17);

  /**
   * Decodes the event record body `span[start, end)`. The fields are read in READ_ORDER: the
   * event id is unique (never interned), counters are unsigned integers, names (type, actor) and
   * ids that repeat (entity, causation) are interned, the correlation id is usually the event's
   * own id (its string is shared), the payload is any value.
   * @throws Error when the bytes are not an event record
   */
  decode(span: Uint8Array, start: number, end: number): StoredEnvelope {
    if (span !== this.bytes) {
      this.bytes = span;
      this.chars = Buffer.from(span.buffer, span.byteOffset, span.byteLength);
      this.view = new DataView(span.buffer, span.byteOffset, span.byteLength);
    }
    this.pos = start + 1;
    this.end = end;
    try {
      if (span[start] !== ARRAY_HEAD) throw new Unsupported();
      const idAt = this.pos;
      const id = this.unique();
      const idLength = this.pos - idAt;
      const seq = this.count();
      const tick = this.count();
      const type = this.interned(this.names);
      const version = this.count();
      const entity = this.interned(this.ids);
      const data = this.value();
      const at = this.count();
      const causation = this.interned(this.ids);
      const correlation = this.sameBytes(idAt, idLength)
        ? this.skip(id, idLength)
        : this.interned(this.ids);
      const actor = this.interned(this.names);
      if (this.pos !== end)
        throw new Error(`the event record has ${end - this.pos} bytes past its end`);
      // The fields' types are those of the runtime's decodeEnvelope, which casts its tuple's
      // values the same way; the keys are in its order, so that every store's envelopes share
      // one shape.
      return {
        id: id as string,
        seq: seq as number,
        tick: tick as number,
        type: type as string,
        version: version as number,
        entity: entity as string,
        data,
        at: at as number,
        causation: causation as string | null,
        correlation: correlation as string,
        actor: actor as string,
      };
    } catch (error) {
      // A copy: the runtime's decoder returns binary values as views of its input.
      if (error instanceof Unsupported) return decodeEnvelope(span.slice(start, end));
      throw error;
    }
  }

  /**
   * The text of `length` bytes at `start`: ASCII made in JavaScript when short, through
   * latin1 slicing (no UTF-8 validation) when longer, UTF-8 otherwise.
   * @internal for {@link Interner}
   */
  text(start: number, length: number): string {
    const bytes = this.bytes;
    const end = start + length;
    const view = this.view;
    // Whether every byte is ASCII, four bytes a load (a UUID is nine loads, not 36).
    let bits = 0;
    let i = start;
    for (; i + 4 <= end; i += 4) bits |= view.getInt32(i, true);
    for (; i < end; i++) bits |= bytes[i] as number;
    const chars = this.chars;
    if ((bits & 0x80808080) !== 0) {
      return chars.utf8Slice !== undefined
        ? chars.utf8Slice(start, end)
        : chars.toString('utf8', start, end);
    }
    if (length <= SHORT_STRING) return shortAscii(bytes, start, length);
    return chars.latin1Slice !== undefined
      ? chars.latin1Slice(start, end)
      : chars.toString('latin1', start, end);
  }

  /** A string that never repeats (the event id); anything else through {@link value}. */
  private unique(): unknown {
    const length = this.strHead();
    if (length < 0) return this.value();
    const start = this.pos;
    this.pos = start + length;
    return length === 0 ? '' : this.text(start, length);
  }

  /** A string that repeats, looked up in `table`; anything else through {@link value}. */
  private interned(table: Interner): unknown {
    const length = this.strHead();
    if (length < 0) return this.value();
    const start = this.pos;
    this.pos = start + length;
    if (length === 0) return '';
    if (length > INTERNED_STRING) return this.text(start, length);
    return table.lookup(this, this.bytes, this.view, start, length);
  }

  /**
   * The length of the fixstr or str8 at the read position, which moves past its head, checked
   * against the record's end; -1 (position unchanged) for anything else.
   */
  private strHead(): number {
    const bytes = this.bytes;
    const at = this.pos;
    const b = bytes[at] as number;
    let length: number;
    if (b >= FIXSTR && b <= FIXSTR + 0x1f) {
      length = b & 0x1f;
      this.pos = at + 1;
    } else if (b === STR8 && at + 1 < this.end) {
      length = bytes[at + 1] as number;
      this.pos = at + 2;
    } else return -1;
    if (this.pos + length > this.end) throw new Error('a string runs past the end of the record');
    return length;
  }

  /** An unsigned integer in its usual encodings; anything else through {@link value}. */
  private count(): unknown {
    const bytes = this.bytes;
    const at = this.pos;
    const b = bytes[at] as number;
    if (b < 0x80) {
      this.pos = at + 1;
      return b;
    }
    if (b === 0xcd && at + 3 <= this.end) {
      this.pos = at + 3;
      return ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number);
    }
    if (b === 0xce && at + 5 <= this.end) {
      this.pos = at + 5;
      return this.view.getUint32(at + 1);
    }
    if (b === 0xcf && at + 9 <= this.end) {
      this.pos = at + 9;
      return this.view.getUint32(at + 1) * 0x1_0000_0000 + this.view.getUint32(at + 5);
    }
    return this.value();
  }

  /** True when the `length` bytes at the read position equal those at `from`. */
  private sameBytes(from: number, length: number): boolean {
    const at = this.pos;
    if (at + length > this.end) return false;
    const view = this.view;
    let i = 0;
    for (; i + 4 <= length; i += 4)
      if (view.getInt32(at + i, true) !== view.getInt32(from + i, true)) return false;
    const bytes = this.bytes;
    for (; i < length; i++) if (bytes[at + i] !== bytes[from + i]) return false;
    return true;
  }

  private skip<T>(value: T, length: number): T {
    this.pos += length;
    return value;
  }

  private value(): unknown {
    const b = this.bytes[this.pos++];
    if (b === undefined || this.pos > this.end) throw new Error('the record ends inside a value');
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b <= 0xbf) return this.string(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.array(b & 0x0f);
    if (b <= 0x8f) return this.map(b & 0x0f);
    const v = this.view;
    const p = this.pos;
    if (p + (SIZES[b - 0xc0] as number) > this.end)
      throw new Error('the record ends inside a value');
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        this.pos += 1;
        return this.binary(v.getUint8(p));
      case 0xc5:
        this.pos += 2;
        return this.binary(v.getUint16(p));
      case 0xc6:
        this.pos += 4;
        return this.binary(v.getUint32(p));
      case 0xca:
        this.pos += 4;
        return v.getFloat32(p);
      case 0xcb:
        this.pos += 8;
        return v.getFloat64(p);
      case 0xcc:
        this.pos += 1;
        return v.getUint8(p);
      case 0xcd:
        this.pos += 2;
        return v.getUint16(p);
      case 0xce:
        this.pos += 4;
        return v.getUint32(p);
      case 0xcf:
        this.pos += 8;
        return v.getUint32(p) * 0x1_0000_0000 + v.getUint32(p + 4);
      case 0xd0:
        this.pos += 1;
        return v.getInt8(p);
      case 0xd1:
        this.pos += 2;
        return v.getInt16(p);
      case 0xd2:
        this.pos += 4;
        return v.getInt32(p);
      case 0xd3:
        this.pos += 8;
        return v.getInt32(p) * 0x1_0000_0000 + v.getUint32(p + 4);
      case 0xd9:
        this.pos += 1;
        return this.string(v.getUint8(p));
      case 0xda:
        this.pos += 2;
        return this.string(v.getUint16(p));
      case 0xdb:
        this.pos += 4;
        return this.string(v.getUint32(p));
      case 0xdc:
        this.pos += 2;
        return this.array(v.getUint16(p));
      case 0xdd:
        this.pos += 4;
        return this.array(v.getUint32(p));
      case 0xde:
        this.pos += 2;
        return this.map(v.getUint16(p));
      case 0xdf:
        this.pos += 4;
        return this.map(v.getUint32(p));
      default:
        throw new Unsupported();
    }
  }

  /** A payload string: made when short, interned up to INTERNED_STRING, made when longer. */
  private string(length: number): string {
    const start = this.pos;
    if (start + length > this.end) throw new Error('a string runs past the end of the record');
    this.pos = start + length;
    if (length === 0) return '';
    if (length <= SHORT_STRING || length > INTERNED_STRING) return this.text(start, length);
    return this.ids.lookup(this, this.bytes, this.view, start, length);
  }

  private binary(length: number): Uint8Array {
    const start = this.pos;
    if (start + length > this.end) throw new Error('binary data runs past the end of the record');
    this.pos = start + length;
    return this.bytes.slice(start, start + length);
  }

  private array(length: number): unknown[] {
    if (length > this.end - this.pos) throw new Error('an array is longer than its record');
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = this.value();
    return out;
  }

  private map(size: number): Record<string, unknown> {
    if (size * 2 > this.end - this.pos) throw new Error('a map is longer than its record');
    const out: Record<string, unknown> = {};
    for (let i = 0; i < size; i++) {
      const key = this.interned(this.names);
      // The runtime's decoder refuses these keys; so does this one, through it.
      if ((typeof key !== 'string' && typeof key !== 'number') || key === '__proto__')
        throw new Unsupported();
      out[key] = this.value();
    }
    return out;
  }
}

// The bytes after each head 0xc0 … 0xdf that must be in the record before it is read.
const SIZES = Uint8Array.from({ length: 32 }, (_, i) => {
  const head = 0xc0 + i;
  if (head === 0xc4 || head === 0xcc || head === 0xd0 || head === 0xd9) return 1;
  if (
    head === 0xc5 ||
    head === 0xcd ||
    head === 0xd1 ||
    head === 0xda ||
    head === 0xdc ||
    head === 0xde
  )
    return 2;
  if (
    head === 0xc6 ||
    head === 0xca ||
    head === 0xce ||
    head === 0xd2 ||
    head === 0xdb ||
    head === 0xdd ||
    head === 0xdf
  )
    return 4;
  if (head === 0xcb || head === 0xcf || head === 0xd3) return 8;
  return 0;
});

/** The ASCII string of `length` (1 … SHORT_STRING) bytes at `s`. */
function shortAscii(b: Uint8Array, s: number, length: number): string {
  switch (length) {
    case 1:
      return fromCharCode(b[s]);
    case 2:
      return fromCharCode(b[s], b[s + 1]);
    case 3:
      return fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8:
      return fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
      );
    case 9:
      return fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
      );
    case 10:
      return fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
      );
    case 11:
      return fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
      );
    case 12:
      return fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
      );
    default:
      throw new RangeError(`a short string has 1 to ${SHORT_STRING} bytes, not ${length}`);
  }
}
