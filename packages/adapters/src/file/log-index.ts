import {
  commitFromTuple,
  decodeEnvelope,
  decodeValue,
  inputFromTuple,
  isLogHeader,
} from '@causeway/runtime/store-kit';
import type { LogHeader, TickCommit } from '@causeway/runtime';
import { FRAME_HEAD, RecordKind } from './records.ts';
import type { RecordKindValue } from './records.ts';

/** A record's place: segment number, byte offset of its frame, frame size. */
export interface RecordPlace {
  readonly segment: number;
  readonly offset: number;
  readonly size: number;
}

/** Where a snapshot is, with the counters stored beside its bytes. */
export interface SnapshotPlace extends RecordPlace {
  readonly tick: number;
  readonly lastSeq: number;
  readonly lastInput: number;
}

/** A record whose content breaks the log's rules although its checksum is right. */
export class RecordError extends Error {}

/** The columns of `count` places, as read from an index file. */
export interface PlaceColumns {
  readonly segments: Uint32Array;
  readonly offsets: Float64Array;
  readonly sizes: Uint32Array;
}

/**
 * Where the first entries of a {@link PlaceTable} come from when they were not read yet: an
 * index file's columns, in chunks of `chunk` entries, each read (and checked) on first use.
 */
export interface PlaceSource {
  /** How many entries the source holds (the table's first entries). */
  readonly length: number;
  /** Entries per chunk. */
  readonly chunk: number;
  /** The columns of chunk `n` (entries `n * chunk` …); throws when they cannot be had. */
  read(n: number): Promise<PlaceColumns>;
  /** Releases what the source holds open; called once every chunk is in. */
  close(): Promise<void>;
}

/**
 * Growable columns of record places, indexed from 0: a million events cost 16 bytes each
 * instead of a million small objects. A table restored from an index file reads its columns
 * from there a chunk at a time when a read first needs them ({@link PlaceTable.load}), so an
 * open costs nothing per place.
 */
export class PlaceTable {
  private segments = new Uint32Array(1024);
  private offsets = new Float64Array(1024);
  private sizes = new Uint32Array(1024);
  length = 0;
  private source: PlaceSource | null = null;
  /** With a source: 1 for each chunk of it already in the columns. */
  private loaded: Uint8Array | null = null;
  private missing = 0;

  push(segment: number, offset: number, size: number): void {
    if (this.length >= this.segments.length) this.reserve(this.length + 1);
    this.segments[this.length] = segment;
    this.offsets[this.length] = offset;
    this.sizes[this.length] = size;
    this.length++;
  }

  segment(i: number): number {
    return this.segments[i] as number;
  }

  offset(i: number): number {
    return this.offsets[i] as number;
  }

  size(i: number): number {
    return this.sizes[i] as number;
  }

  /** A table of `source.length` places, read from `source` as they are first needed. */
  static lazy(source: PlaceSource): PlaceTable {
    const table = new PlaceTable();
    // The columns grow to the source's length on the first read or append, not now: an open
    // that reads nothing the index file covers (a snapshot at the head) allocates nothing.
    table.length = source.length;
    const chunks = Math.ceil(source.length / source.chunk);
    if (chunks > 0) {
      table.source = source;
      table.loaded = new Uint8Array(chunks);
      table.missing = chunks;
    }
    return table;
  }

  /**
   * Makes sure entries `from` … `to - 1` are in the columns, reading the chunks of the source
   * they fall in that were not read yet. Call it before {@link PlaceTable.columns} or
   * {@link PlaceTable.offset} on entries a source may hold.
   */
  async load(from: number, to: number): Promise<void> {
    const source = this.source;
    const loaded = this.loaded;
    if (source === null || loaded === null) return;
    const last = Math.min(to, source.length);
    for (let n = Math.floor(from / source.chunk); n * source.chunk < last; n++) {
      if (loaded[n] === 1) continue;
      const columns = await source.read(n);
      // Another read may have brought it in (or grown the table) meanwhile: set the columns
      // the table holds now.
      if (loaded[n] === 1) continue;
      if (this.segments.length < this.length) this.reserve(this.length);
      const at = n * source.chunk;
      this.segments.set(columns.segments, at);
      this.offsets.set(columns.offsets, at);
      this.sizes.set(columns.sizes, at);
      loaded[n] = 1;
      if (--this.missing === 0) {
        this.source = null;
        this.loaded = null;
        await source.close();
      }
    }
  }

