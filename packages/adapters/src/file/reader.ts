import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { StoreCorruptedError } from '@causeway/runtime/store-kit';
import type { StoredEnvelope } from '@causeway/runtime';
import { EnvelopeReader } from './envelope-reader.ts';
import type { LogIndex, PlaceTable, RecordPlace } from './log-index.ts';
import { FRAME_HEAD, goodFrameSize } from './records.ts';
import { readAt, readInto, segmentName, segmentPath } from './segments.ts';
import type { LogDamage } from './segments.ts';

// Records of a seq range are read in spans of at most this size, and two records less than
// SPAN_GAP apart are read with one call.
const MAX_SPAN = 16 << 20;
const SPAN_GAP = 64 << 10;
// Events are read in chunks of this size into one reused buffer and decoded from it: as few
// calls as large spans, without allocating (and zeroing) a new buffer for each.
const EVENT_CHUNK = 2 << 20;
// One chunk decoded while the next one is read.
const SPARE_BUFFERS = 2;
// A chunk read ahead holds at most this many events (a chunk of small events, 2 MiB).
const AHEAD_EVENTS = 1 << 14;
const MAX_READ_HANDLES = 64;
// Event records are checked (checksums) and then decoded this many at a time.
const CHECK_RUN = 64;

type EventColumns = ReturnType<PlaceTable['columns']>;

/** A read of neighbouring event records `first` … `last - 1`, in flight or done. */
interface Chunk {
  readonly first: number;
  readonly last: number;
  readonly segment: number;
  /** The byte offset in the segment of `buffer[0]`. */
  readonly start: number;
  readonly buffer: Uint8Array;
  readonly read: Promise<void>;
}

/** The error for damage at a known place of a store's log. */
export function damageError(store: string, damage: LogDamage): StoreCorruptedError {
  const file = segmentName(damage.segment);
  return new StoreCorruptedError(store, `${file} byte ${damage.offset}`, damage.reason, {
    segment: file,
    offset: damage.offset,
  });
}

/**
 * The file store's reads of records it has indexed: events by seq range or by a list of seqs,
 * inputs, snapshots. It keeps a handle on each segment it reads (at most 64) and one reused
 * buffer, and checks each record's checksum as it reads it.
 */
export class RecordReader {
  private readonly readHandles = new Map<number, FileHandle>();
  private readonly envelopes = new EnvelopeReader();
  // The buffers event reads decode from that no read is using.
  private readonly spares: Uint8Array[] = [];
  // The first chunk after the last range read, read ahead of the next call; and that call's seq.
  private ahead: Chunk | null = null;
  private nextSeq = 0;

  constructor(
    private readonly dir: string,
    private readonly description: string,
    private readonly index: () => LogIndex,
  ) {}

  /**
   * The events `from` … `to`: the rebuild's read. Neighbouring records are read a chunk at a
   * time into reused buffers and decoded from them, looking places up in the index's columns
   * (no list of seqs, no object a record). The next chunk's read is under way while a chunk is
   * decoded, so the disk and the decoder work at the same time.
   */
  async readSeqRange(from: number, to: number): Promise<StoredEnvelope[]> {
    const table = this.index().events;
    await table.load(from - 1, to);
    const columns = table.columns();
    // Sized once: growing the array as it fills copies it several times (measured: 7 % of a
    // rebuild). Every slot is filled below, in order.
    const out = new Array<StoredEnvelope>(to - from + 1);
    const ahead = this.ahead;
    this.ahead = null;
    const sequential = from === this.nextSeq;
    this.nextSeq = to + 1;
    let chunk: Chunk | null =
      ahead !== null && ahead.first === from - 1 ? ahead : this.startChunk(columns, from - 1, to);
    while (chunk !== null) {
      await chunk.read;
      const current: Chunk = chunk;
      const last = Math.min(current.last, to);
      chunk = last < to ? this.startChunk(columns, last, to) : null;
      this.decodeChunk(columns, current, last, out, from - 1);
      this.giveBack(current.buffer);
    }
    // A read that goes on where the last one ended is likely followed by the next (a rebuild,
    // a scan): its first chunk is read now, while the caller works on this one.
    const next = table.columns();
    const end = Math.min(next.length, to + AHEAD_EVENTS);
    if (sequential && to < end && table.holds(to, end)) this.ahead = this.startChunk(next, to, end);
    return out;
  }

