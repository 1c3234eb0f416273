import type { Immutable, Patch } from 'immer';
import { wallClock, type Clock } from '../clock/wall-clock.ts';
import { CausewayError, ErrorCodes, isCausewayError } from '../errors/index.ts';
import type { AnyEventType } from '../events/event-type.ts';
import type { Envelope, StoredEnvelope } from '../events/envelope.ts';
import { isValidSeed } from '../random/prng.ts';
import type { Component } from '../state/component.ts';
import { PatchRecorder } from '../state/patch-recorder.ts';
import { committedPages } from '../store/committed.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { EventQuery, EventStore, InputRecord, Page, TickCommit } from '../store/port.ts';
import { strictGuardFor } from '../strict/strict-mode.ts';
import { EntityAccessGranted, type FailurePolicy } from './builtin.ts';
import {
  LoopCore,
  type EntityRecord,
  type RunGuard,
  type Subscription,
  type Timer,
} from './core.ts';
import type { TickRun } from './tick-run.ts';
import type {
  Activity,
  Applier,
  Input,
  Listener,
  ListenerContext,
  TickResult,
  TickSystem,
} from './types.ts';

/** Options of an {@link EventSystem}. */
export interface EventSystemOptions<S extends object> {
  /** Seed of the PRNG (unsigned 32-bit integer), recorded in the log header. */
  readonly seed: number;
  /** Where the log lives. Default: a new in-memory store. */
  readonly store?: EventStore;
  /** The state before the first event: a plain object whose keys are tables. Default `{}`. */
  readonly initialState?: S;
  /** Event types to register up front (subscribe and apply register theirs too). */
  readonly events?: readonly AnyEventType[];
  /**
   * What happens when a listener throws. `isolate` (default): its output is discarded, a
   * `ListenerFailed` event is recorded, and the tick goes on. `dead-letter`: the same, and the
   * failure is listed by `deadLetters()` for a later look. `halt`: the tick is dropped before it
   * commits and the system stops; its inputs stay journaled for a fixed version to run.
   */
  readonly failurePolicy?: FailurePolicy;
  /** Most events one tick may dispatch before it is declared a runaway loop. Default 100,000. */
  readonly cascadeLimit?: number;
  /** Record immer patches and inverse patches per event (the inspector turns this on). Default false. */
  readonly patches?: boolean;
  /** How far in the future (ms) a client's entity id timestamp may be. Default 60,000. */
  readonly entitySkewMs?: number;
  /** Take a snapshot every this many ticks; 0 turns snapshots off. Default 1,000. */
  readonly snapshotEvery?: number;
  /** The live driver's clock, read when a tick starts without an explicit time. Default: wall clock. */
  readonly clock?: Clock;
  /** Check payloads are plain data at emit. Default true. */
  readonly validatePayloads?: boolean;
  /** How many listener runs the activities meta log keeps; 0 turns it off. Default 10,000. */
  readonly activities?: number;
  /** Hooks around listener and applier runs. Runs inside strict mode's guard when both are on. */
  readonly guard?: RunGuard;
  /**
   * Strict mode: while a listener or applier runs, the global wall clocks and random sources
   * throw `NondeterminismError` naming it (see `strictGuard` for the list). Default false,
   * unless turned on process-wide by the testing kit (`@causeway/runtime/testing`); an explicit
   * `false` always wins.
   */
  readonly strict?: boolean;
}

/** Options of {@link EventSystem.tick}. */
export interface TickOptions {
  /** The tick's logical time (epoch ms UTC). Default: the system's clock. */
  readonly at?: number;
}

/** A dead letter: a listener failure recorded under the `dead-letter` policy. */
export interface DeadLetter {
  readonly seq: number;
  readonly listener: string;
  readonly event: { readonly id: string; readonly seq: number; readonly type: string };
  readonly error: { readonly name: string; readonly message: string; readonly code: string | null };
}

/**
 * The internals the inspector and the replay tools read, through one documented accessor
 * ({@link systemInternals}) rather than `any`.
 */
