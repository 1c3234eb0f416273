// A UUID in its canonical lowercase form (8-4-4-4-12 hex digits) as four 32-bit words, and
// back. The memory store keeps event ids this way: a kept id string is an object the garbage
// collector copies twice before it settles and a few dozen bytes of heap the process must map,
// where four words of a typed array are 16 bytes and no object.

/** The value of each hex digit's char code below 128, -1 for any other character. */
const DIGIT = Int8Array.from({ length: 128 }, (_, c) =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1,
);
/** The char code of each hex digit's value. */
const CHAR = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const HYPHEN = 0x2d;

/**
 * Writes `id`'s 128 bits as four words at `words[k … k + 4)` when it is a UUID in canonical
 * lowercase form (any version); otherwise writes nothing and returns false.
 */
export function uuidToWords(id: string, words: Int32Array, k: number): boolean {
  if (
    id.length !== 36 ||
    id.charCodeAt(8) !== HYPHEN ||
    id.charCodeAt(13) !== HYPHEN ||
    id.charCodeAt(18) !== HYPHEN ||
    id.charCodeAt(23) !== HYPHEN
  )
    return false;
  const a = hexWord(id, 0, 4);
  const b = hexWord(id, 9, 14);
  const c = hexWord(id, 19, 24);
  const d = hexWord(id, 28, 32);
  if (a === BAD || b === BAD || c === BAD || d === BAD) return false;
  words[k] = a;
  words[k + 1] = b;
  words[k + 2] = c;
  words[k + 3] = d;
  return true;
}

/** Not a 32-bit word: what {@link hexWord} returns for a character that is not a lowercase hex digit. */
const BAD = 0x1_0000_0000;

/**
 * The 32-bit word of the four hex digits at `first` and the four at `second` (for a word split
 * by a hyphen; `second` is `first + 4` for one that is not), or BAD.
 */
function hexWord(id: string, first: number, second: number): number {
  let word = 0;
  let bad = 0;
  for (let i = 0; i < 8; i++) {
    const c = id.charCodeAt(i < 4 ? first + i : second + i - 4);
    const digit = c < 128 ? (DIGIT[c] as number) : -1;
    bad |= digit;
    word = (word << 4) | (digit & 15);
  }
  return bad < 0 ? BAD : word;
}

const fromCharCode = String.fromCharCode;

/**
 * The UUID of these four 32-bit words, in canonical lowercase form: one flat string, made by
 * one call with its 36 character codes (concatenated pieces would make a rope).
 */
export function uuidOf(a: number, b: number, c: number, d: number): string {
  return fromCharCode(
    digit(a, 28),
    digit(a, 24),
    digit(a, 20),
    digit(a, 16),
    digit(a, 12),
    digit(a, 8),
    digit(a, 4),
    digit(a, 0),
    HYPHEN,
    digit(b, 28),
    digit(b, 24),
    digit(b, 20),
    digit(b, 16),
    HYPHEN,
    digit(b, 12),
    digit(b, 8),
    digit(b, 4),
    digit(b, 0),
    HYPHEN,
    digit(c, 28),
    digit(c, 24),
    digit(c, 20),
    digit(c, 16),
    HYPHEN,
    digit(c, 12),
    digit(c, 8),
    digit(c, 4),
    digit(c, 0),
    digit(d, 28),
    digit(d, 24),
    digit(d, 20),
    digit(d, 16),
    digit(d, 12),
    digit(d, 8),
    digit(d, 4),
    digit(d, 0),
  );
}

/**
 * Reads UUIDs kept as words. Ids made one after the other in a log share their first 24
 * characters (a UUIDv7's time and counter) for thousands of ids: those are made once and kept
 * while they repeat, and each id is that head joined to its own last 12 characters.
 */
export class UuidReader {
  // The words the kept head was made from: the first two, and the third's high half.
  private a = 0;
  private b = 0;
  private c = -1;
  private head = '';

  /** The UUID of the four words at `words[k … k + 4)`. */
  read(words: Int32Array, k: number): string {
    const a = words[k] as number;
    const b = words[k + 1] as number;
    const c = words[k + 2] as number;
    const d = words[k + 3] as number;
    if (a !== this.a || b !== this.b || c >>> 16 !== this.c) {
      this.a = a;
      this.b = b;
      this.c = c >>> 16;
      this.head = uuidOf(a, b, c, 0).slice(0, 24);
    }
    return (
      this.head +
      fromCharCode(
        digit(c, 12),
        digit(c, 8),
        digit(c, 4),
        digit(c, 0),
        digit(d, 28),
        digit(d, 24),
        digit(d, 20),
        digit(d, 16),
        digit(d, 12),
        digit(d, 8),
        digit(d, 4),
        digit(d, 0),
      )
    );
  }
}

function digit(word: number, shift: number): number {
  return CHAR[(word >>> shift) & 15] as number;
}
