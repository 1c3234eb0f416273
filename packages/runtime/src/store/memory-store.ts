import type { StoredEnvelope } from '../events/envelope.ts';
import { StoreLockedError } from '../errors/index.ts';
import { SecondaryIndex } from './secondary-index.ts';
import { PlainEnvelope } from './stored-envelope.ts';
import { UuidReader, uuidToWords } from '../ids/uuid-words.ts';
import type {
  EventQuery,
  EventStore,
  InputRecord,
  LogHeader,
  Page,
  Snapshot,
  TickCommit,
  Unwatch,
} from './port.ts';
import {
  badEventValues,
  badInputValues,
  checkCommit,
  checkHeader,
  checkJournal,
  checkLimit,
  checkNewHeader,
  checkSnapshot,
  DEFAULT_PAGE,
  eventRefused,
  inputRefused,
  normalisePosition,
  normaliseQuery,
  ownCommit,
  ownSnapshot,
  storeClosed,
  storeNotOpen,
  storeReadOnly,
} from './rules.ts';

// How a memory log holds its events and inputs: as rows of fields in large arrays, not as the
// objects it was given. Appliers-only ticks on this store ran at 2.4 times the rate with no log
// kept at all: every kept event was an envelope object and an input record, with boxed numbers
// inside, each made in V8's young generation and copied twice by its collector before it
// settled in the old one. A row makes no object: a chunk of rows is one array (allocated in the
// old generation, being large) and its times one Float64Array, so the collector copies only what
// a row points to that is new (the payload). Reads build the envelopes and records again, each a
// fresh object.
//
// What a log keeps grows with every event, and memory the process has not used before costs a
// page fault on first touch, which on a virtual machine costs microseconds a page: rows are kept
// small. An event id (a UUID) is four words of an Int32Array, not a string of 36 characters; a
// correlation equal to the id is a marker; type and version are one small number (a "kind");
// the tick is the commit's. An appliers-only event kept 232 bytes of heap and now keeps 144 (and
// 24 bytes of typed arrays), and ticks of 1,000 of them fault a third fewer pages.

/** Rows a chunk: one array of ROWS * stride slots, a few hundred kilobytes. */
const ROWS = 4096;
const ROW_SHIFT = 12;
const ROW_MASK = ROWS - 1;
/**
 * An event row: id, kind, entity, data, causation, correlation, actor. An id that is a UUID in
 * canonical form is kept as four words of the chunk's `eventIds`, its slot holding PACKED_ID; a
 * correlation equal to the event's id is the slot SAME_AS_ID. The kind is the number of the
 * event's (type, version) in the log's list of them. The event's time is in the chunk's
 * `eventTimes`; its tick is its commit's (the commit's check makes them equal).
 */
const EVENT_FIELDS = 7;
const PACKED_ID = 0;
const SAME_AS_ID = 1;
/** An input row: kind, entity, data, actor (its number is its place, from 1). */
const INPUT_FIELDS = 4;

/** The data of one in-memory log; shared by the stores opened on the same `memory:name`. */
class MemoryLog {
  header: LogHeader | null = null;
  /** The number of events (the last seq). */
  eventCount = 0;
  /** The number of journaled inputs (the last input number). */
  inputCount = 0;
  private readonly eventRows: unknown[][] = [];
  private readonly eventTimes: Float64Array[] = [];
  private readonly eventIds: Int32Array[] = [];
  private readonly ids = new UuidReader();
  private readonly inputRows: unknown[][] = [];
  // The (type, version) pairs of the log's events and inputs, by kind, and the kind of each.
  private readonly kindTypes: string[] = [];
  private readonly kindVersions: number[] = [];
  private readonly kinds = new Map<string, number[]>();
  // The commit that held the last event read: reads go in seq order, so the next event's tick
  // is usually this commit's or the next one's.
  private commitAt = 0;
  readonly commits: TickCommit[] = [];
  readonly snapshots: Snapshot[] = [];
  readonly watchers = new Set<(c: TickCommit) => void>();
  writer: string | null = null;
  // Secondary indexes are built lazily, on the first filtered read, so the append path stays
  // row writes (the loop's throughput depends on it).
  readonly secondary = new SecondaryIndex();