export interface SystemInternals {
  readonly registry: ReadonlyMap<string, EntityRecord>;
  readonly timers: readonly Timer[];
  readonly pendingInputs: readonly InputRecord[];
  readonly lastCommit: TickCommit | null;
  readonly seed: number;
  /** The event types the system knows, by name (builtins included). */
  readonly types: ReadonlyMap<string, AnyEventType>;
  /** The state the system starts from before its first tick. */
  readonly initialState: object;
  /**
   * Runs the system's appliers for one stored event (upcast to its type's current version) on
   * `draft`, an immer draft of a state. No listener, timer or registry is touched, and the
   * system itself is not changed: the inspector uses it to compute the state after any event.
   * @throws CausewayError `CW_UNKNOWN_EVENT_TYPE` for a type the system does not know.
   */
  readonly applyEvent: (draft: object, event: StoredEnvelope) => void;
  /**
   * Like {@link SystemInternals.applyEvent}, through the runtime's patch recorder: returns a
   * function that applies one event on `draft` and gives that event's patches and inverse
   * patches (immer's format, as in `TickResult.patches`), or null when it changed nothing. Many
   * events can share one draft, which is finished once.
   */
  readonly recordEvents: (
    draft: object,
  ) => (event: StoredEnvelope) => { readonly patches: Patch[]; readonly inverse: Patch[] } | null;
}

const internals = new WeakMap<object, () => SystemInternals>();

/** Reads a system's internals (for the inspector and replay tools). */
export function systemInternals(system: EventSystem<object>): SystemInternals {
  const read = internals.get(system);
  if (read === undefined)
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      'systemInternals() takes an EventSystem.',
      {},
    );
  return read();
}

let anonymousListeners = 0;

/**
 * The deterministic event loop: one FIFO queue, typed listeners with scoped emit-only
 * contexts, immutable state changed only by appliers, and ticks committed atomically to a store.
 *
 * @example
 * ```ts
 * const Joined = defineEvent<{ name: string }>('Joined', { entity: 'new' });
 * const system = new EventSystem<{ players: Table<{ name: string }> }>({ seed: 7, initialState: { players: {} } });
 * system.apply(Joined, (draft, e) => { draft.players[e.entity] = { name: e.data.name }; });
 * system.subscribe(Joined, (e, ctx) => console.log(`${e.data.name} joined at ${ctx.now}`));
 * await system.tick([input(Joined, newEntityId(), { name: 'Ada' }, 'ada')], { at: 0 });
 * ```
 */
export class EventSystem<S extends object = Record<string, unknown>> {
  readonly #core: LoopCore<S>;
  readonly #clock: Clock;
  #opening: Promise<void> | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly #waiters = new Map<
    number,
    { resolve: (e: Envelope) => void; reject: (e: unknown) => void }
  >();
  #liveTick: ReturnType<typeof setTimeout> | null = null;
  #timerTick: ReturnType<typeof setTimeout> | null = null;
  #live = false;

