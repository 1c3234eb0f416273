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

/**
 * Growable columns of record places, indexed from 0: a million events cost 16 bytes each
 * instead of a million small objects.
 */
export class PlaceTable {
  private segments = new Uint32Array(1024);
  private offsets = new Float64Array(1024);
  private sizes = new Uint32Array(1024);
  length = 0;

  push(segment: number, offset: number, size: number): void {
    if (this.length === this.segments.length) this.grow();
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

  /** A table holding the given columns (of equal length), which it takes over. */
  static fromColumns(
    segments: Uint32Array<ArrayBuffer>,
    offsets: Float64Array<ArrayBuffer>,
    sizes: Uint32Array<ArrayBuffer>,
  ): PlaceTable {
    const table = new PlaceTable();
    const length = segments.length;
    if (length < 1024) {
      table.segments.set(segments);
      table.offsets.set(offsets);
      table.sizes.set(sizes);
    } else {
      table.segments = segments;
      table.offsets = offsets;
      table.sizes = sizes;
    }
    table.length = length;
    return table;
  }

  /** Appends the first `count` places of `other`. */
  append(other: PlaceTable, count: number): void {
    while (this.length + count > this.segments.length) this.grow();
    const at = this.length;
    this.segments.set(other.segments.subarray(0, count), at);
    this.offsets.set(other.offsets.subarray(0, count), at);
    this.sizes.set(other.sizes.subarray(0, count), at);
    this.length += count;
  }

  /**
   * The columns as they are now. Entries below `length` never change, and growing copies into
   * new arrays, so a reader may keep these across awaits.
   */
  columns(): { segments: Uint32Array; offsets: Float64Array; sizes: Uint32Array; length: number } {
    return {
      segments: this.segments,
      offsets: this.offsets,
      sizes: this.sizes,
      length: this.length,
    };
  }

  private grow(): void {
    const n = this.segments.length * 2;
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
  private pendingDecoded: Array<[number, number]> = [];
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
    this.pendingDecoded = [];
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