  /**
   * Appends an event (checked by the caller) as the row of seq `eventCount + 1`, reading each of
   * its fields once and checking what it read: a getter may answer otherwise than it did for the
   * caller's check. Returns what is wrong with a field (nothing written), or null.
   */
  appendEvent(e: StoredEnvelope): string | null {
    const id = e.id;
    const type = e.type;
    const version = e.version;
    const entity = e.entity;
    const data: unknown = e.data;
    const at = e.at;
    const causation = e.causation;
    const correlation = e.correlation;
    const actor = e.actor;
    const bad = badEventValues(id, type, version, entity, at, causation, correlation, actor);
    if (bad !== null) return bad;
    const n = this.eventCount;
    const chunk = n >>> ROW_SHIFT;
    let rows = this.eventRows[chunk];
    if (rows === undefined) {
      rows = new Array<unknown>(ROWS * EVENT_FIELDS);
      this.eventRows.push(rows);
      this.eventTimes.push(new Float64Array(ROWS));
      this.eventIds.push(new Int32Array(ROWS * 4));
    }
    const slot = (n & ROW_MASK) * EVENT_FIELDS;
    rows[slot] = uuidToWords(id, this.eventIds[chunk] as Int32Array, (n & ROW_MASK) * 4)
      ? PACKED_ID
      : id;
    rows[slot + 1] = this.kindOf(type, version);
    rows[slot + 2] = entity;
    rows[slot + 3] = data;
    rows[slot + 4] = causation;
    rows[slot + 5] = correlation === id ? SAME_AS_ID : correlation;
    rows[slot + 6] = actor;
    (this.eventTimes[chunk] as Float64Array)[n & ROW_MASK] = at;
    this.eventCount = n + 1;
    return null;
  }

  /**
   * The event of `seq` (1 … eventCount, committed), a fresh envelope: writing to it changes no
   * one else's. Not frozen (freezing each one about halved a rebuild's rate); its payload is the
   * object the log was given, which the loop's own copies are frozen. Made with `new
   * PlainEnvelope`, not as an object literal (see there).
   */
  event(seq: number): StoredEnvelope {
    const n = seq - 1;
    const chunk = n >>> ROW_SHIFT;
    const rows = this.eventRows[chunk] as unknown[];
    const at = (n & ROW_MASK) * EVENT_FIELDS;
    const id = this.idAt(chunk, n, rows[at]);
    const kind = rows[at + 1] as number;
    const correlation = rows[at + 5];
    return new PlainEnvelope(
      id,
      seq,
      this.tickOf(seq),
      this.kindTypes[kind] as string,
      this.kindVersions[kind] as number,
      rows[at + 2] as string,
      rows[at + 3],
      (this.eventTimes[chunk] as Float64Array)[n & ROW_MASK] as number,
      rows[at + 4] as string | null,
      correlation === SAME_AS_ID ? id : (correlation as string),
      rows[at + 6] as string,
    );
  }

  /** The id of event row `n` of `chunk`, whose id slot holds `slot`. */
  private idAt(chunk: number, n: number, slot: unknown): string {
    return slot === PACKED_ID
      ? this.ids.read(this.eventIds[chunk] as Int32Array, (n & ROW_MASK) * 4)
      : (slot as string);
  }

  /** The tick of committed event `seq`: its commit's. */
  private tickOf(seq: number): number {
    const commits = this.commits;
    let i = this.commitAt;
    if (!spans(commits[i], seq)) {
      if (spans(commits[i + 1], seq)) i++;
      else {
        // A jump (a filtered read, a page from elsewhere): the commit whose span holds seq.
        let low = 0;
        let high = commits.length - 1;
        while (low < high) {
          const mid = (low + high) >>> 1;
          if ((commits[mid] as TickCommit).lastSeq < seq) low = mid + 1;
          else high = mid;
        }
        i = low;
      }
      this.commitAt = i;
    }
    return (commits[i] as TickCommit).tick;
  }

  /** The kind of events and inputs of `type` at `version`, added to the list when new. */
  private kindOf(type: string, version: number): number {
    let byVersion = this.kinds.get(type);
    if (byVersion === undefined) {
      byVersion = [];
      this.kinds.set(type, byVersion);
    }
    let kind = byVersion[version];
    if (kind === undefined) {
      kind = this.kindTypes.length;
      this.kindTypes.push(type);
      this.kindVersions.push(version);
      byVersion[version] = kind;
    }
    return kind;
  }

  /**
   * Appends an input (checked by the caller) as the row of input `inputCount + 1`, its fields
   * read once and checked as an event's are. Returns what is wrong (nothing written), or null.
   */
  appendInput(input: InputRecord): string | null {
    const type = input.type;
    const version = input.version;
    const entity = input.entity;
    const data = input.data;
    const actor = input.actor;
    const bad = badInputValues(type, version, entity, actor);
    if (bad !== null) return bad;
    const n = this.inputCount;
    const chunk = n >>> ROW_SHIFT;
    let rows = this.inputRows[chunk];
    if (rows === undefined) {
      rows = new Array<unknown>(ROWS * INPUT_FIELDS);
      this.inputRows.push(rows);
    }
    const slot = (n & ROW_MASK) * INPUT_FIELDS;
    rows[slot] = this.kindOf(type, version);
    rows[slot + 1] = entity;
    rows[slot + 2] = data;
    rows[slot + 3] = actor;
    this.inputCount = n + 1;
    return null;
  }

