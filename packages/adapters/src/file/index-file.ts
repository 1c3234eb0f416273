import { open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeValue,
  encodeValue,
  isLogHeader,
  StoreCorruptedError,
} from '@causeway/runtime/store-kit';
import type { TickCommit } from '@causeway/runtime';
import { crc32c } from './crc32c.ts';
import { LogIndex, PlaceTable } from './log-index.ts';
import type { PlaceSource, SnapshotPlace } from './log-index.ts';
import { syncFolder } from './manifest.ts';
import { readAt, scanSegment, segmentName, segmentPath } from './segments.ts';

/** The index file's name in a store folder. */
export const INDEX_NAME = 'log.index';

const MAGIC = 0x58495743; // "CWIX", little-endian
const VERSION = 2;
const PREFIX = 16;
/** Places a chunk of the event and input columns holds: each is read and checked on its own. */
const CHUNK = 1 << 16;
/** What an open reads first: the prefix and, for most logs, the whole meta. */
const FIRST_READ = 64 << 10;

/** A position in the log: the end of the records an index covers. */
export interface IndexCover {
  readonly segment: number;
  readonly offset: number;
}

/** An index read back from its file and checked against the segments. */
export interface IndexCheckpoint extends IndexCover {
  readonly index: LogIndex;
}

/** A stretch of the index file: byte offset, byte length, CRC-32C of those bytes. */
type Section = [offset: number, length: number, crc: number];

/**
 * Saves what a scan of the log up to `cover` found (the header, every commit, every event,
 * input and snapshot place), so that the next open reads this file and scans only the records
 * after `cover` instead of the whole log. It is a cache: written by the writer when it closes,
 * never trusted without checking it against the segments (see {@link readIndexFile}), and a
 * log opens the same without it, only slower. `cover` must be a record boundary with no
 * uncommitted events before it.
 *
 * Layout: `[magic u32][version u32][crc32c u32 of the meta length and the meta][meta length
 * u32][meta msgpack]`, then, 8-byte aligned, sections each under its own CRC-32C (listed in
 * the meta): the commits' columns, then the event and input place columns in chunks of 65,536
 * places. An open reads the meta and the commits; a chunk of places is read when a read first
 * needs it, so an open costs what the commits and the tail after `cover` cost, not the log.
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
  await index.events.load(0, index.events.length);
  await index.inputs.load(0, index.inputs.length);
  const parts: ArrayBufferView[][] = [
    [
      Float64Array.from(commits, (c) => c.at),
      Float64Array.from(commits, (c) => c.firstSeq),
      Float64Array.from(commits, (c) => c.lastSeq),
      Float64Array.from(commits, (c) => c.lastInput),
    ],
    ...placeChunks(index.events),
    ...placeChunks(index.inputs),
  ];
  const sealed = await sealedSizes(dir, cover.segment);
  const sizes = parts.map((columns) => columns.reduce((n, c) => align8(n + c.byteLength), 0));
  const meta = (sections: Section[]): Uint8Array =>
    encodeValue([
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
      sealed,
      CHUNK,
      sections,
    ]);
  // The meta names where the sections start, which depends on its own length: measure it with
  // placeholder numbers as wide as the real ones (u32 CRCs, offsets below 2^53) and pad.
  const wide = (): Section[] => sizes.map((n) => [2 ** 52, n, 0xffffffff]);
  const room = meta(wide()).length;
  let at = align8(PREFIX + room);
  const sections: Section[] = [];
  const bytes = new Uint8Array(at + sizes.reduce((a, b) => a + b, 0));
  parts.forEach((columns, i) => {
    const from = at;
    for (const c of columns) {
      bytes.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
      at = align8(at + c.byteLength);
    }
    sections.push([from, sizes[i] as number, crc32c(bytes, from, from + (sizes[i] as number))]);
  });
  const metaBytes = meta(sections);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(12, metaBytes.length, true);
  bytes.set(metaBytes, PREFIX);
  view.setUint32(8, crc32c(bytes, 12, PREFIX + metaBytes.length), true);
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
 * Reads the index file of `dir` and checks it against the segments: the checksum of its meta
 * and commits, that the segment it ends in is at least as long as it says, that the sealed
 * segments kept their sizes, and that the last record it covers still has the checksum it had.
 * Null when there is none or it does not hold (then the log is scanned from its start, as
 * without one). The event and input places stay in the file until a read needs them; a chunk
 * whose checksum fails then is rebuilt by scanning the segments, never trusted.
 */
