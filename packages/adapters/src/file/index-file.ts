import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeValue, encodeValue, isLogHeader } from '@causeway/runtime/store-kit';
import type { TickCommit } from '@causeway/runtime';
import { crc32c } from './crc32c.ts';
import { LogIndex, PlaceTable } from './log-index.ts';
import type { SnapshotPlace } from './log-index.ts';
import { syncFolder } from './manifest.ts';
import { readAt, segmentPath } from './segments.ts';

/** The index file's name in a store folder. */
export const INDEX_NAME = 'log.index';

const MAGIC = 0x58495743; // "CWIX", little-endian
const VERSION = 1;
const PREFIX = 16;

/** A position in the log: the end of the records an index covers. */
export interface IndexCover {
  readonly segment: number;
  readonly offset: number;
}

/** An index read back from its file and checked against the segments. */
export interface IndexCheckpoint extends IndexCover {
  readonly index: LogIndex;
}

/**
 * Saves what a scan of the log up to `cover` found (the header, every commit, every event,
 * input and snapshot place), so that the next open reads this file and scans only the records
 * after `cover` instead of the whole log. It is a cache: written by the writer when it closes,
 * never trusted without checking it against the segments (see {@link readIndexFile}), and a
 * log opens the same without it, only slower. `cover` must be a record boundary with no
 * uncommitted events before it.
 *
 * Layout: `[magic u32][version u32][crc32c u32 of the rest][meta length u32][meta msgpack]`
 * then, 8-byte aligned, the place columns of events and inputs and the commits' columns.
 */
export async function writeIndexFile(
  dir: string,
  index: LogIndex,
  cover: IndexCover,
): Promise<void> {
  const commits = index.commits;
  const hashes = commits.map((c) => c.hash);
  // Hashes are joined by newlines; a log whose hashes hold one is left without an index.
  if (hashes.some((h) => h.includes('\n'))) return;
  const boundary = await tailCheck(dir, cover);
  if (boundary === null) return;
  const meta = encodeValue([
    VERSION,
    cover.segment,
    cover.offset,
    boundary,
    index.header,
    index.records,
    index.snapshots.map((s) => [s.segment, s.offset, s.size, s.tick, s.lastSeq, s.lastInput]),
    index.events.length,
    index.inputs.length,
    commits.length,
    hashes.join('\n'),
    await sealedSizes(dir, cover.segment),
  ]);
  const columns: ArrayBufferView[] = [
    ...placeColumns(index.events),
    ...placeColumns(index.inputs),
    Float64Array.from(commits, (c) => c.at),
    Float64Array.from(commits, (c) => c.firstSeq),
    Float64Array.from(commits, (c) => c.lastSeq),
    Float64Array.from(commits, (c) => c.lastInput),
  ];
  const start = align8(PREFIX + meta.length);
  let total = start;
  for (const c of columns) total = align8(total + c.byteLength);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(12, meta.length, true);
  bytes.set(meta, PREFIX);
  let at = start;
  for (const c of columns) {
    bytes.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at = align8(at + c.byteLength);
  }
  view.setUint32(8, crc32c(bytes, 12, bytes.length), true);
  const path = join(dir, INDEX_NAME);
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncFolder(dir);
}

/** Removes the index file of `dir` (before the segments change below what it covers). */
export async function removeIndexFile(dir: string): Promise<void> {
  await unlink(join(dir, INDEX_NAME)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/**
 * Reads the index file of `dir` and checks it against the segments: its checksum, that the
 * segment it ends in is at least as long as it says, and that the last record it covers still
 * has the checksum it had. Null when there is none or it does not hold (then the log is scanned
 * from its start, as without one).
 */
export async function readIndexFile(
  dir: string,
  segmentSizes: ReadonlyMap<number, number>,
): Promise<IndexCheckpoint | null> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, INDEX_NAME));
  } catch {
    return null;
  }
  try {
    return await decodeIndex(dir, bytes, segmentSizes);
  } catch {
    return null;
  }
}

