import { encodeValue } from '@causeway/runtime';

/** A value the fast msgpack writer leaves to the runtime's encoder (non-ASCII text, a Date…). */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

// @msgpack/msgpack's default depth limit: deeper values go to the runtime's encoder, which
// refuses them with its own message.
const MAX_DEPTH = 100;
// Strings up to this length are copied by a loop; longer ones by Node's native UTF-8 writer.
const SHORT_STRING = 24;
// COPY's binary signature, then a flags word and the length of a header extension (both 0).
const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const HEADER = SIGNATURE.length + 8;

/**
 * Writes rows in the binary format of `COPY … FROM … (FORMAT binary)`, into one growing
 * buffer: a tick's events go to Postgres as one COPY, which the server loads with
 * `heap_multi_insert` and no per-row parsing of text.
 *
 * `bytea` fields are written as msgpack straight from the value, byte for byte what the
 * runtime's `encodeValue` (@msgpack/msgpack) makes, about three times as fast; a value the writer
 * does not handle exactly (non-ASCII text, a `Date`, a `Map`, a typed array other than
 * `Uint8Array`, an object with a prototype) is encoded by `encodeValue` instead.
 *
 * @example
 * ```ts
 * const rows = new CopyRows(events.length * 400);
 * for (const e of events) {
 *   rows.row(2);
 *   rows.int8(e.seq);
 *   rows.msgpack(e.data);
 * }
 * await tx.copyIn('events', 'seq, data', rows.finish());
 * ```
 */
export class CopyRows {
  private buf: Buffer;
  private view: DataView;
  private pos = HEADER;