  constructor(options: EventSystemOptions<S>) {
    if (!isValidSeed(options.seed)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `seed must be an unsigned 32-bit integer, got ${String(options.seed)}.`,
        {
          seed: options.seed,
        },
      );
    }
    const cascadeLimit = options.cascadeLimit ?? 100_000;
    const snapshotEvery = options.snapshotEvery ?? 1000;
    const entitySkewMs = options.entitySkewMs ?? 60_000;
    const activities = options.activities ?? 10_000;
    for (const [name, value] of [
      ['cascadeLimit', cascadeLimit],
      ['snapshotEvery', snapshotEvery],
      ['entitySkewMs', entitySkewMs],
      ['activities', activities],
    ] as const) {
      if (!Number.isInteger(value) || value < 0) {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `${name} must be a non-negative integer, got ${String(value)}.`,
          { [name]: value },
        );
      }
    }
    const policy = options.failurePolicy ?? 'isolate';
    if (policy !== 'isolate' && policy !== 'halt' && policy !== 'dead-letter') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `failurePolicy must be 'isolate', 'halt' or 'dead-letter', got ${JSON.stringify(policy)}.`,
        {
          policy,
        },
      );
    }
    this.#clock = options.clock ?? wallClock;
    const initialState = options.initialState ?? ({} as S);
    this.#core = new LoopCore<S>(
      {
        seed: options.seed,
        failurePolicy: policy,
        cascadeLimit: Math.max(cascadeLimit, 1),
        patches: options.patches ?? false,
        entitySkewMs,
        snapshotEvery,
        validatePayloads: options.validatePayloads ?? true,
        activities,
        guard: strictGuardFor(options.strict, options.guard ?? null),
      },
      options.store ?? new MemoryStore(),
      initialState,
    );
    for (const type of options.events ?? []) this.#core.register(type);
    internals.set(this, () => ({
      registry: this.#core.registry,
      timers: this.#core.timers,
      pendingInputs: this.#core.pending.map((p) => p.record),
      lastCommit: this.#core.lastCommit,
      seed: this.#core.settings.seed,
      types: this.#core.types,
      initialState: initialState,
      applyEvent: (draft, stored) => {
        const event = this.#core.upcast(stored);
        const appliers = this.#core.appliers.get(event.type);
        if (appliers !== undefined) for (const applier of appliers) applier(draft, event);
      },
      recordEvents: (draft) => {
        const recorder = new PatchRecorder(draft);
        return (stored) => {
          const event = this.#core.upcast(stored);
          const appliers = this.#core.appliers.get(event.type);
          if (appliers === undefined) return null;
          try {
            for (const applier of appliers) applier(recorder.root, event);
          } catch (err) {
            recorder.discard();
            throw err;
          }
          return recorder.take();
        };
      },
    }));
  }

  // ---------------------------------------------------------------------------------------
  // Wiring

  /**
   * Subscribes a listener to an event type. Listeners of one type run in subscription order.
   * @returns a function that unsubscribes it.
   */
  subscribe<E extends AnyEventType>(type: E, listener: Listener<E, S>): () => void {
    this.#core.register(type);
    const sub = toSubscription(listener as Listener<AnyEventType, object>);
    const list = this.#core.listeners.get(type.name) ?? [];
    list.push(sub);
    this.#core.listeners.set(type.name, list);
    return () => {
      sub.active = false;
      const current = this.#core.listeners.get(type.name);
      if (current !== undefined) {
        // A new array, so a dispatch in progress keeps iterating the one it had.
        this.#core.listeners.set(
          type.name,
          current.filter((s) => s !== sub),
        );
      }
    };
  }

  /** Registers an applier: the only code that changes state. It runs when an event is dispatched, before its listeners. */
  apply<E extends AnyEventType>(type: E, applier: Applier<E, S>): void {
    this.#core.register(type);
    const list = this.#core.appliers.get(type.name) ?? [];
    list.push(applier as (draft: unknown, event: Envelope) => void);
    this.#core.appliers.set(type.name, list);
  }

  /**
   * Adds a per-tick system: it runs once per tick, after the inputs' cascade, in the order
   * systems were added, each followed by its own cascade. Events it emits are roots (no
   * causation) with the system's name as actor.
   */
  system(name: string, run: TickSystem<S>): void {
    if (typeof name !== 'string' || name === '') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        'A per-tick system needs a non-empty name.',
        { name },
      );
    }
    this.#core.systems.push({
      name,
      run: (_e, ctx) => run(ctx as unknown as ListenerContext<S>),
      active: true,
    });
  }

  /** Registers event types (needed before opening a log that holds them). */
  register(...types: AnyEventType[]): void {
    for (const type of types) this.#core.register(type);
  }

  /** Calls `observer` after each commit with the tick's events (and patches when recorded). */
  onCommit(observer: (result: TickResult) => void): () => void {
    this.#core.commitObservers.add(observer);
    return () => this.#core.commitObservers.delete(observer);
  }

  // ---------------------------------------------------------------------------------------
  // Opening: rebuild and queue rebuilding

  /**
   * Opens the store: writes the header of a new log, or rebuilds state from the latest
   * snapshot and the committed events after it (appliers only), checks the rebuilt state's hash
   * against the last commit, and puts inputs journaled after the last commit back on the queue.
   * Called by the first `tick`/`accept` when not called explicitly.
   *
   * @throws CausewayError `CW_LOG_MISMATCH` when the log's seed differs, `CW_DIVERGENCE` when the
   *   rebuilt state does not hash as committed (the appliers changed).
   */
  open(): Promise<void> {
    this.#opening ??= this.#openNow();
    return this.#opening;
  }

  async #openNow(): Promise<void> {
    const core = this.#core;
    const store = core.store;
    core.header = await store.open(core.headerToWrite());
    const last = await store.lastCommit();
    core.lastInput = await store.lastInput();
    if (last !== null) {
      // Batched first (one draft per page of ticks); tick by tick, exactly as the live run
      // drafted, when that fails or hashes differently (see LoopCore.replayBatch).
      let hash: string | null = null;
      try {
        await this.#rebuild(last, false);
        hash = core.hasher.hash(core.state);
      } catch (err) {
        if (core.halted === null || core.halted !== err) throw err;
      }
      if (hash !== last.hash) {
        core.resetRebuild();
        await this.#rebuild(last, true);
        hash = core.hasher.hash(core.state);
      }
      if (hash !== last.hash) {
        throw new CausewayError(
          ErrorCodes.Divergence,
          `Rebuilding ${store.description} up to tick ${last.tick} gives state hash ${hash}, but the log committed ${last.hash}. The appliers no longer reproduce the log (changed code, or nondeterminism in an applier). Run reexecute() to find the first differing tick.`,
          { tick: last.tick, expected: last.hash, actual: hash },
        );
      }
    }
    const from = last?.lastInput ?? 0;
    for (let after = from; ;) {
      const page = await store.readInputs(after, 1000);
      for (const record of page) core.pending.push({ record, type: core.typeOf(record.type) });
      if (page.length < 1000) break;
      after = (page.at(-1) as InputRecord).ino;
    }
  }

  /** Restores the latest snapshot and replays the committed ticks after it (appliers only). */
  async #rebuild(last: TickCommit, tickByTick: boolean): Promise<void> {
    const core = this.#core;
    const store = core.store;
    let after = 0;
    const snapshot = await store.latestSnapshot(last.tick);
    if (snapshot !== null) {
      const [commit] = await store.readCommits(snapshot.tick - 1, 1);
      if (commit !== undefined) {
        core.restoreSnapshot(snapshot.bytes, commit);
        after = snapshot.tick;
      }
    }
    for await (const { commits, events } of committedPages(store, after)) {
      if (!tickByTick) {
        core.replayBatch(commits, events);
        continue;
      }
      let index = 0;
      for (const commit of commits) {
        const count = commit.lastSeq - commit.firstSeq + 1;
        core.replayTick(commit, events.slice(index, index + count));
        index += count;
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Inputs and ticks

  /**
   * Validates and journals inputs (an acknowledged input is never lost), without running a
   * tick. All or nothing: one invalid input rejects the batch and journals nothing.
   *
   * @throws CausewayError naming what was wrong: `CW_UNKNOWN_EVENT_TYPE`, `CW_INVALID_PAYLOAD`,
   *   `CW_INVALID_ENTITY_ID`, `CW_ENTITY_ID_FROM_FUTURE`, `CW_ENTITY_EXISTS`, `CW_ENTITY_NOT_FOUND`,
   *   `CW_ENTITY_NOT_OWNED`, `CW_SYSTEM_HALTED`.
   */
  accept(inputs: readonly Input[]): Promise<readonly number[]> {
    return this.#serial(() => this.#acceptNow(inputs, this.#clock()));
  }

  async #acceptNow(inputs: readonly Input[], now: number): Promise<number[]> {
    this.#checkRunning();
    await this.open();
    const core = this.#core;
    if (inputs.length === 0) return [];
    core.validateInputs(inputs, Math.max(now, core.lastCommit?.at ?? now));
    // One record and one pending entry per input, built in one pass once all are valid.
    const first = core.lastInput + 1;
    const records: InputRecord[] = new Array<InputRecord>(inputs.length);
    for (let k = 0; k < inputs.length; k++) {
      const i = inputs[k] as Input;
      records[k] = {
        ino: first + k,
        type: i.type.name,
        version: i.type.version,
        entity: i.entity,
        data: i.data as unknown,
        actor: i.actor ?? 'anonymous',
      };
    }
    await core.store.journal(records);
    core.lastInput += records.length;
    for (let k = 0; k < records.length; k++)
      core.pending.push({ record: records[k] as InputRecord, type: (inputs[k] as Input).type });
    return records.map((r) => r.ino);
  }

  /**
   * Runs one tick: journals `inputs`, then processes due timers, every pending input and the
   * per-tick systems to quiescence, and commits the tick's events with its commit record.
   * Resolves with what the tick committed.
   *
   * @throws CausewayError for rejected inputs (nothing journaled), `CW_CASCADE_LIMIT` for a
   *   runaway cascade, `CW_LISTENER_FAILED` under the halt policy, store errors (nothing of the
   *   tick committed; the system stays usable and its inputs stay pending).
   */
  tick(inputs: readonly Input[] = [], options: TickOptions = {}): Promise<TickResult> {
    return this.#serial(async () => {
      const at = options.at ?? this.#clock();
      if (!Number.isFinite(at)) {
        throw new CausewayError(
          ErrorCodes.InvalidTick,
          `A tick's time must be a finite number of epoch milliseconds, got ${String(at)}.`,
          { at },
        );
      }
      await this.#acceptNow(inputs, at);
      return this.#runAndCommit(at);
    });
  }

  /**
   * Live mode: journals one input and resolves with its envelope when the tick that
   * processed it commits. Inputs sent together run in one tick, timed by the system's clock.
   */
  send<E extends AnyEventType>(input: Input<E>): Promise<Envelope<E>> {
    return new Promise<Envelope<E>>((resolve, reject) => {
      this.accept([input]).then(([ino]) => {
        this.#waiters.set(ino as number, { resolve: resolve as (e: Envelope) => void, reject });
        this.#liveTick ??= setTimeout(() => {
          this.#liveTick = null;
          this.#liveTickNow();
        }, 0);
      }, reject);
    });
  }

  /**
   * Starts live mode's clock: from now on, a tick also runs when the next pending timer is due
   * by the system's clock, so timers fire on time even while no input arrives. `send` works
   * with or without it. Call `stop` (or `close`) to end it.
   */
  async start(): Promise<void> {
    await this.open();
    this.#live = true;
    this.#armTimer();
  }

  /** Stops live mode's timer-driven ticks (inputs sent with `send` still run). */
  stop(): void {
    this.#live = false;
    if (this.#timerTick !== null) clearTimeout(this.#timerTick);
    this.#timerTick = null;
  }

  #liveTickNow(): void {
    this.tick().catch((err: unknown) => {
      for (const [, w] of this.#waiters) w.reject(err);
      this.#waiters.clear();
    });
  }

  // Waits on the wall clock for the next due timer; the tick itself reads the system's clock.
  #armTimer(): void {
    if (this.#timerTick !== null) clearTimeout(this.#timerTick);
    this.#timerTick = null;
    const next = this.#core.timers[0];
    if (!this.#live || next === undefined) return;
    this.#timerTick = setTimeout(
      () => {
        this.#timerTick = null;
        this.#liveTickNow();
      },
      Math.max(0, next.due - this.#clock()),
    );
  }

  /** Lets `to` send inputs about `entity`; sent as an input by the owner (`by`). */
  grant(entity: string, to: string, by: string, options: TickOptions = {}): Promise<TickResult> {
    return this.tick([{ type: EntityAccessGranted, entity, data: { to }, actor: by }], options);
  }

  async #runAndCommit(at: number): Promise<TickResult> {
    const core = this.#core;
    const run = core.runTick(at);
    try {
      await core.store.commit(run.commit as TickCommit, run.queue);
    } catch (err) {
      run.rollback();
      throw isCausewayError(err)
        ? err
        : new CausewayError(
            ErrorCodes.StoreUnavailable,
            `Committing tick ${run.tick} to ${core.store.description} failed: ${err instanceof Error ? err.message : String(err)}. Nothing of the tick was adopted; its inputs stay pending and the next tick retries them.`,
            { tick: run.tick },
            { cause: err },
          );
    }
    const result = core.adopt(run);
    this.#settleWaiters(run);
    if (this.#live) this.#armTimer();
    const every = core.settings.snapshotEvery;
    if (every > 0 && run.tick % every === 0) {
      const c = result.commit;
      await core.store.saveSnapshot({
        tick: c.tick,
        lastSeq: c.lastSeq,
        lastInput: c.lastInput,
        bytes: core.encodeSnapshot(),
      });
    }
    return result;
  }

  #settleWaiters(run: TickRun<S>): void {
    if (this.#waiters.size === 0) return;
    for (const { ino, index } of run.inputs) {
      const waiter = this.#waiters.get(ino);
      if (waiter === undefined) continue;
      this.#waiters.delete(ino);
      const envelope = run.queue[index] as Envelope;
      if (envelope.type === 'causeway.InputRejected') {
        const d = envelope.data as { code: string; message: string };
        waiter.reject(
          new CausewayError(d.code as typeof ErrorCodes.EntityNotFound, d.message, {
            seq: envelope.seq,
          }),
        );
      } else waiter.resolve(envelope);
    }
  }

  /** Takes a snapshot now (after the last commit). */
  snapshot(): Promise<void> {
    return this.#serial(async () => {
      await this.open();
      const c = this.#core.lastCommit;
      if (c === null) return;
      await this.#core.store.saveSnapshot({
        tick: c.tick,
        lastSeq: c.lastSeq,
        lastInput: c.lastInput,
        bytes: this.#core.encodeSnapshot(),
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  // Reading

  /** The current state (after the last committed tick). */
  get state(): Immutable<S> {
    return this.#core.state as Immutable<S>;
  }

  /** Entities having all of `components`, sorted by id. */
  query(...components: readonly Component[]): readonly string[] {
    return this.#core.queries.query(this.#core.state, components);
  }

  /** The last committed tick's record, or null before the first tick. */
  get lastCommit(): TickCommit | null {
    return this.#core.lastCommit;
  }

  /** The store this system writes to. */
  get store(): EventStore {
    return this.#core.store;
  }

  /** The PRNG seed. */
  get seed(): number {
    return this.#core.settings.seed;
  }

  /** The entity's owner and grants, or undefined for an unknown entity. */
  entity(id: string): EntityRecord | undefined {
    return this.#core.registry.get(id);
  }

  /** Reads events from the store, upcast to their types' current versions. */
  async readEvents(query?: EventQuery): Promise<Page<Envelope>> {
    await this.open();
    const page = await this.#core.store.readEvents(query);
    return { items: page.items.map((e) => this.#core.upcast(e)), next: page.next };
  }

  /** Listener failures recorded under the dead-letter policy, oldest first. */
  async deadLetters(): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for (let from: number | null = 1; from !== null;) {
      const page: Page<Envelope> = await this.readEvents({
        type: 'causeway.ListenerFailed',
        fromSeq: from,
        limit: 1000,
      });
      for (const e of page.items) {
        const d = e.data as DeadLetter & { policy: FailurePolicy };
        if (d.policy === 'dead-letter')
          out.push({ seq: e.seq, listener: d.listener, event: d.event, error: d.error });
      }
      from = page.next;
    }
    return out;
  }

  /** The activities meta log: recent listener runs with wall-clock durations. */
  activities(): Activity[] {
    return this.#core.activities.list();
  }

  /** Why the system stopped, or null while it runs. */
  get halted(): CausewayError | null {
    return this.#core.halted;
  }

  /** Waits for pending work, then closes the store. */
  async close(): Promise<void> {
    if (this.#liveTick !== null) clearTimeout(this.#liveTick);
    this.#liveTick = null;
    this.stop();
    await this.#chain.catch(() => undefined);
    this.#closed = true;
    for (const [, w] of this.#waiters) {
      w.reject(
        new CausewayError(
          ErrorCodes.SystemHalted,
          "The system was closed before the input's tick committed; it stays journaled and runs when the store is reopened.",
          {},
        ),
      );
    }
    this.#waiters.clear();
    await this.#core.store.close();
  }

  #checkRunning(): void {
    if (this.#closed)
      throw new CausewayError(
        ErrorCodes.SystemHalted,
        'The system is closed; create a new one on the store to continue.',
        {},
      );
    const halted = this.#core.halted;
    if (halted !== null) {
      throw new CausewayError(
        ErrorCodes.SystemHalted,
        `The system halted and takes no more input: ${halted.message}`,
        { cause: halted.code },
        { cause: halted },
      );
    }
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}

function toSubscription(listener: Listener<AnyEventType, object>): Subscription {
  if (typeof listener === 'function') {
    const name = listener.name !== '' ? listener.name : `listener#${++anonymousListeners}`;
    return { name, run: listener as Subscription['run'], active: true };
  }
  if (typeof listener === 'object' && listener !== null && typeof listener.run === 'function') {
    const ctorName = (listener as { constructor?: { name?: string } }).constructor?.name;
    const name =
      listener.name ??
      (ctorName !== undefined && ctorName !== 'Object'
        ? ctorName
        : `listener#${++anonymousListeners}`);
    return { name, run: (e, ctx) => listener.run(e as never, ctx), active: true };
  }
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    'A listener is a function (event, ctx) => void or an object with a run(event, ctx) method.',
    {},
  );
}
