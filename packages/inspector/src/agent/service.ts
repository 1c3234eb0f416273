import type { EventSystem } from '@causeway/runtime';
import {
  firstDivergence,
  isCausewayError,
  MemoryStore,
  reexecute,
  systemInternals,
  type AnyEventType,
  type EventStore,
  type MakeSystem,
  type StoredEnvelope,
  type TickCommit,
} from '@causeway/runtime';
import {
  InspectorError,
  InspectorErrorCodes,
  PROTOCOL_VERSION,
  TRUNCATED_KEY,
  type ConsequenceNode,
  type EntityVersion,
  type MethodName,
  type ParamsOf,
  type PathChange,
  type ResultOf,
  type StatePath,
  type StateWindow,
  type TickActivities,
} from '../protocol/index.ts';
import { CompareTargets } from './compare-targets.ts';
import { exportRangeAsTest, type SystemModule } from './export-test.ts';
import { diffStates, type ChangedKeys } from '../state-tree/state-diff.ts';
import { searchState } from '../state-tree/state-search.ts';
import { readPath, StateHistory, type StatePoint, type Version } from './history.ts';

/** What the service inspects: a live system, or a store alone (with the app's code or not). */
export interface InspectedLog {
  /** The log. For a live system, its own store. */
  readonly store: EventStore;
  /** The running system (live mode): its commits are followed, its state and activities read. */
  readonly system?: EventSystem<object>;
  /**
   * Makes a system of the application: needed to verify (re-execute) and to rebuild compared
   * states; offline, it also gives the appliers that compute states.
   */
  readonly makeSystem?: MakeSystem<object>;
  /** Where a generated test imports `makeSystem` from. */
  readonly systemModule?: SystemModule;
  /** Opens another log to compare with (the CLI passes `openStore` from the adapters). */
  readonly openOther?: (url: string) => Promise<EventStore>;
  /**
   * The store URLs `compare` may open (through `openOther`); any other is refused with
   * `forbidden`. Default: none.
   */
  readonly compareWith?: readonly string[];
  /** A checkpoint every this many events. Default 2,000. */
  readonly checkpointEvery?: number;
}

const SCAN_BUDGET = 20_000;
const CHAIN_LIMIT = 10_000;
const TREE_LIMIT = 2_000;

function unavailable(message: string): InspectorError {
  return new InspectorError({ code: InspectorErrorCodes.Unavailable, message, details: {} });
}

function notFound(message: string, details: Record<string, unknown>): InspectorError {
  return new InspectorError({ code: InspectorErrorCodes.NotFound, message, details });
}

const isStringKey = (key: string | symbol): key is string => typeof key === 'string';

// What `searchState` carries of each matching entry: as much as the UI's state tree asks for.
const MATCH_DEPTH = 3;
const MATCH_WIDTH = 200;

/** Sets `out[key]` as an own property, `__proto__` included (assigning it sets the prototype). */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else out[key] = value;
}

/**
 * `value` as a `stateAt` answer carries it: maps and arrays below `depth` levels replaced by
 * their kind and size, and those of more than `width` entries cut to `width` of them (the
 * value's own from entry `offset`, the others' from their first), each cut one listed in
 * `windows` under its path below `path`. Sizes are counted from keys: no entry left out is read.
 */
