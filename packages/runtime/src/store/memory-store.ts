import type { StoredEnvelope } from '../events/envelope.ts';
import { StoreLockedError } from '../errors/index.ts';
import { SecondaryIndex } from './secondary-index.ts';
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

/** The data of one in-memory log; shared by the stores opened on the same `memory:name`. */
class MemoryLog {
  header: LogHeader | null = null;
  readonly events: StoredEnvelope[] = [];
  readonly inputs: InputRecord[] = [];
  readonly commits: TickCommit[] = [];
  readonly snapshots: Snapshot[] = [];
  readonly watchers = new Set<(c: TickCommit) => void>();
  writer: string | null = null;
  // Secondary indexes are built lazily, on the first filtered read, so the append path stays a
  // plain array push (the loop's throughput depends on it).
  readonly secondary = new SecondaryIndex();

  index(): SecondaryIndex {
    const events = this.events;
    for (let i = this.secondary.upTo; i < events.length; i++)
      this.secondary.add(events[i] as StoredEnvelope);
    return this.secondary;
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
      checkJournal(this.description, log.inputs.length, inputs);
      for (const input of inputs) log.inputs.push(input);
      return undefined;
    });
  }

  commit(commit: TickCommit, events: readonly StoredEnvelope[]): Promise<void> {
    return settle(() => {
      this.ensureWritable();
      const log = this.log;
      checkCommit(this.description, log.commits.at(-1) ?? null, log.inputs.length, commit, events);
      for (let i = 0; i < events.length; i++) log.events.push(events[i] as StoredEnvelope);
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
      const events = log.events;
      const end = Math.min(q.toSeq, events.length);
      const items: StoredEnvelope[] = [];
      if (q.entity === undefined && q.type === undefined && q.correlation === undefined) {
        for (let seq = q.fromSeq; seq <= end && items.length < q.limit; seq++)
          items.push(events[seq - 1] as StoredEnvelope);
        const next =
          items.length === q.limit && q.fromSeq + items.length <= end
            ? q.fromSeq + items.length
            : null;
        return { items, next };
      }
      const { seqs, next } = log.index().find(q, end);
      for (const seq of seqs) items.push(events[seq - 1] as StoredEnvelope);
      return { items, next };
    });
  }

  readInputs(after = 0, limit = DEFAULT_PAGE): Promise<readonly InputRecord[]> {
    return settle(() => {
      this.ensureOpen();
      checkLimit(limit);
      const from = normalisePosition('after', after);
      return this.log.inputs.slice(from, from + limit);
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
      return this.log.inputs.length;
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
