import type { StoredEnvelope } from '@causeway/runtime';
import { createDraft, enablePatches, finishDraft, produceWithPatches, type Patch } from 'immer';
import type { StatePath } from '../protocol/index.ts';

/** Reads events `fromSeq..toSeq` of the log in seq order (at most `limit`). */
export type EventReader = (
  fromSeq: number,
  toSeq: number,
  limit: number,
) => Promise<readonly StoredEnvelope[]>;

/** Runs the application's appliers for one event on a draft of the state. */
export type ApplyEvent = (draft: object, event: StoredEnvelope) => void;

/** A state after an event (seq 0: the initial state). */
export interface StatePoint {
  readonly seq: number;
  readonly state: object;
}

/** Options of {@link StateHistory}. */
export interface StateHistoryOptions {
  /** A checkpoint of the state is kept every this many events. Default 5,000. */
  readonly checkpointEvery?: number;
  /** The longest the indexer runs before it yields to the event loop, in ms. Default 4. */
  readonly sliceMs?: number;
  /** The newest state of a running system, read without replaying anything. */
  readonly current?: () => StatePoint | null;
}

const PAGE = 1000;
const KEY_SEPARATOR = '\u0000';

/** Yields to the event loop so that I/O, timers and the app's ticks run between slices. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The index key of a patch: its table and entity, or its table alone for a whole table. */
function keyOf(path: readonly (string | number)[]): string {
  return path.length >= 2
    ? `${String(path[0])}${KEY_SEPARATOR}${String(path[1])}`
    : String(path[0] ?? '');
}

/** Reads `path` inside `state`. */
export function readPath(state: unknown, path: StatePath): { exists: boolean; value: unknown } {
  let value: unknown = state;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return { exists: false, value: undefined };
    if (!Object.prototype.hasOwnProperty.call(value, segment))
      return { exists: false, value: undefined };
    value = (value as Record<string | number, unknown>)[segment];
  }
  return { exists: true, value };
}

/** Merges sorted seq lists into one sorted list without repeats. */
function mergeSorted(lists: readonly (readonly number[])[]): number[] {
  if (lists.length === 1) return [...(lists[0] as readonly number[])];
  const all: number[] = [];
  for (const list of lists) for (const seq of list) all.push(seq);
  all.sort((a, b) => a - b);
  const out: number[] = [];
  for (const seq of all) if (out[out.length - 1] !== seq) out.push(seq);
  return out;
}

/**
 * The states of a log, kept so that the state after any event is found without replaying the
 * log from the start: an indexer walks the log in slices of a few milliseconds (yielding to the
 * event loop in between), keeps a checkpoint of the state every `checkpointEvery` events (immer
 * states share structure, so a checkpoint costs what changed since the previous one), and
 * indexes, for every table and entity, the events that changed it. The state after seq `n` is
 * then the nearest checkpoint before it plus at most `checkpointEvery` events applied on one
 * draft.
 */
export class StateHistory {
  readonly #read: EventReader;
  readonly #apply: ApplyEvent;
  readonly #every: number;
  readonly #sliceMs: number;
  readonly #current: () => StatePoint | null;
  readonly #checkpoints: StatePoint[];
  readonly #index = new Map<string, number[]>();
  readonly #recent: StatePoint[] = [];
  #head: StatePoint;
  #target = 0;
  #running: Promise<void> | null = null;
  #closed = false;
  #failure: Error | null = null;
  #progress: ((indexedSeq: number) => void) | null = null;

  constructor(
    read: EventReader,
    apply: ApplyEvent,
    initialState: object,
    options: StateHistoryOptions = {},
  ) {
    enablePatches();
    this.#read = read;
    this.#apply = apply;
    this.#every = options.checkpointEvery ?? 5000;
    this.#sliceMs = options.sliceMs ?? 4;
    this.#current = options.current ?? (() => null);
    this.#head = { seq: 0, state: initialState };
    this.#checkpoints = [this.#head];
  }

  /** The seq up to which checkpoints and the index are built. */
  get indexedSeq(): number {
    return this.#head.seq;
  }

  /** How many checkpoints are kept. */
  get checkpoints(): number {
    return this.#checkpoints.length;
  }

  /** Why indexing stopped (an applier threw), or null. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Calls `listener` after each indexed page. */
  onProgress(listener: (indexedSeq: number) => void): void {
    this.#progress = listener;
  }