export function shapeValue(
  value: unknown,
  options: { depth?: number; width?: number; offset?: number; path?: StatePath },
): { value: unknown; windows: StateWindow[] } {
  const depth = options.depth ?? Infinity;
  const width = options.width ?? Infinity;
  const windows: StateWindow[] = [];
  // Without a width only the value itself can be cut (by `offset`): no child needs its path.
  const paths = width !== Infinity;
  const shape = (node: unknown, level: number, from: number, path: StatePath): unknown => {
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return node;
    const array = Array.isArray(node);
    // One `ownKeys` trap: `Object.keys` of a large table's view also asks for each entry's
    // descriptor, reading every entry of a table this answer may carry 200 of.
    const keys = array ? null : Reflect.ownKeys(node).filter(isStringKey);
    const size = keys === null ? (node as unknown[]).length : keys.length;
    if (level === 0) return { [TRUNCATED_KEY]: array ? 'array' : 'map', size };
    const start = Math.min(from, size);
    const end = Math.min(size, start + width);
    if (start > 0 || end < size) windows.push({ path, offset: start, shown: end - start, size });
    if (keys === null) {
      const items = node as unknown[];
      const out = new Array<unknown>(end - start);
      for (let i = start; i < end; i++)
        out[i - start] = shape(items[i], level - 1, 0, paths ? [...path, i] : path);
      return out;
    }
    const out: Record<string, unknown> = {};
    for (let i = start; i < end; i++) {
      const key = keys[i] as string;
      const child = shape(
        (node as Record<string, unknown>)[key],
        level - 1,
        0,
        paths ? [...path, key] : path,
      );
      setOwn(out, key, child);
    }
    return out;
  };
  const shaped = shape(value, depth, options.offset ?? 0, options.path ?? []);
  return { value: shaped, windows };
}

function valueAt(version: Version, inner: StatePath): { exists: boolean; value: unknown } {
  if (!version.exists) return { exists: false, value: undefined };
  return readPath(version.value, inner);
}

/** Structural equality of plain msgpack data. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array)
    return (
      a instanceof Uint8Array &&
      b instanceof Uint8Array &&
      a.length === b.length &&
      a.every((x, i) => x === b[i])
    );
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.prototype.hasOwnProperty.call(b, k) &&
      sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

function matchesText(event: StoredEnvelope, needle: string): boolean {
  if (event.type.toLowerCase().includes(needle) || event.actor.toLowerCase().includes(needle))
    return true;
  let payload: string;
  try {
    payload = JSON.stringify(event.data) ?? '';
  } catch {
    return false;
  }
  return payload.toLowerCase().includes(needle);
}

/**
 * The inspector's methods over one log: paging, filters, causation, states from checkpoints,
 * path and entity histories, verification and comparison. The server calls it per request; it
 * holds no per-client state.
 */
export class InspectorService {
  readonly #log: InspectedLog;
  readonly #compareTargets: CompareTargets;
  readonly #store: EventStore;
  readonly #history: StateHistory | null;
  readonly #types: ReadonlyMap<string, AnyEventType>;
  // How a diff finds the changed keys of two large tables (the runtime's tries).
  readonly #changedKeys: ChangedKeys | undefined;
  readonly #commitListeners = new Set<(commit: TickCommit) => void>();
  #last: TickCommit | null = null;
  #stop: (() => void) | null = null;
  #verifying = false;
  #closed = false;
  #page: { from: number; events: readonly StoredEnvelope[] } | null = null;