  /** The input numbered `ino` (1 … inputCount), a fresh record (its payload as above). */
  input(ino: number): InputRecord {
    const n = ino - 1;
    const rows = this.inputRows[n >>> ROW_SHIFT] as unknown[];
    const at = (n & ROW_MASK) * INPUT_FIELDS;
    const kind = rows[at] as number;
    return {
      ino,
      type: this.kindTypes[kind] as string,
      version: this.kindVersions[kind] as number,
      entity: rows[at + 1] as string,
      data: rows[at + 2],
      actor: rows[at + 3] as string,
    };
  }

  index(): SecondaryIndex {
    const secondary = this.secondary;
    for (let seq = secondary.upTo + 1; seq <= this.eventCount; seq++) {
      const n = seq - 1;
      const chunk = n >>> ROW_SHIFT;
      const rows = this.eventRows[chunk] as unknown[];
      const at = (n & ROW_MASK) * EVENT_FIELDS;
      const correlation = rows[at + 5];
      secondary.add({
        seq,
        type: this.kindTypes[rows[at + 1] as number] as string,
        entity: rows[at + 2] as string,
        correlation:
          correlation === SAME_AS_ID ? this.idAt(chunk, n, rows[at]) : (correlation as string),
      });
    }
    return secondary;
  }
}

/** Whether `commit`'s events include `seq`. */
function spans(commit: TickCommit | undefined, seq: number): boolean {
  return commit !== undefined && seq >= commit.firstSeq && seq <= commit.lastSeq;
}

const named = new Map<string, MemoryLog>();
let writers = 0;

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Stores opened with the same name in one process share their log (until the process ends). */
  readonly name?: string;
  readonly readOnly?: boolean;
}

/**
 * The default store: the log in memory, fast and not durable. Named memory stores
 * (`memory:name`) outlive their `close()` within the process, so a test can close and reopen one.
 */
