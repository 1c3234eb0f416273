import { open, readdir, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { readIndexFile } from './index-file.ts';
import { LogIndex, RecordError } from './log-index.ts';
import { ManifestError, readManifest } from './manifest.ts';
import type { Manifest } from './manifest.ts';
import { checkFrame, goodFrameSize, validFrameAfter } from './records.ts';
import type { RecordKindValue } from './records.ts';

/** Bytes read at once when scanning: big reads, decoded sequentially, not a syscall a record. */
export const SCAN_CHUNK = 8 << 20;

/** The file name of segment `n`: `00000001.seg`. */
export function segmentName(n: number): string {
  return `${String(n).padStart(8, '0')}.seg`;
}

/** The path of segment `n` in `dir`. */
export function segmentPath(dir: string, n: number): string {
  return join(dir, segmentName(n));
}

/** Whether segment `n` is on disk; any failure other than its absence is thrown. */
export async function segmentExists(dir: string, n: number): Promise<boolean> {
  try {
    await stat(segmentPath(dir, n));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * The segment numbers in `dir`, in order. A missing folder has none.
 * @throws RecordError-free: a gap in the numbering is returned as `missing`.
 */
export async function listSegments(
  dir: string,
): Promise<{ segments: number[]; missing: number | null }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { segments: [], missing: null };
    throw error;
  }
  const segments = names
    .filter((n) => /^\d{8}\.seg$/.test(n))
    .map((n) => Number(n.slice(0, 8)))
    .sort((a, b) => a - b);
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] !== i + 1) return { segments: segments.slice(0, i), missing: i + 1 };
  }
  return { segments, missing: null };
}

/** The size of each of `segments` in `dir`, by segment number. */
export async function segmentSizes(
  dir: string,
  segments: readonly number[],
): Promise<Map<number, number>> {
  const sizes = new Map<number, number>();
  for (const n of segments) sizes.set(n, (await stat(segmentPath(dir, n))).size);
  return sizes;
}

/** Reads `length` bytes at `position` into a new buffer; shorter when the file ends first. */
export async function readAt(
  handle: FileHandle,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  const done = await readInto(handle, buffer, position, length);
  return done === length ? buffer : buffer.subarray(0, done);
}

/**
 * Reads `length` bytes at `position` into `buffer` from its start; returns how many it read
 * (fewer when the file ends first).
 */
