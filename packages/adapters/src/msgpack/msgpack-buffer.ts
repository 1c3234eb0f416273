/** Thrown (one shared instance) for a value the fast writer leaves to the runtime's encoder. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

/** True for the fast writer's "not mine" signal: encode the value with `encodeValue` instead. */
export function isUnsupported(err: unknown): boolean {
  return err instanceof Unsupported;
}

// @msgpack/msgpack's default depth limit: deeper values go to the runtime's encoder, which
// refuses them with its own message.
const MAX_DEPTH = 100;
// Strings up to this length are copied by a loop; longer ones by Node's native UTF-8 writer.
const SHORT_STRING = 24;

/**
 * A growable byte buffer with a msgpack writer that makes exactly the bytes of the runtime's
 * `encodeValue` (@msgpack/msgpack, `ignoreUndefined: false`) for the values stores carry most —
 * plain objects and arrays, numbers, ASCII strings, booleans, null, `Uint8Array` — without an
 * intermediate buffer per value. Anything else (non-ASCII text, a `Date`, a `Map`, another typed
 * array, an object with a prototype, nesting deeper than 100) throws the signal
 * {@link isUnsupported} recognises, and the caller encodes that value with `encodeValue`.
 *
 * The file store frames event records with it, the SQL store writes COPY rows with it.
 */
export class MsgpackBuffer {
  protected buf: Buffer;
  protected view: DataView;
  protected pos = 0;

  /**
   * @param capacity a first guess of the bytes needed; the buffer doubles when short.
   * @param slack bytes kept free after `pos` at every growth (room a subclass writes later).
   */
  constructor(
    capacity: number,
    private readonly slack = 0,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 1024));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Writes `v` as msgpack; `depth` is the nesting level `v` stands at (1 for a top value). */
  protected value(v: unknown, depth: number): void {
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

  protected byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A number as @msgpack/msgpack writes it: the smallest integer format, else float 64. */
  protected number(n: unknown): void {
    if (typeof n !== 'number') throw UNSUPPORTED;
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
  protected string(s: unknown): void {
    if (typeof s !== 'string') throw UNSUPPORTED;
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

  protected array(a: readonly unknown[], depth: number): void {
    this.count(a.length, 0x90, 0xdc, 0xdd);
    for (let i = 0; i < a.length; i++) this.value(a[i], depth + 1);
  }

  protected map(o: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(o);
    this.count(keys.length, 0x80, 0xde, 0xdf);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      this.string(key);
      this.value(o[key], depth + 1);
    }
  }

  /** An array's or map's header: its fix form below 16 entries, else 16 or 32 bits. */
  protected count(n: number, fix: number, head16: number, head32: number): void {
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

  protected binary(v: Uint8Array): void {
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

  /** Copies raw bytes. */
  protected bytes(body: Uint8Array): void {
    this.ensure(body.length);
    this.buf.set(body, this.pos);
    this.pos += body.length;
  }

  /** Makes room for `n` more bytes (and the slack) after `pos`. */
  protected ensure(n: number): void {
    const need = this.pos + n + this.slack;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}