  /** True when entries `from` … `to - 1` are in the columns ({@link PlaceTable.load} needs no read). */
  holds(from: number, to: number): boolean {
    const source = this.source;
    const loaded = this.loaded;
    if (source === null || loaded === null) return true;
    const last = Math.min(to, source.length);
    for (let n = Math.floor(from / source.chunk); n * source.chunk < last; n++)
      if (loaded[n] !== 1) return false;
    return true;
  }

  /** Releases the source of entries not read yet (they can no longer be read). */
  async release(): Promise<void> {
    const source = this.source;
    this.source = null;
    this.loaded = null;
    if (source !== null) await source.close();
  }

  /** Appends the first `count` places of `other` (whose entries are all in memory). */
  append(other: PlaceTable, count: number): void {
    if (this.length + count > this.segments.length) this.reserve(this.length + count);
    const at = this.length;
    // Copied by a loop: a commit's few places each tick would otherwise cost three views.
    for (let i = 0; i < count; i++) {
      this.segments[at + i] = other.segments[i] as number;
      this.offsets[at + i] = other.offsets[i] as number;
      this.sizes[at + i] = other.sizes[i] as number;
    }
    this.length += count;
  }

  /**
   * The columns as they are now. Entries below `length` never change once loaded, and growing
   * copies into new arrays, so a reader may keep these across awaits.
   */
  columns(): { segments: Uint32Array; offsets: Float64Array; sizes: Uint32Array; length: number } {
    return {
      segments: this.segments,
      offsets: this.offsets,
      sizes: this.sizes,
      length: this.length,
    };
  }

  private reserve(capacity: number): void {
    let n = this.segments.length;
    while (n < capacity) n *= 2;
    const segments = new Uint32Array(n);
    segments.set(this.segments);
    const offsets = new Float64Array(n);
    offsets.set(this.offsets);
    const sizes = new Uint32Array(n);
    sizes.set(this.sizes);
    this.segments = segments;
    this.offsets = offsets;
    this.sizes = sizes;
  }
}

/**
 * What the file store knows of its log without reading it again: the header, every commit
 * record, where each event, input and snapshot is. Built by scanning the segments
 * (`ingest`, one record at a time) and extended by the writer as it appends.
 */
export class LogIndex {
  header: LogHeader | null = null;
  readonly commits: TickCommit[] = [];
  /** Event places, seq - 1 → place; only committed events. */
  readonly events: PlaceTable;
  /** Input places, ino - 1 → place. */
  readonly inputs: PlaceTable;
  /** Snapshots in tick order, one per tick (the newest record of a tick wins). */
  readonly snapshots: SnapshotPlace[] = [];
  /** Events read since the last commit record: not committed unless a commit follows. */
  readonly pending = new PlaceTable();
  /** Ticks and seqs of the pending events, when events are verified. */
  private readonly pendingDecoded: Array<[number, number]> = [];
  records = 0;
  /** True once any record was ingested (a header must come first). */
  private seenAny = false;

  constructor(
    private readonly verifyEvents = false,
    tables?: { readonly events: PlaceTable; readonly inputs: PlaceTable },
  ) {
    this.events = tables?.events ?? new PlaceTable();
    this.inputs = tables?.inputs ?? new PlaceTable();
  }

  /** An index as a scan up to a record boundary left it, read back from an index file. */
  static restore(parts: {
    header: LogHeader;
    records: number;
    commits: TickCommit[];
    events: PlaceTable;
    inputs: PlaceTable;
    snapshots: SnapshotPlace[];
  }): LogIndex {
    const index = new LogIndex(false, parts);
    index.header = parts.header;
    index.records = parts.records;
    index.seenAny = true;
    for (const commit of parts.commits) index.commits.push(commit);
    for (const snapshot of parts.snapshots) index.snapshots.push(snapshot);
    return index;
  }

  /** Releases the index file the event and input places not read yet come from. */
  async release(): Promise<void> {
    await this.events.release();
    await this.inputs.release();
  }

  get lastCommit(): TickCommit | null {
    return this.commits.at(-1) ?? null;
  }

  get lastSeq(): number {
    return this.events.length;
  }

  get lastInput(): number {
    return this.inputs.length;
  }

  /** Drops pending events, to scan again from the last commit. */
  resetPending(): void {
    this.pending.length = 0;
    this.pendingDecoded.length = 0;
  }