async function decodeIndex(
  dir: string,
  bytes: Uint8Array,
  segmentSizes: ReadonlyMap<number, number>,
): Promise<IndexCheckpoint | null> {
  if (bytes.length < PREFIX) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== VERSION) return null;
  if (crc32c(bytes, 12, bytes.length) !== view.getUint32(8, true)) return null;
  const metaLength = view.getUint32(12, true);
  const meta = decodeValue(bytes.subarray(PREFIX, PREFIX + metaLength)) as unknown[];
  const [version, segment, offset, boundary, header, records, snapshots, events, inputs, ticks] =
    meta as [number, number, number, number, unknown, number, number[][], number, number, number];
  const hashes = meta[10] as string;
  const sealed = meta[11] as number[];
  if (version !== VERSION || !isLogHeader(header)) return null;
  const size = segmentSizes.get(segment);
  if (size === undefined || size < offset) return null;
  // Segments before the last are never written again: any change of size is damage, which
  // a scan from the start then reports.
  for (let n = 1; n < segment; n++) if (segmentSizes.get(n) !== sealed[n - 1]) return null;
  if ((await tailCheck(dir, { segment, offset })) !== boundary) return null;
  let at = align8(PREFIX + metaLength);
  const take = <T>(
    make: (buffer: ArrayBuffer, offset: number) => T,
    count: number,
    width: number,
  ): T => {
    const start = bytes.byteOffset + at;
    // A view where the column is aligned for its type (a file read into its own buffer), else
    // a copy (a Buffer from the shared pool may start anywhere).
    const out =
      start % 8 === 0
        ? make(bytes.buffer as ArrayBuffer, start)
        : make(new Uint8Array(bytes.subarray(at, at + count * width)).buffer, 0);
    at = align8(at + count * width);
    return out;
  };
  const places = (count: number): PlaceTable =>
    PlaceTable.fromColumns(
      take((b, o) => new Uint32Array(b, o, count), count, 4),
      take((b, o) => new Float64Array(b, o, count), count, 8),
      take((b, o) => new Uint32Array(b, o, count), count, 4),
    );
  const eventPlaces = places(events);
  const inputPlaces = places(inputs);
  const column = (): Float64Array => take((b, o) => new Float64Array(b, o, ticks), ticks, 8);
  const at64 = column();
  const first = column();
  const last = column();
  const lastInput = column();
  const hashList = ticks === 0 ? [] : hashes.split('\n');
  if (hashList.length !== ticks) return null;
  const commits: TickCommit[] = new Array<TickCommit>(ticks);
  for (let i = 0; i < ticks; i++) {
    commits[i] = {
      tick: i + 1,
      at: at64[i] as number,
      firstSeq: first[i] as number,
      lastSeq: last[i] as number,
      lastInput: lastInput[i] as number,
      hash: hashList[i] as string,
    };
  }
  const snapshotPlaces: SnapshotPlace[] = snapshots.map((s) => ({
    segment: s[0] as number,
    offset: s[1] as number,
    size: s[2] as number,
    tick: s[3] as number,
    lastSeq: s[4] as number,
    lastInput: s[5] as number,
  }));
  const index = LogIndex.restore({
    header,
    records,
    commits,
    events: eventPlaces,
    inputs: inputPlaces,
    snapshots: snapshotPlaces,
  });
  return { index, segment, offset };
}

const TAIL_CHECK = 4096;

/**
 * The checksum of the bytes just before `cover` in its segment (up to 4 KiB), so that an index
 * whose segment was cut and written again differently is recognised as stale.
 */
async function tailCheck(dir: string, cover: IndexCover): Promise<number | null> {
  const from = Math.max(0, cover.offset - TAIL_CHECK);
  const handle = await open(segmentPath(dir, cover.segment), 'r');
  try {
    const bytes = await readAt(handle, from, cover.offset - from);
    return bytes.length === cover.offset - from ? crc32c(bytes, 0, bytes.length) : null;
  } finally {
    await handle.close();
  }
}

async function sealedSizes(dir: string, cover: number): Promise<number[]> {
  const sizes: number[] = [];
  for (let n = 1; n < cover; n++) sizes.push((await stat(segmentPath(dir, n))).size);
  return sizes;
}

function placeColumns(table: PlaceTable): ArrayBufferView[] {
  const { segments, offsets, sizes, length } = table.columns();
  return [segments.subarray(0, length), offsets.subarray(0, length), sizes.subarray(0, length)];
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
