import { crc32c } from './crc32c.ts';

/**
 * The record frame of the file store. Every record is
 *
 * ```
 * [crc32c: u32 LE][length: u32 LE][kind: u8][body: length - 1 bytes of msgpack]
 * ```
 *
 * where the CRC-32C covers the length, the kind and the body (bytes 4 … 8 + length), so a
 * damaged length is caught like damaged data, and a run of zero bytes is never a valid record.
 */
export const FRAME_HEAD = 9;

/** The kinds of record a segment holds. */
export const RecordKind = {
  /** The log header (first record of the first segment). */
  Header: 1,
  /** A journaled input. */
  Input: 2,
  /** An event; it is committed only once its tick's commit record follows. */
  Event: 3,
  /** A tick's commit record. */
  Commit: 4,
  /** A snapshot: `[tick, lastSeq, lastInput, bytes]`. */
  Snapshot: 5,
} as const;

/** One of the {@link RecordKind} values. */
export type RecordKindValue = (typeof RecordKind)[keyof typeof RecordKind];

/** The largest record body accepted (a snapshot of a large state), 1 GiB. */
export const MAX_BODY = 1 << 30;

/** The size of the frame around a body of `bodyLength` bytes. */
export function frameSize(bodyLength: number): number {
  return FRAME_HEAD + bodyLength;
}

/** Writes one framed record into `target` at `at`; returns the offset after it. */
export function writeFrame(
  target: Uint8Array,
  at: number,
  kind: RecordKindValue,
  body: Uint8Array,
): number {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  view.setUint32(at + 4, body.length + 1, true);
  target[at + 8] = kind;
  target.set(body, at + FRAME_HEAD);
  view.setUint32(at, crc32c(target, at + 4, at + FRAME_HEAD + body.length), true);
  return at + FRAME_HEAD + body.length;
}

/** What {@link checkFrame} found at an offset. */
export type FrameCheck =
  | { readonly status: 'ok'; readonly kind: RecordKindValue; readonly size: number }
  /** The bytes end before the record does; `need` is the record's full size when known. */
  | { readonly status: 'short'; readonly need: number }
  | { readonly status: 'bad'; readonly reason: string };

/** Checks the frame starting at `at` in `bytes[0, end)`. */
export function checkFrame(bytes: Uint8Array, at: number, end: number): FrameCheck {
  if (end - at < 8) return { status: 'short', need: FRAME_HEAD };
  const length = readU32(bytes, at + 4);
  if (length < 1 || length - 1 > MAX_BODY)
    return { status: 'bad', reason: `record length ${length} is impossible` };
  const size = 8 + length;
  if (end - at < size) return { status: 'short', need: size };
  const kind = bytes[at + 8] as number;
  const stored = readU32(bytes, at);
  if (crc32c(bytes, at + 4, at + size) !== stored)
    return { status: 'bad', reason: 'checksum mismatch' };
  if (kind < RecordKind.Header || kind > RecordKind.Snapshot)
    return { status: 'bad', reason: `unknown record kind ${kind}` };
  return { status: 'ok', kind: kind as RecordKindValue, size };
}

/**
 * The size of the good record starting at `at` in `bytes[0, end)`, or 0 when it is not one
 * (bad, or cut short by `end`: {@link checkFrame} says which). The scan's path for the records
 * that are fine, which allocates nothing.
 */
export function goodFrameSize(bytes: Uint8Array, at: number, end: number): number {
  if (end - at < FRAME_HEAD) return 0;
  const length = readU32(bytes, at + 4);
  if (length < 1 || length - 1 > MAX_BODY || end - at < 8 + length) return 0;
  const kind = bytes[at + 8] as number;
  if (kind < RecordKind.Header || kind > RecordKind.Snapshot) return 0;
  return crc32c(bytes, at + 4, at + 8 + length) === readU32(bytes, at) ? 8 + length : 0;
}

/**
 * True when a valid record starts anywhere in `bytes[from, end)`. Tells a torn tail (nothing
 * valid after the damage: a write the crash cut short) from damage in the middle of the log.
 */
export function validFrameAfter(bytes: Uint8Array, from: number, end: number): boolean {
  for (let at = from; at + FRAME_HEAD <= end; at++) {
    const length = readU32(bytes, at + 4);
    if (length < 1 || at + 8 + length > end) continue;
    const kind = bytes[at + 8] as number;
    if (kind < RecordKind.Header || kind > RecordKind.Snapshot) continue;
    if (crc32c(bytes, at + 4, at + 8 + length) === readU32(bytes, at)) return true;
  }
  return false;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}