  /** Asks the indexer to go on up to `lastSeq` (the log's end); returns at once. */
  advance(lastSeq: number): void {
    if (lastSeq > this.#target) this.#target = lastSeq;
    this.#running ??= this.#run().finally(() => {
      this.#running = null;
    });
  }

  /** Resolves once everything up to the last `advance` is indexed (or indexing failed). */
  async settled(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  /** Stops the indexer. */
  close(): void {
    this.#closed = true;
  }

  async #run(): Promise<void> {
    while (!this.#closed && this.#failure === null && this.#head.seq < this.#target) {
      const from = this.#head.seq + 1;
      const events = await this.#read(from, Math.min(this.#target, from + PAGE - 1), PAGE);
      if (events.length === 0) return;
      let i = 0;
      while (i < events.length && !this.#closed) {
        const started = performance.now();
        do {
          try {
            this.#ingest(events[i] as StoredEnvelope);
          } catch (err) {
            this.#failure = err instanceof Error ? err : new Error(String(err));
            return;
          }
          i++;
        } while (
          i < events.length &&
          (i % 16 !== 0 || performance.now() - started < this.#sliceMs)
        );
        await yieldToLoop();
      }
      this.#progress?.(this.#head.seq);
    }
  }

  #ingest(event: StoredEnvelope): void {
    const [state, patches] = produceWithPatches(this.#head.state, (draft: object) => {
      this.#apply(draft, event);
    });
    for (const patch of patches) {
      const key = keyOf(patch.path);
      let seqs = this.#index.get(key);
      if (seqs === undefined) {
        seqs = [];
        this.#index.set(key, seqs);
      }
      if (seqs[seqs.length - 1] !== event.seq) seqs.push(event.seq);
    }
    this.#head = { seq: event.seq, state };
    if (event.seq % this.#every === 0) this.#checkpoints.push(this.#head);
  }

  /** The nearest known state at or before `seq`. */
  #baseFor(seq: number): StatePoint {
    let lo = 0;
    let hi = this.#checkpoints.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#checkpoints[mid] as StatePoint).seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    let base = this.#checkpoints[lo] as StatePoint;
    if (this.#head.seq <= seq && this.#head.seq > base.seq) base = this.#head;
    for (const point of this.#recent) if (point.seq <= seq && point.seq > base.seq) base = point;
    return base;
  }

  #remember(point: StatePoint): void {
    this.#recent.push(point);
    if (this.#recent.length > 8) this.#recent.shift();
  }

  /**
   * The state after event `seq` (0: the initial state).
   * @throws RangeError when `seq` is past the end of the log.
   */
  async stateAt(seq: number): Promise<object> {
    const current = this.#current();
    if (current !== null && current.seq === seq) return current.state;
    const base = this.#baseFor(seq);
    if (base.seq === seq) return base.state;
    const { state } = await this.#walk(base, seq);
    this.#remember({ seq, state });
    return state;
  }

  /** Applies the events after `base` up to `seq` on one draft; `last` is event `seq`. */
  async #walk(
    base: StatePoint,
    seq: number,
  ): Promise<StatePoint & { last: StoredEnvelope | null }> {
    const draft = createDraft(base.state);
    let from = base.seq + 1;
    let last: StoredEnvelope | null = null;
    while (from <= seq) {
      const events = await this.#read(from, seq, PAGE);
      if (events.length === 0) {
        throw new RangeError(`The log ends before seq ${seq} (read up to ${from - 1}).`);
      }
      for (const event of events) this.#apply(draft, event);
      last = events[events.length - 1] as StoredEnvelope;
      from = last.seq + 1;
    }
    return { seq, state: finishDraft(draft), last };
  }

  /** The patches and inverse patches of event `seq`, from the state before it. */
  async patchesOf(event: StoredEnvelope): Promise<{ patches: Patch[]; inverse: Patch[] }> {
    const before = await this.stateAt(event.seq - 1);
    const [, patches, inverse] = produceWithPatches(before, (draft: object) => {
      this.#apply(draft, event);
    });
    return { patches, inverse };
  }

  /** Seqs of the indexed events that changed anything at or under `path` (sorted). */
  changesUnder(path: StatePath): number[] {
    const table = String(path[0]);
    const lists: number[][] = [];
    const whole = this.#index.get(table);
    if (whole !== undefined) lists.push(whole);
    if (path.length >= 2) {
      const own = this.#index.get(keyOf(path));
      if (own !== undefined) lists.push(own);
    } else {
      const prefix = `${table}${KEY_SEPARATOR}`;
      for (const [key, seqs] of this.#index) if (key.startsWith(prefix)) lists.push(seqs);
    }
    return mergeSorted(lists);
  }

  /** Tables whose index holds the entity (table names from the newest indexed state). */
  tablesOf(entity: string): string[] {
    return Object.keys(this.#head.state).filter((table) =>
      this.#index.has(`${table}${KEY_SEPARATOR}${entity}`),
    );
  }

  /**
   * The states right before and after each of `seqs` (sorted ascending), walking forward from
   * the nearest known state for each, so that nearby seqs share one walk.
   */
  async *around(seqs: readonly number[]): AsyncGenerator<{
    event: StoredEnvelope;
    before: object;
    after: object;
  }> {
    let cursor: StatePoint | null = null;
    for (const seq of seqs) {
      let base = this.#baseFor(seq - 1);
      if (cursor !== null && cursor.seq <= seq - 1 && cursor.seq >= base.seq) base = cursor;
      const before = base.seq === seq - 1 ? base : await this.#walk(base, seq - 1);
      const after = await this.#walk(before, seq);
      cursor = after;
      if (after.last === null) return;
      yield { event: after.last, before: before.state, after: after.state };
    }
  }
}