  /**
   * Takes in one record read from a segment, the frame `chunk[at, at + size)` found at byte
   * `offset` of `segment`; returns the commit record when it is one. Keeps nothing that views
   * `chunk`, which the scan reuses.
   * @throws RecordError when the record breaks the log's rules
   */
  ingest(
    kind: RecordKindValue,
    chunk: Uint8Array,
    at: number,
    size: number,
    segment: number,
    offset: number,
  ): TickCommit | null {
    this.records++;
    if (!this.seenAny) {
      this.seenAny = true;
      if (kind !== RecordKind.Header || segment !== 1 || offset !== 0) {
        throw new RecordError('the log does not start with a header record');
      }
    }
    if (kind === RecordKind.Event && !this.verifyEvents) {
      // Most records: no decoding, nothing allocated.
      this.pending.push(segment, offset, size);
      return null;
    }
    const body = chunk.subarray(at + FRAME_HEAD, at + size);
    switch (kind) {
      case RecordKind.Header: {
        if (this.header !== null) throw new RecordError('a second header record');
        // A copy: a decoded binary value would view the scan's buffer.
        const header = decode(body.slice(), 'header');
        if (!isLogHeader(header)) throw new RecordError('the header record is not a log header');
        this.header = header;
        return null;
      }
      case RecordKind.Input: {
        this.noPending('an input');
        const input = inputFromTuple(decodeTuple(body, 'input', 6));
        if (input.ino !== this.inputs.length + 1) {
          throw new RecordError(
            `input number ${input.ino} where ${this.inputs.length + 1} was due`,
          );
        }
        this.inputs.push(segment, offset, size);
        return null;
      }
      case RecordKind.Event: {
        let event;
        try {
          event = decodeEnvelope(body);
        } catch (error) {
          throw new RecordError(`an event record that does not decode (${String(error)})`);
        }
        this.pendingDecoded.push([event.seq, event.tick]);
        this.pending.push(segment, offset, size);
        return null;
      }
      case RecordKind.Commit: {
        const commit = commitFromTuple(decodeTuple(body, 'commit', 6));
        this.addCommit(commit);
        return commit;
      }
      case RecordKind.Snapshot: {
        this.noPending('a snapshot');
        const t = decodeTuple(body, 'snapshot', 4);
        if (!(t[3] instanceof Uint8Array)) throw new RecordError('a snapshot record without bytes');
        this.addSnapshot({
          segment,
          offset,
          size,
          tick: t[0] as number,
          lastSeq: t[1] as number,
          lastInput: t[2] as number,
        });
        return null;
      }
    }
  }

  /** Adds a commit record; the pending events are its events. */
  addCommit(commit: TickCommit): void {
    const last = this.lastCommit;
    const count = this.pending.length;
    if (commit.tick !== (last?.tick ?? 0) + 1) {
      throw new RecordError(
        `commit of tick ${commit.tick} where tick ${(last?.tick ?? 0) + 1} was due`,
      );
    }
    if (
      commit.firstSeq !== this.events.length + 1 ||
      commit.lastSeq !== commit.firstSeq + count - 1
    ) {
      throw new RecordError(
        `commit of tick ${commit.tick} names seqs ${commit.firstSeq}…${commit.lastSeq} but ${count} events from seq ${this.events.length + 1} precede it`,
      );
    }
    if (commit.lastInput > this.inputs.length) {
      throw new RecordError(
        `commit of tick ${commit.tick} consumed input ${commit.lastInput}, which was never journaled`,
      );
    }
    for (let i = 0; i < this.pendingDecoded.length; i++) {
      const [seq, tick] = this.pendingDecoded[i] as [number, number];
      if (seq !== commit.firstSeq + i || tick !== commit.tick) {
        throw new RecordError(
          `event seq ${seq} of tick ${tick} is inside the commit of tick ${commit.tick}`,
        );
      }
    }
    this.events.append(this.pending, count);
    this.commits.push(commit);
    this.resetPending();
  }

  /** Adds a snapshot place, replacing one of the same tick. */
  addSnapshot(place: SnapshotPlace): void {
    const list = this.snapshots;
    let at = list.length;
    while (at > 0 && (list[at - 1] as SnapshotPlace).tick > place.tick) at--;
    if (at > 0 && (list[at - 1] as SnapshotPlace).tick === place.tick) list[at - 1] = place;
    else list.splice(at, 0, place);
  }

  private noPending(what: string): void {
    if (this.pending.length > 0)
      throw new RecordError(`${what} record inside a tick, after its events and before its commit`);
  }
}

function decode(body: Uint8Array, what: string): unknown {
  try {
    return decodeValue(body);
  } catch (error) {
    throw new RecordError(`a ${what} record that does not decode (${String(error)})`);
  }
}

function decodeTuple(body: Uint8Array, what: string, length: number): unknown[] {
  const value = decode(body, what);
  if (!Array.isArray(value) || value.length !== length)
    throw new RecordError(`a ${what} record of the wrong shape`);
  return value;
}