  /**
   * Starts reading the records `first` … (at most `to - 1`) that lie close together in one
   * segment and fit in one chunk, into a buffer of its own.
   */
  private startChunk(columns: EventColumns, first: number, to: number): Chunk {
    const { segments, offsets, sizes } = columns;
    const segment = segments[first] as number;
    const start = offsets[first] as number;
    let end = start + (sizes[first] as number);
    let last = first + 1;
    while (last < to) {
      const offset = offsets[last] as number;
      const recordEnd = offset + (sizes[last] as number);
      if (segments[last] !== segment || offset - end > SPAN_GAP || recordEnd - start > EVENT_CHUNK)
        break;
      end = recordEnd;
      last++;
    }
    const buffer = this.takeBuffer(end - start);
    const read = this.readSpanInto(buffer, segment, start, end - start);
    // A read left in flight by a decode that threw is never awaited: its failure is not news.
    read.catch(() => undefined);
    return { first, last, segment, start, buffer, read };
  }

  /**
   * Checks and decodes a chunk's records up to `last - 1` into `out` (record `n` at `n - base`),
   * CHECK_RUN records at a time: the checksums of a run first, then the decoding of its records.
   * Each loop then keeps its own tables in the processor's first-level cache (the checksum's,
   * the decoder's names), where checking and decoding record after record made them evict each
   * other, and a run's bytes are still there when it is decoded. A record is decoded only when
   * its checksum and those of the records before it are good, and the error is the one a
   * record-by-record loop would throw first: a record before the first damaged one that does
   * not decode, else the damaged one.
   */
  private decodeChunk(
    columns: EventColumns,
    chunk: Chunk,
    last: number,
    out: StoredEnvelope[],
    base: number,
  ): void {
    const { offsets, sizes } = columns;
    const { buffer, segment, start } = chunk;
    const reader = this.envelopes;
    for (let run = chunk.first; run < last; run += CHECK_RUN) {
      const runEnd = Math.min(last, run + CHECK_RUN);
      let good = run;
      while (good < runEnd) {
        const at = (offsets[good] as number) - start;
        const size = sizes[good] as number;
        if (goodFrameSize(buffer, at, at + size) !== size) break;
        good++;
      }
      for (let n = run; n < good; n++) {
        const at = (offsets[n] as number) - start;
        try {
          out[n - base] = reader.decode(buffer, at + FRAME_HEAD, at + (sizes[n] as number));
        } catch (error) {
          throw this.undecodable(segment, start + at, error);
        }
      }
      if (good < runEnd) {
        const at = (offsets[good] as number) - start;
        this.checkFrameAt(buffer, at, sizes[good] as number, segment, start + at);
      }
    }
  }

  async readSeqs(seqs: readonly number[]): Promise<StoredEnvelope[]> {
    const out: StoredEnvelope[] = [];
    const reader = this.envelopes;
    await this.readPlaces(this.index().events, seqs, 1, (span, start, end, segment, offset) => {
      try {
        out.push(reader.decode(span, start, end));
      } catch (error) {
        throw this.undecodable(segment, offset, error);
      }
    });
    return out;
  }

  /** A buffer of at least `length` bytes for one read: a spare one unless reads hold them. */
  private takeBuffer(length: number): Uint8Array {
    if (length <= EVENT_CHUNK) {
      const spare = this.spares.pop();
      if (spare !== undefined) return spare;
    }
    return new Uint8Array(Math.max(length, EVENT_CHUNK));
  }

  /**
   * Keeps a buffer whose read and decode are over for the next read. A buffer grown for one
   * huge record is not kept, nor one of a read that failed (it may still be in flight).
   */
  private giveBack(buffer: Uint8Array): void {
    if (buffer.length === EVENT_CHUNK && this.spares.length < SPARE_BUFFERS)
      this.spares.push(buffer);
  }

  /**
   * Reads `length` bytes at `offset` of `segment` into `buffer`. The read is asked of the file
   * system before this returns when the segment is already open, so that it runs while the
   * caller goes on (an `await` first would hold it back until the caller yields).
   */
  private async readSpanInto(
    buffer: Uint8Array,
    segment: number,
    offset: number,
    length: number,
  ): Promise<void> {
    const handle = this.readHandles.get(segment) ?? (await this.readHandle(segment, true));
    const read = handle === null ? 0 : await readInto(handle, buffer, offset, length);
    if (read !== length) {
      throw this.corrupted({
        segment,
        offset,
        reason: `the segment ends before the indexed record (${length} bytes)`,
        kind: 'corrupt',
      });
    }
  }