export class MemoryStore implements EventStore {
  readonly description: string;
  readonly readOnly: boolean;
  private readonly log: MemoryLog;
  private readonly writerId: string;
  private closed = false;
  private opened = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.readOnly = options.readOnly ?? false;
    this.writerId = `memory writer #${++writers}`;
    if (options.name === undefined) {
      this.log = new MemoryLog();
      this.description = 'memory:';
    } else {
      let log = named.get(options.name);
      if (log === undefined) {
        log = new MemoryLog();
        named.set(options.name, log);
      }
      this.log = log;
      this.description = `memory:${options.name}`;
    }
  }

  open(header?: LogHeader): Promise<LogHeader | null> {
    return settle(() => {
      if (this.closed) throw storeClosed(this.description);
      const log = this.log;
      if (!this.readOnly) {
        if (header !== undefined) checkNewHeader(this.description, header);
        if (log.writer !== null && log.writer !== this.writerId)
          throw new StoreLockedError(this.description, log.writer);
        // The header is checked before the lock is taken, so a refused writer holds nothing.
        if (header !== undefined && log.header !== null)
          checkHeader(this.description, log.header, header);
        log.writer = this.writerId;
        if (header !== undefined && log.header === null) log.header = header;
      }
      this.opened = true;
      return log.header;
    });
  }

  journal(inputs: readonly InputRecord[]): Promise<void> {
    return settle(() => {
      this.ensureWritable();
      const log = this.log;
      // The fields are checked as they are read for the rows (once), not here.
      checkJournal(this.description, log.inputCount, inputs, false);
      const first = log.inputCount;
      try {
        for (let i = 0; i < inputs.length; i++) {
          const input = inputs[i] as InputRecord;
          const bad = log.appendInput(input);
          if (bad !== null) throw inputRefused(this.description, input.ino, bad);
        }
      } catch (error) {
        // A field refused as it was read fails the whole batch.
        log.inputCount = first;
        throw error;
      }
      return undefined;
    });
  }

  commit(commit: TickCommit, events: readonly StoredEnvelope[]): Promise<void> {
    return settle(() => {
      this.ensureWritable();
      const log = this.log;
      // The commit is kept and handed out as it is: a frozen copy, each field read once.
      const own = ownCommit(commit);
      // As for inputs: the events' fields are checked as they are read for the rows.
      checkCommit(this.description, log.commits.at(-1) ?? null, log.inputCount, own, events, false);
      const first = log.eventCount;
      try {
        for (let i = 0; i < events.length; i++) {
          const e = events[i] as StoredEnvelope;
          const bad = log.appendEvent(e);
          if (bad !== null) throw eventRefused(this.description, own.tick, i, e.seq, bad);
        }
      } catch (error) {
        // As for inputs: a refused field fails the whole tick.
        log.eventCount = first;
        throw error;
      }
      log.commits.push(own);
      for (const watcher of log.watchers) {
        try {
          watcher(own);
        } catch {
          // A watcher's failure is its own (as in the file store): the commit is stored, and
          // rejecting it would have its writer take a committed tick for a failed one.
        }
      }
      return undefined;
    });
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return settle(() => {
      this.ensureWritable();
      const commits = this.log.commits;
      // A copy, its bytes too: a caller that reuses its buffer changes nothing kept.
      const own = ownSnapshot(snapshot);
      checkSnapshot(this.description, own, commits[own.tick - 1], commits.length);
      const list = this.log.snapshots;
      const at = list.findIndex((s) => s.tick >= own.tick);
      if (at === -1) list.push(own);
      else if ((list[at] as Snapshot).tick === own.tick) list[at] = own;
      else list.splice(at, 0, own);
      return undefined;
    });
  }

  latestSnapshot(atOrBeforeTick?: number): Promise<Snapshot | null> {
    return settle(() => {
      this.ensureOpen();
      const bound =
        atOrBeforeTick === undefined
          ? undefined
          : normalisePosition('atOrBeforeTick', atOrBeforeTick);
      const list = this.log.snapshots;
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i] as Snapshot;
        // Its own bytes for each reader, as the durable stores' reads give.
        if (bound === undefined || s.tick <= bound) return ownSnapshot(s);
      }
      return null;
    });
  }

  readEvents(query?: EventQuery): Promise<Page<StoredEnvelope>> {
    return settle(() => {
      this.ensureOpen();
      const q = normaliseQuery(query);
      const log = this.log;
      const end = Math.min(q.toSeq, log.eventCount);
      const items: StoredEnvelope[] = [];
      if (q.entity === undefined && q.type === undefined && q.correlation === undefined) {
        for (let seq = q.fromSeq; seq <= end && items.length < q.limit; seq++)
          items.push(log.event(seq));
        const next =
          items.length === q.limit && q.fromSeq + items.length <= end
            ? q.fromSeq + items.length
            : null;
        return { items, next };
      }
      const { seqs, next } = log.index().find(q, end);
      for (const seq of seqs) items.push(log.event(seq));
      return { items, next };
    });
  }

  readInputs(after = 0, limit = DEFAULT_PAGE): Promise<readonly InputRecord[]> {
    return settle(() => {
      this.ensureOpen();
      checkLimit(limit);
      const from = normalisePosition('after', after);
      const log = this.log;
      const to = Math.min(log.inputCount, from + limit);
      const records: InputRecord[] = [];
      for (let ino = from + 1; ino <= to; ino++) records.push(log.input(ino));
      return records;
    });
  }

  readCommits(afterTick = 0, limit = DEFAULT_PAGE): Promise<readonly TickCommit[]> {
    return settle(() => {
      this.ensureOpen();
      checkLimit(limit);
      const from = normalisePosition('afterTick', afterTick);
      return this.log.commits.slice(from, from + limit);
    });
  }

  lastCommit(): Promise<TickCommit | null> {
    return settle(() => {
      this.ensureOpen();
      return this.log.commits.at(-1) ?? null;
    });
  }

  lastInput(): Promise<number> {
    return settle(() => {
      this.ensureOpen();
      return this.log.inputCount;
    });
  }

  watch(listener: (commit: TickCommit) => void): Unwatch {
    if (this.closed) throw storeClosed(this.description);
    const log = this.log;
    // Each watcher gets its own wrapper so that one function may watch twice and unwatch once.
    const wrapper = (c: TickCommit): void => listener(c);
    log.watchers.add(wrapper);
    return () => log.watchers.delete(wrapper);
  }

  close(): Promise<void> {
    if (!this.closed && this.log.writer === this.writerId) this.log.writer = null;
    this.closed = true;
    return Promise.resolve();
  }

  private ensureOpen(): void {
    if (this.closed) throw storeClosed(this.description);
    if (!this.opened) throw storeNotOpen(this.description, 'not-open');
  }

  private ensureWritable(): void {
    if (this.closed) throw storeClosed(this.description);
    if (this.readOnly) throw storeReadOnly(this.description);
    if (!this.opened) throw storeNotOpen(this.description, 'not-open');
    if (this.log.header === null) throw storeNotOpen(this.description, 'no-header');
  }
}

/** Forgets every named memory log (for tests). */
export function resetMemoryStores(): void {
  named.clear();
}

/**
 * Runs a store operation so that every failure, a refused append included, reaches the caller
 * as a rejected promise, as the port promises, and never as a synchronous throw.
 */
function settle<T>(operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