  private constructor(log: InspectedLog) {
    this.#log = log;
    this.#compareTargets = new CompareTargets(log.compareWith);
    this.#store = log.store;
    const source =
      log.system ?? (log.makeSystem === undefined ? null : log.makeSystem(new MemoryStore()));
    if (source === null) {
      this.#history = null;
      this.#types = new Map();
      return;
    }
    const internals = systemInternals(source);
    this.#types = internals.types;
    this.#changedKeys = internals.changedKeys;
    const system = log.system;
    const current =
      system === undefined
        ? undefined
        : (): StatePoint | null => {
            const commit = system.lastCommit;
            return commit === null ? null : { seq: commit.lastSeq, state: system.state };
          };
    this.#history = new StateHistory(
      (from, to, limit) => this.#readRange(from, to, limit),
      internals.applyEvent,
      internals.recordEvents,
      internals.initialState,
      {
        draft: internals.draft,
        ...(log.checkpointEvery === undefined ? {} : { checkpointEvery: log.checkpointEvery }),
        ...(current === undefined ? {} : { current }),
      },
    );
  }

  /**
   * Starts a service: opens the log to read (a live system's store is already open), follows
   * its commits and starts indexing.
   */
  static async start(log: InspectedLog): Promise<InspectorService> {
    const service = new InspectorService(log);
    if (log.system !== undefined) {
      await log.system.open();
      service.#stop = log.system.onCommit((result) => service.#committed(result.commit));
    } else {
      await log.store.open();
      service.#stop = log.store.watch((commit) => service.#committed(commit));
    }
    service.#last = await log.store.lastCommit();
    service.#history?.advance(service.#last?.lastSeq ?? 0);
    return service;
  }

  /** `live` when attached to a running system. */
  get mode(): 'live' | 'offline' {
    return this.#log.system === undefined ? 'offline' : 'live';
  }

  /** The store's description. */
  get description(): string {
    return this.#store.description;
  }

  /** The newest commit seen. */
  get lastCommit(): TickCommit | null {
    return this.#last;
  }

  /** The state history (null without the application's appliers). */
  get history(): StateHistory | null {
    return this.#history;
  }

  /** Calls `listener` with every new commit; returns a function that stops it. */
  onCommit(listener: (commit: TickCommit) => void): () => void {
    this.#commitListeners.add(listener);
    return () => this.#commitListeners.delete(listener);
  }

  #committed(commit: TickCommit): void {
    if (this.#last !== null && commit.tick <= this.#last.tick) return;
    this.#last = commit;
    this.#history?.advance(commit.lastSeq);
    for (const listener of this.#commitListeners) listener(commit);
  }

  /**
   * Stops following the log and indexing; a verify or compare still running stops at its next
   * slice and fails with `unavailable`. The store is not closed.
   */
  close(): void {
    this.#closed = true;
    this.#stop?.();
    this.#stop = null;
    this.#history?.close();
    this.#commitListeners.clear();
  }

  /** Reads events `from..to`, reading ahead a page so that nearby reads hit memory. */
  async #readRange(from: number, to: number, limit: number): Promise<readonly StoredEnvelope[]> {
    const cached = this.#page;
    if (cached !== null && from >= cached.from && to < cached.from + cached.events.length) {
      const start = from - cached.from;
      return cached.events.slice(start, Math.min(start + limit, to - from + 1 + start));
    }
    const end = Math.max(to, Math.min(from + 999, this.#last?.lastSeq ?? to));
    const page = await this.#store.readEvents({ fromSeq: from, toSeq: end, limit: 1000 });
    this.#page = { from, events: page.items };
    return page.items.slice(0, Math.min(limit, to - from + 1));
  }

  async #eventAt(seq: number): Promise<StoredEnvelope> {
    const [event] = await this.#readRange(seq, seq, 1);
    if (event === undefined || event.seq !== seq)
      throw notFound(
        `No event has seq ${seq}; the log holds seqs 1 to ${this.#last?.lastSeq ?? 0}.`,
        {
          seq,
        },
      );
    return event;
  }

  #needHistory(): StateHistory {
    if (this.#history === null)
      throw unavailable(
        "States need the application's appliers: open the log with --system <module exporting makeSystem>, or attach to the running app.",
      );
    return this.#history;
  }

  #checkSeq(seq: number): void {
    const lastSeq = this.#last?.lastSeq ?? 0;
    if (seq > lastSeq)
      throw notFound(`Seq ${seq} is past the end of the log (last seq ${lastSeq}).`, {
        seq,
        lastSeq,
      });
  }

  /**
   * Runs one method.
   * @throws InspectorError with the protocol's codes; runtime errors as `failed`.
   */
  async call<M extends MethodName>(
    method: M,
    params: ParamsOf<M>,
    progress: (ticks: number, ofTicks: number) => void = () => undefined,
  ): Promise<ResultOf<M>> {
    try {
      return (await this.#dispatch(method, params, progress)) as ResultOf<M>;
    } catch (err) {
      if (err instanceof InspectorError) throw err;
      if (isCausewayError(err)) {
        throw new InspectorError({
          code: InspectorErrorCodes.Failed,
          message: err.message,
          details: { causeway: err.code },
        });
      }
      throw new InspectorError({
        code: InspectorErrorCodes.Failed,
        message: `${method} failed: ${err instanceof Error ? err.message : String(err)}`,
        details: {},
      });
    }
  }

  async #dispatch(
    method: MethodName,
    params: unknown,
    progress: (ticks: number, ofTicks: number) => void,
  ): Promise<unknown> {
    switch (method) {
      case 'summary':
        return this.#summary();
      case 'events':
        return this.#events(params as ParamsOf<'events'>);
      case 'event':
        return this.#event((params as ParamsOf<'event'>).seq);
      case 'stateAt':
        return this.#stateAt(params as ParamsOf<'stateAt'>);
      case 'searchState':
        return this.#searchState(params as ParamsOf<'searchState'>);
      case 'diffStates':
        return this.#diffStates(params as ParamsOf<'diffStates'>);
      case 'patches':
        return this.#patches((params as ParamsOf<'patches'>).seq);
      case 'pathHistory':
        return this.#pathHistory(params as ParamsOf<'pathHistory'>);
      case 'entityHistory':
        return this.#entityHistory(params as ParamsOf<'entityHistory'>);
      case 'commits':
        return this.#commits(params as ParamsOf<'commits'>);
      case 'verify':
        return this.#verify(progress);
      case 'compare':
        return this.#compare((params as ParamsOf<'compare'>).other);
      case 'activities':
        return this.#activities(params as ParamsOf<'activities'>);
      case 'exportTest':
        return this.#exportTest(params as ParamsOf<'exportTest'>);
      case 'follow':
      case 'unfollow':
        // Per-connection: the server answers these itself.
        throw unavailable(`${method} is handled per connection by the server.`);
    }
  }

  async #summary(): Promise<ResultOf<'summary'>> {
    const last = this.#last;
    const system = this.#log.system;
    return {
      protocol: PROTOCOL_VERSION,
      mode: this.mode,
      store: this.#store.description,
      seed:
        system?.seed ??
        (this.#log.makeSystem === undefined ? null : systemInternals(this.#sourceSystem()).seed),
      events: last?.lastSeq ?? 0,
      ticks: last?.tick ?? 0,
      inputs: await this.#store.lastInput(),
      lastCommit: last,
      types: [...this.#types.values()]
        .map((t) => ({ name: t.name, version: t.version }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      entities: system === undefined ? null : systemInternals(system).registry.size,
      states: this.#history !== null,
      verify: this.#log.makeSystem !== undefined,
      indexedSeq: this.#history?.indexedSeq ?? 0,
      compareWith: this.#compareTargets.shown,
    };
  }

  #sourceSystem(): EventSystem<object> {
    return (this.#log.system ?? this.#log.makeSystem?.(new MemoryStore())) as EventSystem<object>;
  }

  async #tickBounds(
    fromTick: number | undefined,
    toTick: number | undefined,
  ): Promise<{ from: number; to: number } | null> {
    let from = 1;
    let to = this.#last?.lastSeq ?? 0;
    if (fromTick !== undefined) {
      const [commit] = await this.#store.readCommits(fromTick - 1, 1);
      if (commit === undefined) return null;
      from = commit.firstSeq;
    }
    if (toTick !== undefined) {
      const [commit] = await this.#store.readCommits(toTick - 1, 1);
      if (commit !== undefined) to = commit.lastSeq;
    }
    return { from, to };
  }

  async #events(params: ParamsOf<'events'>): Promise<ResultOf<'events'>> {
    const filter = params.filter ?? {};
    const limit = params.limit ?? 100;
    const bounds = await this.#tickBounds(filter.fromTick, filter.toTick);
    if (bounds === null) return { events: [], next: null, scannedTo: this.#last?.lastSeq ?? 0 };
    const toSeq = Math.min(bounds.to, filter.toSeq ?? Infinity);
    let next = Math.max(bounds.from, filter.fromSeq ?? 1, params.cursor ?? 1);
    const needle = filter.text?.toLowerCase();
    const actor = filter.actor;
    const scans = needle !== undefined || actor !== undefined;
    const out: StoredEnvelope[] = [];
    let scanned = 0;
    while (out.length < limit && next <= toSeq && scanned < SCAN_BUDGET) {
      const page = await this.#store.readEvents({
        fromSeq: next,
        toSeq,
        ...(filter.type === undefined ? {} : { type: filter.type }),
        ...(filter.entity === undefined ? {} : { entity: filter.entity }),
        ...(filter.correlation === undefined ? {} : { correlation: filter.correlation }),
        limit: scans ? 1000 : limit - out.length,
      });
      let resume = page.next ?? toSeq + 1;
      for (const event of page.items) {
        scanned++;
        if (actor !== undefined && event.actor !== actor) continue;
        if (needle !== undefined && !matchesText(event, needle)) continue;
        out.push(event);
        if (out.length === limit) {
          resume = event.seq + 1;
          break;
        }
      }
      next = resume;
    }
    return { events: out, next: next <= toSeq ? next : null, scannedTo: Math.min(next - 1, toSeq) };
  }

  async #event(seq: number): Promise<ResultOf<'event'>> {
    const event = await this.#eventAt(seq);
    const chain: StoredEnvelope[] = [];
    for (let from: number | null = 1; from !== null && chain.length < CHAIN_LIMIT;) {
      const page = await this.#store.readEvents({
        correlation: event.correlation,
        fromSeq: from,
        limit: 1000,
      });
      chain.push(...page.items);
      from = page.next;
    }
    const byId = new Map(chain.map((e) => [e.id, e]));
    const children = new Map<string, StoredEnvelope[]>();
    for (const e of chain) {
      if (e.causation === null) continue;
      const list = children.get(e.causation);
      if (list === undefined) children.set(e.causation, [e]);
      else list.push(e);
    }
    const causes: StoredEnvelope[] = [];
    for (let at = event.causation; at !== null && causes.length < CHAIN_LIMIT;) {
      const cause = byId.get(at);
      if (cause === undefined) break;
      causes.push(cause);
      at = cause.causation;
    }
    let nodes = 0;
    const tree = (of: StoredEnvelope): ConsequenceNode[] =>
      (children.get(of.id) ?? []).flatMap((child) =>
        nodes++ < TREE_LIMIT ? [{ event: child, children: tree(child) }] : [],
      );
    return { event, causes, consequences: tree(event) };
  }

  async #stateAt(params: ParamsOf<'stateAt'>): Promise<ResultOf<'stateAt'>> {
    const history = this.#needHistory();
    this.#checkSeq(params.seq);
    const state = await history.stateAt(params.seq);
    const path = params.path ?? [];
    const { exists, value } = readPath(state, path);
    const shaped = shapeValue(value, { ...params, path });
    return { seq: params.seq, path, exists, value: shaped.value, windows: shaped.windows };
  }

  async #searchState(params: ParamsOf<'searchState'>): Promise<ResultOf<'searchState'>> {
    const history = this.#needHistory();
    this.#checkSeq(params.seq);
    const state = await history.stateAt(params.seq);
    const found = searchState(state, params.query, params.limit);
    // The state cut down to what holds a match: each matching entry of a table, as the tree
    // asks for it (three levels, 200 entries a map); a table that is not a map of entries,
    // whole on those terms; a table matched by its name alone, as its kind and size.
    const cut: Record<string, unknown> = {};
    const windows: StateWindow[] = [];
    const whole = new Set<string>();
    const holders = new Map<string, Record<string, unknown>>();
    for (const { path } of found.matches) {
      const table = String(path[0]);
      if (whole.has(table)) continue;
      const top = readPath(state, [table]).value;
      const isMap = typeof top === 'object' && top !== null && !Array.isArray(top);
      if (path.length > 1 && isMap) {
        let holder = holders.get(table);
        if (holder === undefined) {
          holder = {};
          holders.set(table, holder);
          setOwn(cut, table, holder);
        }
        const key = String(path[1]);
        if (Object.hasOwn(holder, key)) continue;
        const shaped = shapeValue(readPath(top, [key]).value, {
          depth: MATCH_DEPTH,
          width: MATCH_WIDTH,
          path: [table, key],
        });
        setOwn(holder, key, shaped.value);
        windows.push(...shaped.windows);
      } else if (path.length > 1) {
        whole.add(table);
        const shaped = shapeValue(top, {
          depth: MATCH_DEPTH + 1,
          width: MATCH_WIDTH,
          path: [table],
        });
        setOwn(cut, table, shaped.value);
        windows.push(...shaped.windows);
      } else if (!holders.has(table)) {
        setOwn(cut, table, shapeValue(top, { depth: 0 }).value);
      }
    }
    return {
      seq: params.seq,
      matches: found.matches,
      truncated: found.truncated,
      state: cut,
      windows,
    };
  }

  async #diffStates(params: ParamsOf<'diffStates'>): Promise<ResultOf<'diffStates'>> {
    const history = this.#needHistory();
    this.#checkSeq(params.seq);
    this.#checkSeq(params.base);
    const before = await history.stateAt(params.base);
    const after = await history.stateAt(params.seq);
    // One more than asked: whether more paths differ.
    const limit = params.limit ?? 500;
    const changes = diffStates(before, after, limit + 1, this.#changedKeys);
    return {
      seq: params.seq,
      base: params.base,
      // Plain copies: a value may be a large table's read-only view.
      changes: changes.slice(0, limit).map((change) => ({
        path: change.path,
        existedBefore: change.existedBefore,
        ...(change.existedBefore ? { before: shapeValue(change.before, {}).value } : {}),
        existsAfter: change.existsAfter,
        ...(change.existsAfter ? { after: shapeValue(change.after, {}).value } : {}),
      })),
      truncated: changes.length > limit,
    };
  }

  async #patches(seq: number): Promise<ResultOf<'patches'>> {
    const history = this.#needHistory();
    const event = await this.#eventAt(seq);
    const { patches, inverse } = await history.patchesOf(event);
    return { seq, patches: patches, inverse: inverse };
  }

  async #eventsAt(seqs: readonly number[]): Promise<Map<number, StoredEnvelope>> {
    const out = new Map<number, StoredEnvelope>();
    for (const seq of seqs) {
      if (out.has(seq)) continue;
      // One event each: the changes of one value are far apart, so reading ahead wastes.
      const page = await this.#store.readEvents({ fromSeq: seq, toSeq: seq, limit: 1 });
      for (const event of page.items) out.set(event.seq, event);
    }
    return out;
  }

  async #pathHistory(params: ParamsOf<'pathHistory'>): Promise<ResultOf<'pathHistory'>> {
    const history = this.#needHistory();
    const { path } = params;
    if (path.length < 2)
      throw new InspectorError({
        code: InspectorErrorCodes.BadParams,
        message: `pathHistory: the path must name a table and an entity ([table, entity, …]), got ${JSON.stringify(path)}.`,
        details: { method: 'pathHistory', field: 'path' },
      });
    const limit = params.limit ?? 100;
    const cursor = params.cursor ?? 1;
    const table = String(path[0]);
    const entity = String(path[1]);
    const inner = path.slice(2);
    const previous = history.versionBefore(table, entity, cursor);
    let before = previous === null ? { exists: false, value: undefined } : valueAt(previous, inner);
    const found: { seq: number; before: typeof before; after: typeof before }[] = [];
    let next: number | null = null;
    for (const version of history.versions(table, entity, cursor)) {
      const after = valueAt(version, inner);
      if (before.exists !== after.exists || !sameValue(before.value, after.value)) {
        if (found.length === limit) {
          next = version.seq;
          break;
        }
        found.push({ seq: version.seq, before, after });
      }
      before = after;
    }
    const events = await this.#eventsAt(found.map((f) => f.seq));
    const changes: PathChange[] = found.map(({ seq, before: a, after: b }) => {
      const event = events.get(seq);
      return {
        seq,
        tick: event?.tick ?? 0,
        type: event?.type ?? '',
        entity: event?.entity ?? '',
        actor: event?.actor ?? '',
        existedBefore: a.exists,
        before: a.value,
        existsAfter: b.exists,
        after: b.value,
      };
    });
    return { path, changes, next, indexedSeq: history.indexedSeq };
  }

  async #entityHistory(params: ParamsOf<'entityHistory'>): Promise<ResultOf<'entityHistory'>> {
    const history = this.#needHistory();
    const { entity } = params;
    const limit = params.limit ?? 100;
    const cursor = params.cursor ?? 1;
    const tables = history.tablesOf(entity);
    const components = new Map<string, unknown>();
    for (const table of tables) {
      const before = history.versionBefore(table, entity, cursor);
      if (before?.exists === true) components.set(table, before.value);
    }
    const changes: { seq: number; table: string; version: Version }[] = [];
    for (const table of tables)
      for (const version of history.versions(table, entity, cursor))
        changes.push({ seq: version.seq, table, version });
    changes.sort((a, b) => a.seq - b.seq);
    const seqs: number[] = [];
    for (const change of changes) if (seqs[seqs.length - 1] !== change.seq) seqs.push(change.seq);
    const page = seqs.slice(0, limit);
    const events = await this.#eventsAt(page);
    const versions: EntityVersion[] = [];
    let at = 0;
    for (const seq of page) {
      for (; at < changes.length && (changes[at] as { seq: number }).seq === seq; at++) {
        const { table, version } = changes[at] as { table: string; version: Version };
        if (version.exists) components.set(table, version.value);
        else components.delete(table);
      }
      const event = events.get(seq);
      versions.push({
        seq,
        tick: event?.tick ?? 0,
        type: event?.type ?? '',
        components: Object.fromEntries(components),
      });
    }
    return {
      entity,
      versions,
      next: seqs.length > limit ? (seqs[limit] as number) : null,
      indexedSeq: history.indexedSeq,
    };
  }

  async #commits(params: ParamsOf<'commits'>): Promise<ResultOf<'commits'>> {
    const limit = params.limit ?? 100;
    const commits = await this.#store.readCommits(params.afterTick ?? 0, limit);
    const last = commits[commits.length - 1];
    return {
      commits,
      next: commits.length === limit && last !== undefined ? last.tick : null,
    };
  }

  /** Why a long request must stop now (the inspector was closed), or null. */
  #stopped(what: 'verify' | 'compare'): InspectorError | null {
    if (!this.#closed) return null;
    return unavailable(
      `The inspector was closed while a ${what} ran, so it stopped before its end; attach the inspector again and ${what} anew.`,
    );
  }

  #makeSystem(what: string): MakeSystem<object> {
    const make = this.#log.makeSystem;
    if (make === undefined)
      throw unavailable(
        `${what} needs the application's makeSystem: pass { makeSystem } to attachInspector, or --system <module> to causeway-inspector open.`,
      );
    return make;
  }

  async #verify(progress: (ticks: number, ofTicks: number) => void): Promise<ResultOf<'verify'>> {
    const make = this.#makeSystem('verify');
    if (this.#verifying)
      throw new InspectorError({
        code: InspectorErrorCodes.Busy,
        message: 'A verify is already running; wait for its result.',
        details: {},
      });
    this.#verifying = true;
    try {
      const ofTicks = this.#last?.tick ?? 0;
      const pause = slices(() => this.#stopped('verify'));
      const observed: MakeSystem<object> = (store) => {
        const system = make(new YieldingStore(store, pause));
        system.onCommit((result) => {
          if (result.commit.tick % 100 === 0 || result.commit.tick === ofTicks)
            progress(result.commit.tick, ofTicks);
        });
        return system;
      };
      const result = await reexecute(this.#store, observed);
      // A re-execution reports a store that throws as a failed tick: say why it stopped instead.
      const stop = this.#stopped('verify');
      if (stop !== null) throw stop;
      return result;
    } finally {
      this.#verifying = false;
    }
  }

  async #compare(requested: string): Promise<ResultOf<'compare'>> {
    const url = this.#compareTargets.resolve(requested);
    const open = this.#log.openOther;
    if (open === undefined)
      throw unavailable('This agent compares no other logs: give it openOther (the CLI does).');
    const other = await open(url);
    // Both logs are read through stores that yield: a memory store answers without ever
    // leaving the microtask queue, so the whole comparison would hold the app's loop.
    const pause = slices(() => this.#stopped('compare'));
    try {
      const result = await firstDivergence(
        new YieldingStore(this.#store, pause),
        new YieldingStore(other, pause),
        {
          sides: [this.#store.description, other.description],
          ...(this.#log.makeSystem === undefined ? {} : { makeSystem: this.#log.makeSystem }),
        },
      );
      // Rebuilding a compared state reports a store that throws as that side's error.
      const stop = this.#stopped('compare');
      if (stop !== null) throw stop;
      return result;
    } finally {
      await other.close();
    }
  }

  #activities(params: ParamsOf<'activities'>): ResultOf<'activities'> {
    const system = this.#log.system;
    if (system === undefined)
      throw unavailable('Activities are kept by a running system only; attach to the app.');
    const from = params.fromTick ?? 1;
    const to = params.toTick ?? Infinity;
    const ticks = new Map<number, TickActivities & { runs: TickActivities['runs'][number][] }>();
    for (const run of system.activities()) {
      if (run.tick < from || run.tick > to) continue;
      let tick = ticks.get(run.tick);
      if (tick === undefined) {
        tick = { tick: run.tick, runs: [], totalMs: 0 };
        ticks.set(run.tick, tick);
      }
      tick.runs.push(run);
      (tick as { totalMs: number }).totalMs += run.durationMs;
    }
    return { ticks: [...ticks.values()].sort((a, b) => a.tick - b.tick) };
  }

  async #exportTest(params: ParamsOf<'exportTest'>): Promise<ResultOf<'exportTest'>> {
    const module = this.#log.systemModule;
    if (module === undefined)
      throw unavailable(
        'Exporting a test needs the module that exports makeSystem: pass { systemModule } to attachInspector, or --system <module> to causeway-inspector.',
      );
    return exportRangeAsTest(this.#store, module, params);
  }
}

/**
 * A pause that yields to the event loop once a few milliseconds have passed since the last, and
 * throws `stopped()`'s error once there is one (the inspector was closed).
 */
function slices(stopped: () => InspectorError | null): () => Promise<void> | null {
  let lastYield = performance.now();
  return () => {
    const stop = stopped();
    if (stop !== null) throw stop;
    const now = performance.now();
    if (now - lastYield < 4) return null;
    lastYield = now;
    return new Promise<void>((resolve) => setImmediate(resolve));
  };
}

/**
 * A store that yields to the event loop now and then while a re-execution commits to it or a
 * comparison reads it, so a long verify or compare never holds the app's loop for more than a
 * few milliseconds.
 */
class YieldingStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly pause: () => Promise<void> | null,
  ) {}
  get description(): string {
    return this.inner.description;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  open(...args: Parameters<EventStore['open']>): ReturnType<EventStore['open']> {
    return this.inner.open(...args);
  }
  journal(...args: Parameters<EventStore['journal']>): ReturnType<EventStore['journal']> {
    return this.inner.journal(...args);
  }
  async commit(...args: Parameters<EventStore['commit']>): ReturnType<EventStore['commit']> {
    await this.pause();
    return this.inner.commit(...args);
  }
  saveSnapshot(
    ...args: Parameters<EventStore['saveSnapshot']>
  ): ReturnType<EventStore['saveSnapshot']> {
    return this.inner.saveSnapshot(...args);
  }
  latestSnapshot(
    ...args: Parameters<EventStore['latestSnapshot']>
  ): ReturnType<EventStore['latestSnapshot']> {
    return this.inner.latestSnapshot(...args);
  }
  async readEvents(
    ...args: Parameters<EventStore['readEvents']>
  ): ReturnType<EventStore['readEvents']> {
    await this.pause();
    return this.inner.readEvents(...args);
  }
  async readInputs(
    ...args: Parameters<EventStore['readInputs']>
  ): ReturnType<EventStore['readInputs']> {
    await this.pause();
    return this.inner.readInputs(...args);
  }
  async readCommits(
    ...args: Parameters<EventStore['readCommits']>
  ): ReturnType<EventStore['readCommits']> {
    await this.pause();
    return this.inner.readCommits(...args);
  }
  lastCommit(): ReturnType<EventStore['lastCommit']> {
    return this.inner.lastCommit();
  }
  lastInput(): ReturnType<EventStore['lastInput']> {
    return this.inner.lastInput();
  }
  watch(...args: Parameters<EventStore['watch']>): ReturnType<EventStore['watch']> {
    return this.inner.watch(...args);
  }
  close(): ReturnType<EventStore['close']> {
    return this.inner.close();
  }
}
