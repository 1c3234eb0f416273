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
const MAX_READ_HANDLES = 64;

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
  // The buffer event reads decode from, when no read is using it.
  private spare: Uint8Array | null = null;

  constructor(
    private readonly dir: string,
    private readonly description: string,
    private readonly index: () => LogIndex,
  ) {}

  /**
   * The events `from` … `to`: the rebuild's read. Neighbouring records are read a chunk at a
   * time into the reused buffer and decoded from it, looking places up in the index's columns
   * (no list of seqs, no object a record).
   */
  async readSeqRange(from: number, to: number): Promise<StoredEnvelope[]> {
    const table = this.index().events;
    await table.load(from - 1, to);
    const { segments, offsets, sizes } = table.columns();
    const out: StoredEnvelope[] = [];
    const reader = this.envelopes;
    let k = from - 1;
    while (k < to) {
      const segment = segments[k] as number;
      const spanStart = offsets[k] as number;
      let spanEnd = spanStart + (sizes[k] as number);
      let j = k + 1;
      while (j < to) {
        const offset = offsets[j] as number;
        const recordEnd = offset + (sizes[j] as number);
        if (
          segments[j] !== segment ||
          offset - spanEnd > SPAN_GAP ||
          recordEnd - spanStart > EVENT_CHUNK
        )
          break;
        spanEnd = recordEnd;
        j++;
      }
      const length = spanEnd - spanStart;
      const buffer = this.takeBuffer(length);
      try {
        await this.readSpanInto(buffer, segment, spanStart, length);
        for (let n = k; n < j; n++) {
          const at = (offsets[n] as number) - spanStart;
          this.checkFrameAt(buffer, at, sizes[n] as number, segment, spanStart + at);
          try {
            out.push(reader.decode(buffer, at + FRAME_HEAD, at + (sizes[n] as number)));
          } catch (error) {
            throw this.undecodable(segment, spanStart + at, error);
          }
        }
      } finally {
        this.giveBack(buffer);
      }
      k = j;
    }
    return out;
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

  /** A buffer of at least `length` bytes for one read: the spare one unless a read holds it. */
  private takeBuffer(length: number): Uint8Array {
    const spare = this.spare;
    if (spare !== null && spare.length >= length) {
      this.spare = null;
      return spare;
    }
    return new Uint8Array(Math.max(length, EVENT_CHUNK));
  }

  private giveBack(buffer: Uint8Array): void {
    // A buffer grown for one huge record is not kept.
    if (buffer.length === EVENT_CHUNK) this.spare = buffer;
  }

  private async readSpanInto(
    buffer: Uint8Array,
    segment: number,
    offset: number,
    length: number,
  ): Promise<void> {
    const handle = await this.readHandle(segment, true);
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
    this.spare = null;
  }

  private corrupted(damage: LogDamage): StoreCorruptedError {
    return damageError(this.description, damage);
  }
}