  /** `capacity` is a first guess of the bytes needed; the buffer grows when it is short. */
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 1024));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.buf.set(SIGNATURE, 0);
    this.view.setInt32(SIGNATURE.length, 0);
    this.view.setInt32(SIGNATURE.length + 4, 0);
  }

  /** Starts a row of `fields` fields, which the next `fields` calls write. */
  row(fields: number): void {
    this.ensure(2);
    this.view.setInt16(this.pos, fields);
    this.pos += 2;
  }

  /** Ends the data and returns it (a view of the writer's buffer). */
  finish(): Uint8Array {
    this.ensure(2);
    this.view.setInt16(this.pos, -1);
    this.pos += 2;
    return this.buf.subarray(0, this.pos);
  }

  /** Writes a `text` field, or SQL NULL for `null`. */
  text(s: string | null): void {
    if (s === null) {
      this.ensure(4);
      this.view.setInt32(this.pos, -1);
      this.pos += 4;
      return;
    }
    const length = s.length;
    this.ensure(4 + length * 3);
    const b = this.buf;
    const p = this.pos + 4;
    let written = length;
    if (length <= SHORT_STRING) {
      for (let i = 0; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          written = b.write(s, p, 'utf8');
          break;
        }
        b[p + i] = c;
      }
    } else written = b.write(s, p, 'utf8');
    this.view.setInt32(this.pos, written);
    this.pos = p + written;
  }

  /** Writes an `int8` field (a safe integer). */
  int8(n: number): void {
    this.ensure(12);
    const v = this.view;
    const hi = Math.floor(n / 0x1_0000_0000);
    v.setInt32(this.pos, 8);
    v.setInt32(this.pos + 4, hi);
    v.setUint32(this.pos + 8, n - hi * 0x1_0000_0000);
    this.pos += 12;
  }

  /** Writes an `int4` field. */
  int4(n: number): void {
    this.ensure(8);
    this.view.setInt32(this.pos, 4);
    this.view.setInt32(this.pos + 4, n);
    this.pos += 8;
  }

  /**
   * Writes a `bytea` field holding `value` as msgpack.
   * @throws whatever `encodeValue` throws for a value msgpack cannot carry
   */
  msgpack(value: unknown): void {
    this.ensure(4);
    const start = this.pos;
    this.pos = start + 4;
    try {
      this.value(value, 1);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      this.pos = start + 4;
      const bytes = encodeValue(value);
      this.ensure(bytes.length);
      this.buf.set(bytes, this.pos);
      this.pos += bytes.length;
    }
    this.view.setInt32(start, this.pos - start - 4);
  }

  private value(v: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw UNSUPPORTED;
    if (v === null || v === undefined) this.byte(0xc0);
    else if (typeof v === 'string') this.string(v);
    else if (typeof v === 'number') this.number(v);
    else if (typeof v === 'boolean') this.byte(v ? 0xc3 : 0xc2);
    else if (Array.isArray(v)) this.array(v as readonly unknown[], depth);
    else if (v instanceof Uint8Array) this.binary(v);
    else if (typeof v === 'object') {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) throw UNSUPPORTED;
      this.map(v as Record<string, unknown>, depth);
    } else throw UNSUPPORTED;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A number as @msgpack/msgpack writes it: the smallest integer format, else float 64. */
  private number(n: number): void {
    this.ensure(9);
    const b = this.buf;
    const v = this.view;
    const p = this.pos;
    if (Number.isSafeInteger(n)) {
      if (n >= 0) {
        if (n < 0x80) {
          b[p] = n;
          this.pos = p + 1;
        } else if (n < 0x100) {
          b[p] = 0xcc;
          b[p + 1] = n;
          this.pos = p + 2;
        } else if (n < 0x10000) {
          b[p] = 0xcd;
          v.setUint16(p + 1, n);
          this.pos = p + 3;
        } else if (n < 0x100000000) {
          b[p] = 0xce;
          v.setUint32(p + 1, n);
          this.pos = p + 5;
        } else {
          b[p] = 0xcf;
          v.setUint32(p + 1, n / 0x1_0000_0000);
          v.setUint32(p + 5, n);
          this.pos = p + 9;
        }
      } else if (n >= -0x20) {
        b[p] = 0xe0 | (n + 0x20);
        this.pos = p + 1;
      } else if (n >= -0x80) {
        b[p] = 0xd0;
        v.setInt8(p + 1, n);
        this.pos = p + 2;
      } else if (n >= -0x8000) {
        b[p] = 0xd1;
        v.setInt16(p + 1, n);
        this.pos = p + 3;
      } else if (n >= -0x80000000) {
        b[p] = 0xd2;
        v.setInt32(p + 1, n);
        this.pos = p + 5;
      } else {
        b[p] = 0xd3;
        v.setUint32(p + 1, Math.floor(n / 0x1_0000_0000));
        v.setUint32(p + 5, n);
        this.pos = p + 9;
      }
    } else {
      b[p] = 0xcb;
      v.setFloat64(p + 1, n);
      this.pos = p + 9;
    }
  }

  /** An ASCII string; anything else is left to the runtime's encoder. */
  private string(s: string): void {
    const length = s.length;
    this.ensure(length + 5);
    const b = this.buf;
    let p = this.pos;
    if (length < 32) b[p++] = 0xa0 | length;
    else if (length < 0x100) {
      b[p] = 0xd9;
      b[p + 1] = length;
      p += 2;
    } else if (length < 0x10000) {
      b[p] = 0xda;
      this.view.setUint16(p + 1, length);
      p += 3;
    } else {
      b[p] = 0xdb;
      this.view.setUint32(p + 1, length);
      p += 5;
    }
    if (length <= SHORT_STRING) {
      for (let i = 0; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) throw UNSUPPORTED;
        b[p + i] = c;
      }
    } else if (b.write(s, p, 'utf8') !== length) {
      // Non-ASCII text: its UTF-8 length differs from its length, and so would the header.
      throw UNSUPPORTED;
    }
    this.pos = p + length;
  }

  private array(a: readonly unknown[], depth: number): void {
    this.count(a.length, 0x90, 0xdc, 0xdd);
    for (let i = 0; i < a.length; i++) this.value(a[i], depth + 1);
  }

  private map(o: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(o);
    this.count(keys.length, 0x80, 0xde, 0xdf);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      this.string(key);
      this.value(o[key], depth + 1);
    }
  }

  /** An array's or map's header: its fix form below 16 entries, else 16 or 32 bits. */
  private count(n: number, fix: number, head16: number, head32: number): void {
    this.ensure(5);
    const p = this.pos;
    if (n < 16) {
      this.buf[p] = fix + n;
      this.pos = p + 1;
    } else if (n < 0x10000) {
      this.buf[p] = head16;
      this.view.setUint16(p + 1, n);
      this.pos = p + 3;
    } else {
      this.buf[p] = head32;
      this.view.setUint32(p + 1, n);
      this.pos = p + 5;
    }
  }

  private binary(v: Uint8Array): void {
    const n = v.byteLength;
    this.ensure(n + 5);
    const b = this.buf;
    const p = this.pos;
    if (n < 0x100) {
      b[p] = 0xc4;
      b[p + 1] = n;
      this.pos = p + 2;
    } else if (n < 0x10000) {
      b[p] = 0xc5;
      this.view.setUint16(p + 1, n);
      this.pos = p + 3;
    } else {
      b[p] = 0xc6;
      this.view.setUint32(p + 1, n);
      this.pos = p + 5;
    }
    b.set(v, this.pos);
    this.pos += n;
  }

  /** Makes room for `n` more bytes after `pos`. */
  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}
