import { Decoder, Encoder } from '@msgpack/msgpack';
import type { StoredEnvelope } from '@causeway/runtime';
import { CODEC_MAX_DEPTH } from '@causeway/runtime/store-kit';
import { createDraft, current, finishDraft, isDraft, type Patch } from 'immer';
import type { StatePath } from '../protocol/index.ts';

/** Reads events `fromSeq..toSeq` of the log in seq order (at most `limit`). */
export type EventReader = (
  fromSeq: number,
  toSeq: number,
  limit: number,
) => Promise<readonly StoredEnvelope[]>;

/** Runs the application's appliers for one event on a draft of the state. */
export type ApplyEvent = (draft: object, event: StoredEnvelope) => void;

/** Makes a function that applies events on `draft` and returns each one's patches. */
export type RecordEvents = (
  draft: object,
) => (event: StoredEnvelope) => { readonly patches: Patch[]; readonly inverse: Patch[] } | null;

/** A draft of a state: what appliers write to, and how it ends in a new state. */
export interface StateDraftLike {
  readonly root: object;
  finish(): object;
}

/** Makes a draft of `state` (see {@link StateHistoryOptions.draft}). */
export type DraftState = (state: object) => StateDraftLike;

/** Drafts through immer: each table the draft changes is copied whole when it ends. */
const immerDraft: DraftState = (state) => {
  const root = createDraft(state);
  return { root, finish: () => finishDraft<object>(root) };
};

/** A state after an event (seq 0: the initial state). */
export interface StatePoint {
  readonly seq: number;
  readonly state: object;
}

/** One version of one entity in one table: after event `seq`, its value (or its removal). */
export interface Version {
  readonly seq: number;
  readonly exists: boolean;
  readonly value: unknown;
}

/** Options of {@link StateHistory}. */
export interface StateHistoryOptions {
  /** A checkpoint of the state is kept every this many events. Default 2,000. */
  readonly checkpointEvery?: number;
  /** The longest the indexer runs before it yields to the event loop, in ms. Default 4. */
  readonly sliceMs?: number;
  /** The newest state of a running system, read without replaying anything. */
  readonly current?: () => StatePoint | null;
  /**
   * How a draft of a state is made: the system's own state engine (`systemInternals(system).draft`),
   * whose drafts cost what they change. Default: immer's `createDraft`, which copies each table
   * it changes whole when the draft ends.
   */
  readonly draft?: DraftState;
}

const PAGE = 1000;
// One of each, shared: `encode` and `decode` make a new one a call, an encoder with a buffer of
// its own (measured: a tenth of an attached loop's time went to making encoders). The encoder
// goes as deep as the runtime's codec, which writes every state value the runtime commits (its
// default, 100 levels, stopped the indexer at the first deeper entry).
const encoder = new Encoder({ maxDepth: CODEC_MAX_DEPTH });
const decoder = new Decoder();
const CHUNK = 8 * 1024 * 1024;

/** Yields to the event loop so that I/O, timers and the app's ticks run between slices. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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

/**
 * Whether `table` of `state` holds `entity`, and its value: one own-property lookup a level,
 * so a draft's table answers once where `hasOwnProperty` and a read asked it twice.
 */
function entryIn(
  state: object,
  table: string,
  entity: string,
): { exists: boolean; value: unknown } {
  const tableFound = Reflect.getOwnPropertyDescriptor(state, table);
  const tableValue: unknown = tableFound?.value;
  if (typeof tableValue !== 'object' || tableValue === null)
    return { exists: false, value: undefined };
  const found = Reflect.getOwnPropertyDescriptor(tableValue, entity);
  return found === undefined
    ? { exists: false, value: undefined }
    : { exists: true, value: found.value };
}

/** Append-only storage of encoded values in large chunks (no object per value). */
class ValueArena {
  readonly #chunks: Uint8Array[] = [new Uint8Array(CHUNK)];
  #used = 0;