export async function readInto(
  handle: FileHandle,
  buffer: Uint8Array,
  position: number,
  length: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** A record a scan found bad: where, and why. */
export interface BadRecord {
  readonly offset: number;
  readonly reason: string;
}

/** How a segment scan ended. */
export interface SegmentScan {
  /** Offset after the last good record. */
  readonly end: number;
  /** The first bad record, or null when the segment ended on a record boundary. */
  readonly bad: BadRecord | null;
  /**
   * Zero bytes from `end` to the end of the file: the space a writer reserves ahead of its
   * appends (see docs/file-store.md), left there by a writer that is running or crashed. Not a
   * record and not damage; 0 when the records run to the end.
   */
  readonly fill: number;
}

/**
 * Called with each good record of a scan: its kind, the chunk it was read into, where its frame
 * starts in the chunk and its size, and its byte offset in the segment. The chunk is reused for
 * the next read: copy what must outlive the call.
 */
export type RecordVisitor = (
  kind: RecordKindValue,
  chunk: Uint8Array,
  at: number,
  size: number,
  offset: number,
) => void;

/**
 * Reads the records of one segment from `from` to `size` in large chunks (into one reused
 * buffer) and hands each good one to `onRecord`, until the end or the first bad record.
 */
export async function scanSegment(
  handle: FileHandle,
  from: number,
  size: number,
  onRecord: RecordVisitor,
): Promise<SegmentScan> {
  let position = from;
  let want = SCAN_CHUNK;
  let buffer = new Uint8Array(Math.max(0, Math.min(SCAN_CHUNK, size - from)));
  while (position < size) {
    const length = Math.min(want, size - position);
    if (buffer.length < length) buffer = new Uint8Array(length);
    const got = await readInto(handle, buffer, position, length);
    if (got === 0) break;
    let at = 0;
    while (at < got) {
      const good = goodFrameSize(buffer, at, got);
      if (good > 0) {
        onRecord(buffer[at + 8] as RecordKindValue, buffer, at, good, position + at);
        at += good;
        continue;
      }
      const check = checkFrame(buffer, at, got);
      if (check.status === 'ok') {
        onRecord(check.kind, buffer, at, check.size, position + at);
        at += check.size;
        continue;
      }
      // A zero length is never a record's: zeros from here to the file's end are the reserve.
      if (
        (check.status === 'bad' || position + got >= size) &&
        (await zerosToEnd(handle, buffer, at, got, position, size))
      )
        return { end: position + at, bad: null, fill: size - position - at };
      if (check.status === 'bad')
        return {
          end: position + at,
          bad: { offset: position + at, reason: check.reason },
          fill: 0,
        };
      // Short: the record runs past this chunk. Read on from its start, or stop at the file's end.
      if (position + got >= size) {
        return {
          end: position + at,
          bad: { offset: position + at, reason: 'the record is cut short by the end of the file' },
          fill: 0,
        };
      }
      want = Math.max(SCAN_CHUNK, check.need);
      break;
    }
    position += at;
  }
  return { end: position, bad: null, fill: 0 };
}

/**
 * True when every byte from `at` in `buffer` (holding `got` bytes read at `position`) to the
 * file's `size` is zero. The rest of the file past the buffer is read in chunks.
 */
async function zerosToEnd(
  handle: FileHandle,
  buffer: Uint8Array,
  at: number,
  got: number,
  position: number,
  size: number,
): Promise<boolean> {
  if (!allZero(buffer, at, got)) return false;
  let from = position + got;
  if (from >= size) return true;
  const chunk = new Uint8Array(Math.min(SCAN_CHUNK, size - from));
  while (from < size) {
    const read = await readInto(handle, chunk, from, Math.min(chunk.length, size - from));
    if (read === 0) return true;
    if (!allZero(chunk, 0, read)) return false;
    from += read;
  }
  return true;
}

function allZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** True when a good record starts after `offset` in the segment. */
export async function validRecordAfter(
  handle: FileHandle,
  offset: number,
  size: number,
): Promise<boolean> {
  if (offset + 1 >= size) return false;
  const rest = await readAt(handle, offset + 1, size - offset - 1);
  return validFrameAfter(rest, 0, rest.length);
}

/** Damage found by {@link scanLog}. */
export interface LogDamage {
  readonly segment: number;
  readonly offset: number;
  readonly reason: string;
  /**
   * `torn`: nothing good follows (a write cut short by a crash), cut automatically on open.
   * `corrupt`: good records follow, or a record breaks the log's rules: never skipped.
   */
  readonly kind: 'torn' | 'corrupt';
}

/** What a whole-log scan found. */
export interface LogScan {
  readonly index: LogIndex;
  readonly segments: number[];
  /** Size of each segment file, by segment number. */
  readonly sizes: Map<number, number>;
  /** The end of the last good record that is not an uncommitted event: where the log can be cut. */
  readonly cut: { readonly segment: number; readonly offset: number };
  /** The first damage, or null. */
  readonly damage: LogDamage | null;
  /**
   * The zero bytes a writer reserved after the last record of the segment the scan ended in
   * (see {@link SegmentScan.fill}), or null when there are none.
   */
  readonly fill: { readonly segment: number; readonly bytes: number } | null;
  /** Events after the last commit record, before any damage (never committed). */
  readonly uncommittedEvents: number;
  /** The folder's manifest, or null when it has none (or it is unreadable: see `damage`). */
  readonly manifest: Manifest | null;
}

/** Options of {@link scanLog}. */
export interface ScanOptions {
  /** Decode every event and check its seq and tick (the `check` command); opening trusts checksums. */
  readonly verifyEvents?: boolean;
  /** Called after each chunk with the records and bytes read so far. */
  readonly onProgress?: (records: number, bytes: number) => void;
  /**
   * Start from the folder's index file when it holds (see `readIndexFile`), scanning only the
   * records after it: the writer's open. `check` and `repair` read everything.
   */
  readonly useIndexFile?: boolean;
}

/**
 * Reads a whole log folder, building its index and finding the first damage. Changes nothing:
 * the writer cuts a torn tail with the result, `check` reports it, `repair` cuts to `cut`.
 */
export async function scanLog(dir: string, options: ScanOptions = {}): Promise<LogScan> {
  let index = new LogIndex(options.verifyEvents ?? false);
  const { segments, missing } = await listSegments(dir);
  let manifest: Manifest | null = null;
  let manifestProblem: string | null = null;
  try {
    manifest = await readManifest(dir);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    manifestProblem = error.message;
  }
  const sizes = await segmentSizes(dir, segments);
  let cut = { segment: segments[0] ?? 1, offset: 0 };
  let damage: LogDamage | null = null;
  let fill: { segment: number; bytes: number } | null = null;
  let bytes = 0;
  let first = 0;
  let from = 0;
  const checkpoint =
    options.useIndexFile === true && options.verifyEvents !== true
      ? await readIndexFile(dir, sizes)
      : null;
  if (checkpoint !== null && !segments.includes(checkpoint.segment))
    await checkpoint.index.release();
  else if (checkpoint !== null) {
    index = checkpoint.index;
    first = segments.indexOf(checkpoint.segment);
    from = checkpoint.offset;
    cut = { segment: checkpoint.segment, offset: checkpoint.offset };
  }
  for (let i = first; i < segments.length && damage === null; i++) {
    const segment = segments[i] as number;
    const start = i === first ? from : 0;
    const size = sizes.get(segment) ?? 0;
    const laterHasData = segments.slice(i + 1).some((n) => (sizes.get(n) ?? 0) > 0);
    const handle = await open(segmentPath(dir, segment), 'r');
    try {
      if (index.pending.length === 0) cut = { segment, offset: start };
      let lastProgress = 0;
      const scan = await scanSegment(handle, start, size, (kind, chunk, at, length, offset) => {
        if (damage !== null) return;
        try {
          index.ingest(kind, chunk, at, length, segment, offset);
        } catch (error) {
          if (!(error instanceof RecordError)) throw error;
          damage = { segment, offset, reason: error.message, kind: 'corrupt' };
          return;
        }
        if (index.pending.length === 0) cut = { segment, offset: offset + length };
        if (options.onProgress !== undefined && index.records - lastProgress >= 100_000) {
          lastProgress = index.records;
          options.onProgress(index.records, bytes + offset + length);
        }
      });
      bytes += size;
      if (damage !== null) break;
      fill = scan.fill > 0 ? { segment, bytes: scan.fill } : null;
      if (scan.fill > 0 && laterHasData) {
        damage = {
          segment,
          offset: scan.end,
          reason: `${scan.fill} zero bytes end the segment where records should be (later segments hold records)`,
          kind: 'corrupt',
        };
      } else if (scan.bad !== null) {
        const corrupt = laterHasData || (await validRecordAfter(handle, scan.bad.offset, size));
        damage = {
          segment,
          offset: scan.bad.offset,
          reason: scan.bad.reason,
          kind: corrupt ? 'corrupt' : 'torn',
        };
      } else if (laterHasData && index.pending.length > 0) {
        damage = {
          segment,
          offset: index.pending.offset(0),
          reason:
            'the segment ends inside a tick (its events are not followed by their commit record)',
          kind: 'corrupt',
        };
      }
    } finally {
      await handle.close();
    }
  }
  if (damage === null && missing !== null) {
    damage = {
      segment: missing,
      offset: 0,
      reason: `segment ${segmentName(missing)} is missing`,
      kind: 'corrupt',
    };
  }
  if (damage === null && manifest !== null && manifest.segments > segments.length) {
    damage = {
      segment: segments.length + 1,
      offset: 0,
      reason: `segment ${segmentName(segments.length + 1)} is missing: the log's manifest records ${manifest.segments} segment(s), the folder holds ${segments.length}, so its tail was deleted or lost (restore the missing files from a backup if there is one)`,
      kind: 'corrupt',
    };
  }
  if (damage === null && manifestProblem !== null) {
    damage = { segment: segments.length, offset: 0, reason: manifestProblem, kind: 'corrupt' };
  }
  return {
    index,
    segments,
    sizes,
    cut,
    damage,
    fill,
    uncommittedEvents: index.pending.length,
    manifest,
  };
}