export async function readIndexFile(
  dir: string,
  segmentSizes: ReadonlyMap<number, number>,
): Promise<IndexCheckpoint | null> {
  let handle: FileHandle;
  try {
    handle = await open(join(dir, INDEX_NAME), 'r');
  } catch {
    return null;
  }
  let decoded: { checkpoint: IndexCheckpoint; keepsHandle: boolean } | null = null;
  try {
    decoded = await decodeIndex(dir, handle, segmentSizes);
  } catch {
    decoded = null;
  }
  // The lazy place columns keep the handle (the file may be replaced by a later writer's
  // close; the handle still reads this one); without them it is closed now.
  if (decoded?.keepsHandle !== true) await handle.close().catch(() => undefined);
  return decoded?.checkpoint ?? null;
}

async function decodeIndex(
  dir: string,
  handle: FileHandle,
  segmentSizes: ReadonlyMap<number, number>,
): Promise<{ checkpoint: IndexCheckpoint; keepsHandle: boolean } | null> {
  let first = await readAt(handle, 0, FIRST_READ);
  if (first.length < PREFIX) return null;
  let view = new DataView(first.buffer, first.byteOffset, first.byteLength);
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== VERSION) return null;
  const metaLength = view.getUint32(12, true);
  if (PREFIX + metaLength > first.length) {
    first = await readAt(handle, 0, PREFIX + metaLength);
    if (first.length < PREFIX + metaLength) return null;
    view = new DataView(first.buffer, first.byteOffset, first.byteLength);
  }
  if (crc32c(first, 12, PREFIX + metaLength) !== view.getUint32(8, true)) return null;
  const meta = decodeValue(first.subarray(PREFIX, PREFIX + metaLength)) as unknown[];
  const [version, segment, offset, boundary, header, records, snapshots, events, inputs, ticks] =
    meta as [number, number, number, number, unknown, number, number[][], number, number, number];
  const hashes = meta[10] as string;
  const sealed = meta[11] as number[];
  const chunk = meta[12] as number;
  const sections = meta[13] as Section[];
  if (version !== VERSION || !isLogHeader(header)) return null;
  const eventChunks = Math.ceil(events / chunk);
  const inputChunks = Math.ceil(inputs / chunk);
  if (sections.length !== 1 + eventChunks + inputChunks) return null;
  const size = segmentSizes.get(segment);
  if (size === undefined || size < offset) return null;
  // Segments before the last are never written again: any change of size is damage, which
  // a scan from the start then reports.
  for (let n = 1; n < segment; n++) if (segmentSizes.get(n) !== sealed[n - 1]) return null;
  if ((await tailCheck(dir, { segment, offset })) !== boundary) return null;

  const commitColumns = await readSection(handle, sections[0] as Section);
  if (commitColumns === null) return null;
  const column = (i: number): Float64Array =>
    new Float64Array(commitColumns.buffer, commitColumns.byteOffset + i * align8(ticks * 8), ticks);
  const at64 = column(0);
  const firstSeq = column(1);
  const lastSeq = column(2);
  const lastInput = column(3);
  const hashList = ticks === 0 ? [] : hashes.split('\n');
  if (hashList.length !== ticks) return null;
  const commits: TickCommit[] = new Array<TickCommit>(ticks);
  for (let i = 0; i < ticks; i++) {
    commits[i] = {
      tick: i + 1,
      at: at64[i] as number,
      firstSeq: firstSeq[i] as number,
      lastSeq: lastSeq[i] as number,
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
  const file = new IndexColumns(dir, handle, { segment, offset });
  const eventPlaces = PlaceTable.lazy(
    file.source('events', events, chunk, sections.slice(1, 1 + eventChunks)),
  );
  const inputPlaces = PlaceTable.lazy(
    file.source('inputs', inputs, chunk, sections.slice(1 + eventChunks)),
  );
  const index = LogIndex.restore({
    header,
    records,
    commits,
    events: eventPlaces,
    inputs: inputPlaces,
    snapshots: snapshotPlaces,
  });
  return { checkpoint: { index, segment, offset }, keepsHandle: file.holders > 0 };
}

/** A section's bytes when its checksum holds, else null; 8-byte aligned in a buffer of its own. */
async function readSection(
  handle: FileHandle,
  [offset, length, crc]: Section,
): Promise<Uint8Array | null> {
  const bytes = await readAt(handle, offset, length);
  if (bytes.length !== length || crc32c(bytes, 0, length) !== crc) return null;
  return bytes;
}

/**
 * The place columns of one index file, read a chunk at a time through the handle the open
 * read the file with. A chunk whose checksum fails (the file was damaged after its open) is
 * not used: the places are found again by scanning the segments up to the index's end.
 */
class IndexColumns {
  holders = 0;
  private rescanned: LogIndex | null = null;

  constructor(
    private readonly dir: string,
    private readonly handle: FileHandle,
    private readonly cover: IndexCover,
  ) {}

  source(
    which: 'events' | 'inputs',
    length: number,
    chunk: number,
    sections: readonly Section[],
  ): PlaceSource {
    if (length > 0) this.holders++;
    return {
      length,
      chunk,
      read: async (n) => {
        const count = Math.min(chunk, length - n * chunk);
        const bytes = await readSection(this.handle, sections[n] as Section);
        if (bytes === null) {
          const { segments, offsets, sizes } = (await this.rescan())[which].columns();
          const from = n * chunk;
          return {
            segments: segments.subarray(from, from + count),
            offsets: offsets.subarray(from, from + count),
            sizes: sizes.subarray(from, from + count),
          };
        }
        const buffer = bytes.buffer as ArrayBuffer;
        const base = bytes.byteOffset;
        return {
          segments: new Uint32Array(buffer, base, count),
          offsets: new Float64Array(buffer, base + align8(count * 4), count),
          sizes: new Uint32Array(buffer, base + align8(count * 4) + count * 8, count),
        };
      },
      close: async () => {
        if (--this.holders === 0) await this.handle.close().catch(() => undefined);
      },
    };
  }

  private async rescan(): Promise<LogIndex> {
    this.rescanned ??= await placesUpTo(this.dir, this.cover);
    return this.rescanned;
  }
}

/**
 * The index of the records before `cover`, by scanning the segments (what an open without an
 * index file does): where the places come from when a chunk of the index file went bad.
 */
async function placesUpTo(dir: string, cover: IndexCover): Promise<LogIndex> {
  const index = new LogIndex();
  for (let segment = 1; segment <= cover.segment; segment++) {
    const handle = await open(segmentPath(dir, segment), 'r');
    try {
      const end = segment === cover.segment ? cover.offset : (await handle.stat()).size;
      const scan = await scanSegment(handle, 0, end, (kind, chunk, at, size, offset) => {
        index.ingest(kind, chunk, at, size, segment, offset);
      });
      if (scan.bad !== null) {
        throw new StoreCorruptedError(
          `file:${dir}`,
          `${segmentName(segment)} byte ${scan.bad.offset}`,
          scan.bad.reason,
          { segment: segmentName(segment), offset: scan.bad.offset },
        );
      }
    } finally {
      await handle.close();
    }
  }
  return index;
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

/** The columns of a table's places in chunks of {@link CHUNK} (all loaded). */
function placeChunks(table: PlaceTable): ArrayBufferView[][] {
  const { segments, offsets, sizes, length } = table.columns();
  const chunks: ArrayBufferView[][] = [];
  for (let from = 0; from < length; from += CHUNK) {
    const to = Math.min(length, from + CHUNK);
    chunks.push([
      segments.subarray(from, to),
      offsets.subarray(from, to),
      sizes.subarray(from, to),
    ]);
  }
  return chunks;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