  get bytes(): number {
    return (this.#chunks.length - 1) * CHUNK + this.#used;
  }

  append(bytes: Uint8Array): number {
    if (bytes.byteLength > CHUNK) throw new RangeError('value too large for the arena');
    if (this.#used + bytes.byteLength > CHUNK) {
      this.#chunks.push(new Uint8Array(CHUNK));
      this.#used = 0;
    }
    const at = (this.#chunks.length - 1) * CHUNK + this.#used;
    (this.#chunks[this.#chunks.length - 1] as Uint8Array).set(bytes, this.#used);
    this.#used += bytes.byteLength;
    return at;
  }

  read(at: number, length: number): unknown {
    const chunk = this.#chunks[Math.floor(at / CHUNK)] as Uint8Array;
    const offset = at % CHUNK;
    return decoder.decode(chunk.subarray(offset, offset + length));
  }
}

/** The versions of one entity in one table: parallel columns, oldest first. */
interface VersionColumns {
  readonly seqs: number[];
  readonly at: number[];
  /** Encoded length; -1 when the entity was removed from the table. */
  readonly lengths: number[];
}

/**
 * The states of a log, kept so that the state after any event is found without replaying the
 * log from the start, and the history of every entity without replaying anything: an indexer
 * walks the log in slices of a few milliseconds (yielding to the event loop in between), on one
 * draft finished only at each checkpoint (every `checkpointEvery` events; states share
 * structure, so a checkpoint costs what changed since the previous one). Through the runtime's
 * patch recorder it sees which table entries each event changed, and keeps each changed entry's
 * new value, msgpack-encoded in an append-only arena. The state after seq `n` is the nearest
 * checkpoint plus at most `checkpointEvery` events applied on one draft; a path's history is read
 * from the versions of its entry.
 *
 * Writes that replace a whole table (`draft.table = {…}`) are not split into entries; their seqs
 * are kept per table ({@link StateHistory.tableWrites}).
 */
export class StateHistory {
  readonly #read: EventReader;
  readonly #apply: ApplyEvent;
  readonly #record: RecordEvents;
  readonly #every: number;
  readonly #sliceMs: number;
  readonly #current: () => StatePoint | null;
  readonly #checkpoints: StatePoint[];
  // Table, then entity: the entity ids are the events' own strings, whose hashes are kept, where
  // a key made of both was a new string to hash for every change (measured: 5 % of an attached
  // loop).
  readonly #versions = new Map<string, Map<string, VersionColumns>>();
  readonly #tableWrites = new Map<string, number[]>();
  readonly #arena = new ValueArena();
  readonly #recent: StatePoint[] = [];
  #head: StatePoint;
  readonly #makeDraft: DraftState;
  #draft: StateDraftLike | null = null;
  #recordOn: ReturnType<RecordEvents> | null = null;
  #indexed = 0;
  #target = 0;
  #running: Promise<void> | null = null;
  #closed = false;
  #failure: Error | null = null;
  #progress: ((indexedSeq: number) => void) | null = null;

  constructor(
    read: EventReader,
    apply: ApplyEvent,
    record: RecordEvents,
    initialState: object,
    options: StateHistoryOptions = {},
  ) {
    this.#read = read;
    this.#apply = apply;
    this.#record = record;
    this.#every = options.checkpointEvery ?? 2000;
    this.#sliceMs = options.sliceMs ?? 4;
    this.#current = options.current ?? (() => null);
    this.#makeDraft = options.draft ?? immerDraft;
    this.#head = { seq: 0, state: initialState };
    this.#checkpoints = [this.#head];
  }

  /** The seq up to which the entity versions are indexed. */
  get indexedSeq(): number {
    return this.#indexed;
  }

  /** How many checkpoints are kept. */
  get checkpoints(): number {
    return this.#checkpoints.length;
  }

  /** Bytes of encoded entity versions kept. */
  get versionBytes(): number {
    return this.#arena.bytes;
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
    while (!this.#closed && this.#failure === null && this.#indexed < this.#target) {
      const from = this.#indexed + 1;
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
      this.#progress?.(this.#indexed);
    }
  }

  #ingest(event: StoredEnvelope): void {
    if (this.#draft === null) {
      this.#draft = this.#makeDraft(this.#head.state);
      this.#recordOn = this.#record(this.#draft.root);
    }
    const recorded = (this.#recordOn as ReturnType<RecordEvents>)(event);
    if (recorded !== null) {
      // The entries this event changed, each kept once: most events change one.
      let first: VersionColumns | null = null;
      let seen = null as Set<VersionColumns> | null;
      for (const patch of recorded.patches) {
        const path = patch.path;
        const table = String(path[0] ?? '');
        if (path.length < 2) {
          const writes = this.#tableWrites.get(table) ?? [];
          if (writes[writes.length - 1] !== event.seq) writes.push(event.seq);
          this.#tableWrites.set(table, writes);
          continue;
        }
        const entity = String(path[1]);
        const columns = this.#columnsOf(table, entity);
        if (columns === first || seen?.has(columns) === true) continue;
        if (first === null) first = columns;
        else (seen ??= new Set([first])).add(columns);
        this.#keepVersion(columns, event.seq, entryIn(this.#draft.root, table, entity));
      }
    }
    this.#indexed = event.seq;
    if (event.seq % this.#every === 0) {
      this.#head = { seq: event.seq, state: this.#draft.finish() };
      this.#checkpoints.push(this.#head);
      this.#draft = null;
      this.#recordOn = null;
    }
  }

  /** The versions of one entry, made empty the first time it changes. */
  #columnsOf(table: string, entity: string): VersionColumns {
    let entities = this.#versions.get(table);
    if (entities === undefined) {
      entities = new Map();
      this.#versions.set(table, entities);
    }
    let columns = entities.get(entity);
    if (columns === undefined) {
      columns = { seqs: [], at: [], lengths: [] };
      entities.set(entity, columns);
    }
    return columns;
  }

  #keepVersion(
    columns: VersionColumns,
    seq: number,
    found: { exists: boolean; value: unknown },
  ): void {
    columns.seqs.push(seq);
    if (!found.exists) {
      columns.at.push(0);
      columns.lengths.push(-1);
      return;
    }
    const value = isDraft(found.value) ? current(found.value) : found.value;
    // The encoder's own buffer, copied into the arena at once.
    const bytes = encoder.encodeSharedRef(value);
    columns.at.push(this.#arena.append(bytes));
    columns.lengths.push(bytes.byteLength);
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
    for (const point of this.#recent) if (point.seq <= seq && point.seq > base.seq) base = point;
    return base;
  }

  /**
   * The state after event `seq` (0: the initial state).
   * @throws RangeError when `seq` is past the end of the log.
   */
  async stateAt(seq: number): Promise<object> {
    const live = this.#current();
    if (live !== null && live.seq === seq) return live.state;
    const base = this.#baseFor(seq);
    if (base.seq === seq) return base.state;
    const draft = this.#makeDraft(base.state);
    await this.#walk(draft.root, base.seq, seq, (d, e) => this.#apply(d, e));
    const state = draft.finish();
    this.#recent.push({ seq, state });
    if (this.#recent.length > 8) this.#recent.shift();
    return state;
  }

  /** Applies the events after `from` up to `to` on `draft`. */
  async #walk(
    draft: object,
    from: number,
    to: number,
    apply: (draft: object, event: StoredEnvelope) => void,
  ): Promise<StoredEnvelope | null> {
    let next = from + 1;
    let last: StoredEnvelope | null = null;
    while (next <= to) {
      const events = await this.#read(next, to, PAGE);
      if (events.length === 0)
        throw new RangeError(`The log ends before seq ${to} (read up to ${next - 1}).`);
      for (const event of events) apply(draft, event);
      last = events[events.length - 1] as StoredEnvelope;
      next = last.seq + 1;
    }
    return last;
  }

  /** The patches and inverse patches of `event`, recorded from the state before it. */
  async patchesOf(event: StoredEnvelope): Promise<{ patches: Patch[]; inverse: Patch[] }> {
    const before = await this.stateAt(event.seq - 1);
    // Never finished: only the patches are wanted.
    const recorded = this.#record(this.#makeDraft(before).root)(event);
    const patches = (recorded?.patches ?? []).map((p) => snapshot(p));
    const inverse = (recorded?.inverse ?? []).map((p) => snapshot(p));
    return { patches, inverse };
  }

  /** The versions of `entity` in `table` with seq at least `fromSeq`, oldest first. */
  versions(table: string, entity: string, fromSeq = 1): Version[] {
    const columns = this.#versions.get(table)?.get(entity);
    if (columns === undefined) return [];
    const out: Version[] = [];
    let lo = 0;
    let hi = columns.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((columns.seqs[mid] as number) < fromSeq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < columns.seqs.length; i++) out.push(this.#version(columns, i));
    return out;
  }

  /** The version of an entry right before seq `seq` (absent when it had none). */
  versionBefore(table: string, entity: string, seq: number): Version | null {
    const columns = this.#versions.get(table)?.get(entity);
    if (columns === undefined) return null;
    let lo = 0;
    let hi = columns.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((columns.seqs[mid] as number) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? null : this.#version(columns, lo - 1);
  }

  #version(columns: VersionColumns, i: number): Version {
    const length = columns.lengths[i] as number;
    return {
      seq: columns.seqs[i] as number,
      exists: length >= 0,
      value: length < 0 ? undefined : this.#arena.read(columns.at[i] as number, length),
    };
  }

  /** Tables holding versions of `entity`. */
  tablesOf(entity: string): string[] {
    const tables: string[] = [];
    for (const [table, entities] of this.#versions) if (entities.has(entity)) tables.push(table);
    return tables.sort();
  }

  /** Seqs of events that replaced a whole table. */
  tableWrites(table: string): readonly number[] {
    return this.#tableWrites.get(table) ?? [];
  }
}

/** A patch whose value no longer refers to a draft. */
function snapshot(patch: Patch): Patch {
  if (!('value' in patch) || !isDraft(patch.value)) return patch;
  return { ...patch, value: current(patch.value) as unknown };
}