  /**
   * Reads the records numbered `numbers` (ascending, from `base`) of a place table, one read
   * for each run of neighbours, and hands each record's body (`span[start, end)`) to `use`.
   */
  async readPlaces(
    table: PlaceTable,
    numbers: readonly number[],
    base: number,
    use: (span: Uint8Array, start: number, end: number, segment: number, offset: number) => void,
  ): Promise<void> {
    if (numbers.length === 0) return;
    // Ascending numbers: the first and last bound what must be loaded.
    await table.load((numbers[0] as number) - base, (numbers.at(-1) as number) - base + 1);
    const { segments, offsets, sizes } = table.columns();
    let i = 0;
    while (i < numbers.length) {
      const first = (numbers[i] as number) - base;
      const segment = segments[first] as number;
      const spanStart = offsets[first] as number;
      let spanEnd = spanStart + (sizes[first] as number);
      let j = i + 1;
      while (j < numbers.length) {
        const k = (numbers[j] as number) - base;
        const offset = offsets[k] as number;
        const recordEnd = offset + (sizes[k] as number);
        if (
          segments[k] !== segment ||
          offset - spanEnd > SPAN_GAP ||
          recordEnd - spanStart > MAX_SPAN
        )
          break;
        spanEnd = recordEnd;
        j++;
      }
      const span = await this.readSpan(segment, spanStart, spanEnd - spanStart);
      for (let n = i; n < j; n++) {
        const k = (numbers[n] as number) - base;
        const at = (offsets[k] as number) - spanStart;
        this.checkFrameAt(span, at, sizes[k] as number, segment, spanStart + at);
        use(span, at + FRAME_HEAD, at + (sizes[k] as number), segment, spanStart + at);
      }
      i = j;
    }
  }

  /**
   * Checks the checksum of a record as it is read: an open that starts from the index file
   * does not read the records it covers, so damage there is found here (or by `check`).
   */
  checkFrameAt(bytes: Uint8Array, at: number, size: number, segment: number, offset: number): void {
    if (goodFrameSize(bytes, at, at + size) === size) return;
    const reason = 'a record whose checksum or framing does not match (damaged since written)';
    throw this.corrupted({ segment, offset, reason, kind: 'corrupt' });
  }

  /** The error for a record at `offset` of `segment` that does not decode. */
  undecodable(segment: number, offset: number, error: unknown): StoreCorruptedError {
    const reason = `a record that does not decode (${String(error)})`;
    return this.corrupted({ segment, offset, reason, kind: 'corrupt' });
  }

  async readSpan(segment: number, offset: number, length: number): Promise<Uint8Array> {
    const handle = await this.readHandle(segment, true);
    const bytes = handle === null ? new Uint8Array(0) : await readAt(handle, offset, length);
    if (bytes.length !== length) {
      throw this.corrupted({
        segment,
        offset,
        reason: `the segment ends before the indexed record (${length} bytes)`,
        kind: 'corrupt',
      });
    }
    return bytes;
  }

  decodeAt<T>(place: RecordPlace, decode: () => T): T {
    try {
      return decode();
    } catch (error) {
      throw this.corrupted({
        ...place,
        reason: `a record that does not decode (${String(error)})`,
        kind: 'corrupt',
      });
    }
  }

  async readHandle(segment: number, required: boolean): Promise<FileHandle | null> {
    let handle = this.readHandles.get(segment);
    if (handle !== undefined) return handle;
    try {
      handle = await open(segmentPath(this.dir, segment), 'r');
    } catch (error) {
      if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    // Reads run side by side: another one may have opened the segment meanwhile.
    const opened = this.readHandles.get(segment);
    if (opened !== undefined) {
      await handle.close();
      return opened;
    }
    if (this.readHandles.size >= MAX_READ_HANDLES) {
      const [oldest, old] = this.readHandles.entries().next().value as [number, FileHandle];
      this.readHandles.delete(oldest);
      await old.close();
    }
    this.readHandles.set(segment, handle);
    return handle;
  }

  /** Closes the segment handles and drops the buffer. */
  async close(): Promise<void> {
    for (const handle of this.readHandles.values()) await handle.close().catch(() => undefined);
    this.readHandles.clear();
    this.spares.length = 0;
    this.ahead = null;
  }

  private corrupted(damage: LogDamage): StoreCorruptedError {
    return damageError(this.description, damage);
  }
}
