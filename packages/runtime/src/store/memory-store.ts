import type { StoredEnvelope } from '../events/envelope.ts';
import { StoreLockedError } from '../errors/index.ts';
import { SecondaryIndex } from './secondary-index.ts';
import { PlainEnvelope } from './stored-envelope.ts';
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
  checkCommit,
  checkHeader,
  checkJournal,
  checkLimit,
  checkNewHeader,
  checkSnapshot,
  DEFAULT_PAGE,
  normalisePosition,
  normaliseQuery,
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
// a row points to that is new (the payload, the event id). Stores of those into an old array
// cost write barriers instead, and the tick gained 4 to 9 %. Reads build the envelopes and
// records again, each a fresh object.

/** Rows a chunk: one array of ROWS * stride slots, a few hundred kilobytes. */
const ROWS = 4096;
const ROW_SHIFT = 12;
const ROW_MASK = ROWS - 1;
/** An event row: id, tick, type, version, entity, data, causation, correlation, actor. */
const EVENT_FIELDS = 9;
/** An input row: type, version, entity, data, actor (its number is its place, from 1). */
const INPUT_FIELDS = 5;

/** The data of one in-memory log; shared by the stores opened on the same `memory:name`. */
class MemoryLog {
  header: LogHeader | null = null;
  /** The number of events (the last seq). */
  eventCount = 0;
  /** The number of journaled inputs (the last input number). */
  inputCount = 0;
  private readonly eventRows: unknown[][] = [];
  private readonly eventTimes: Float64Array[] = [];
  private readonly inputRows: unknown[][] = [];
  readonly commits: TickCommit[] = [];
  readonly snapshots: Snapshot[] = [];
  readonly watchers = new Set<(c: TickCommit) => void>();
  writer: string | null = null;
  // Secondary indexes are built lazily, on the first filtered read, so the append path stays
  // row writes (the loop's throughput depends on it).
  readonly secondary = new SecondaryIndex();

  /** Appends an event (checked by the caller) as the row of seq `eventCount + 1`. */
  appendEvent(e: StoredEnvelope): void {
    const n = this.eventCount;
    const chunk = n >>> ROW_SHIFT;
    let rows = this.eventRows[chunk];
    if (rows === undefined) {
      rows = new Array<unknown>(ROWS * EVENT_FIELDS);
      this.eventRows.push(rows);
      this.eventTimes.push(new Float64Array(ROWS));
    }
    const at = (n & ROW_MASK) * EVENT_FIELDS;
    rows[at] = e.id;
    rows[at + 1] = e.tick;
    rows[at + 2] = e.type;
    rows[at + 3] = e.version;
    rows[at + 4] = e.entity;
    rows[at + 5] = e.data;
    rows[at + 6] = e.causation;
    rows[at + 7] = e.correlation;
    rows[at + 8] = e.actor;
    (this.eventTimes[chunk] as Float64Array)[n & ROW_MASK] = e.at;
    this.eventCount = n + 1;
  }

  /**
   * The event of `seq` (1 … eventCount), a fresh envelope: writing to it changes no one else's.
   * Not frozen (freezing each one about halved a rebuild's rate); its payload is the object the
   * log was given, which the loop's own copies are frozen. Made with `new PlainEnvelope`, not
   * as an object literal (see there).
   */
  event(seq: number): StoredEnvelope {
    const n = seq - 1;
    const chunk = n >>> ROW_SHIFT;
    const rows = this.eventRows[chunk] as unknown[];
    const at = (n & ROW_MASK) * EVENT_FIELDS;
    return new PlainEnvelope(
      rows[at] as string,
      seq,
      rows[at + 1] as number,
      rows[at + 2] as string,
      rows[at + 3] as number,
      rows[at + 4] as string,
      rows[at + 5],
      (this.eventTimes[chunk] as Float64Array)[n & ROW_MASK] as number,
      rows[at + 6] as string | null,
      rows[at + 7] as string,
      rows[at + 8] as string,
    );
  }

  /** Appends an input (checked by the caller) as the row of input `inputCount + 1`. */
  appendInput(input: InputRecord): void {
    const n = this.inputCount;
    const chunk = n >>> ROW_SHIFT;
    let rows = this.inputRows[chunk];
    if (rows === undefined) {
      rows = new Array<unknown>(ROWS * INPUT_FIELDS);
      this.inputRows.push(rows);
    }
    const at = (n & ROW_MASK) * INPUT_FIELDS;
    rows[at] = input.type;
    rows[at + 1] = input.version;
    rows[at + 2] = input.entity;
    rows[at + 3] = input.data;
    rows[at + 4] = input.actor;
    this.inputCount = n + 1;
  }

  /** The input numbered `ino` (1 … inputCount), a fresh record (its payload as above). */
  input(ino: number): InputRecord {
    const n = ino - 1;
    const rows = this.inputRows[n >>> ROW_SHIFT] as unknown[];
    const at = (n & ROW_MASK) * INPUT_FIELDS;
    return {
      ino,
      type: rows[at] as string,
      version: rows[at + 1] as number,
      entity: rows[at + 2] as string,
      data: rows[at + 3],
      actor: rows[at + 4] as string,
    };
  }

  index(): SecondaryIndex {
    const secondary = this.secondary;
    for (let seq = secondary.upTo + 1; seq <= this.eventCount; seq++) {
      const n = seq - 1;
      const rows = this.eventRows[n >>> ROW_SHIFT] as unknown[];
      const at = (n & ROW_MASK) * EVENT_FIELDS;
      secondary.add({
        seq,
        type: rows[at + 2] as string,
        entity: rows[at + 4] as string,
        correlation: rows[at + 7] as string,
      });
    }
    return secondary;
  }
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
      checkJournal(this.description, log.inputCount, inputs);
      const first = log.inputCount;
      try {
        for (let i = 0; i < inputs.length; i++) log.appendInput(inputs[i] as InputRecord);
      } catch (error) {
        // A field that reads differently the second time (a getter) fails the whole batch.
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
      checkCommit(this.description, log.commits.at(-1) ?? null, log.inputCount, commit, events);
      const first = log.eventCount;
      try {
        for (let i = 0; i < events.length; i++) log.appendEvent(events[i] as StoredEnvelope);
      } catch (error) {
        // As for inputs: the checks read each field once, the rows a second time.
        log.eventCount = first;
        throw error;
      }
      log.commits.push(commit);
      for (const watcher of log.watchers) {
        try {
          watcher(commit);
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
      checkSnapshot(this.description, snapshot, commits[snapshot.tick - 1], commits.length);
      const list = this.log.snapshots;
      const at = list.findIndex((s) => s.tick >= snapshot.tick);
      if (at === -1) list.push(snapshot);
      else if ((list[at] as Snapshot).tick === snapshot.tick) list[at] = snapshot;
      else list.splice(at, 0, snapshot);
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
        if (bound === undefined || s.tick <= bound) return s;
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
