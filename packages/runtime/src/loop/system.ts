import type { Immutable, Patch } from 'immer';
import { assertTickTime } from '../clock/tick-time.ts';
import { wallClock, type Clock } from '../clock/wall-clock.ts';
import { CausewayError, ErrorCodes, isCausewayError } from '../errors/index.ts';
import type { AnyEventType } from '../events/event-type.ts';
import { payloadLimits, type PayloadLimits } from '../events/payload.ts';
import type { Envelope, StoredEnvelope } from '../events/envelope.ts';
import { isValidSeed } from '../random/prng.ts';
import type { Component } from '../state/component.ts';
import { PatchRecorder } from '../state/patch-recorder.ts';
import { changedTableKeys, StateDraft } from '../state/tables.ts';
import { committedPages } from '../store/committed.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { isEventStore } from '../store/rules.ts';
import type { EventQuery, EventStore, InputRecord, Page, TickCommit } from '../store/port.ts';
import { isStrictFor, strictGuard, strictGuardFor } from '../strict/strict-mode.ts';
import { EntityAccessGranted, type FailurePolicy } from './builtin.ts';
import { LoopCore, type RunGuard, type Subscription, type Timer } from './core.ts';
import type { EntityRecord } from './entity-rules.ts';
import { commitLanded } from './landed-writes.ts';
import { LiveDriver } from './live-driver.ts';
import { withOwnPayload, type TickRun } from './tick-run.ts';
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
   * The application's input surface: the only types clients may send (`tick`, `accept`,
   * `send`); they are registered too. More can be added with `declareInputs`. While none is
   * declared, every registered type except the built-in `causeway.*` ones is accepted as an
   * input, as before surfaces existed. Built-in types are never inputs.
   */
  readonly inputs?: readonly AnyEventType[];
  /**
   * What happens when a listener throws. `isolate` (default): its output is discarded, a
   * `ListenerFailed` event is recorded, and the tick goes on. `dead-letter`: the same, and the
   * failure is listed by `deadLetters()` for a later look. `halt`: the tick is dropped before it
   * commits and the system stops; its inputs stay journaled for a fixed version to run.
   */
  readonly failurePolicy?: FailurePolicy;
  /** Most events one tick may dispatch before it is declared a runaway loop (1 or more). Default 100,000. */
  readonly cascadeLimit?: number;
  /** Record immer patches and inverse patches per event (the inspector turns this on). Default false. */
  readonly patches?: boolean;
  /** How far in the future (ms) a client's entity id timestamp may be. Default 60,000. */
  readonly entitySkewMs?: number;
  /** Take a snapshot every this many ticks; 0 turns snapshots off. Default 1,000. */
  readonly snapshotEvery?: number;
  /**
   * Called when a snapshot could not be saved (the store failed, or the state cannot be
   * encoded). Snapshots are a cache of the log: the tick that preceded it stays committed and
   * `tick()` resolves (with `snapshotError` set); the snapshot is tried again after the next
   * tick, and written on the next open if still missing.
   */
  readonly onSnapshotError?: (error: CausewayError) => void;
  /** The live driver's clock, read when a tick starts without an explicit time. Default: wall clock. */
  readonly clock?: Clock;
  /**
   * Check that payloads are storable data (see `assertPlainData`) at emit and at acceptance,
   * and keep the system's own copy of each (so a caller changing an object it sent or emitted
   * changes no journaled input or event). Default true. Turning it off drops the guarantee
   * that every store can read the log back.
   */
  readonly validatePayloads?: boolean;
  /**
   * Limits of storable data, for systems that need more than the defaults
   * (`DEFAULT_PAYLOAD_LIMITS`: 64 levels, 1 MiB); at most `MAX_PAYLOAD_LIMITS`.
   */
  readonly limits?: Partial<PayloadLimits>;
  /** How many listener runs the activities meta log keeps; 0 turns it off. Default 10,000. */
  readonly activities?: number;
  /** Hooks around listener and applier runs. Runs inside strict mode's guard when both are on. */
  readonly guard?: RunGuard;
  /**
   * Strict mode: while a listener or applier runs, the global wall clocks and random sources
   * throw `NondeterminismError` naming it (see `strictGuard` for the list). Default: on in
   * development mode, off in production mode (see `mode`); the testing kit turns it on for the
   * systems it checks. An explicit value always wins.
   */
  readonly strict?: boolean;
  /**
   * `development` or `production`. In development, a program error in a listener — emitting
   * an unregistered type, an invalid payload, a strict-mode catch (even one the listener caught
   * itself), a returned Promise — halts the system whatever the failure policy, and strict mode
   * is on by default. In production, program errors are isolated like any listener failure
   * (listed in `TickResult.failures`) and strict mode is off by default. Default: `production`
   * when the environment variable `NODE_ENV` is `production` (read from `globalThis.process`
   * where it exists), `development` otherwise.
   */
  readonly mode?: SystemMode;
}

/** Development halts on program errors and runs strict by default; production isolates them. */
export type SystemMode = 'development' | 'production';

// The default mode: `production` when `NODE_ENV` is `production`, else `development`.
function defaultMode(): SystemMode {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  return env?.['NODE_ENV'] === 'production' ? 'production' : 'development';
}

/** Options of {@link EventSystem.tick}. */
export interface TickOptions {
  /**
   * The tick's logical time (epoch ms UTC), from 0 to `2 ** 48 - 1` (the largest UUIDv7
   * timestamp); a time before the previous tick's is taken as the previous tick's. Default:
   * the system's clock.
   */
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
  /**
   * A draft of `state` through the runtime's state engine, as a tick's: `root` is what
   * {@link SystemInternals.applyEvent} and {@link SystemInternals.recordEvents} take, and
   * `finish()` the committed state it leads to, sharing every entry it did not change with
   * `state` (large tables are tries: a draft of a state of 100,000 entities costs what it
   * changes, where an immer draft of the same state copies each table it touches whole).
   */
  readonly draft: (state: object) => { readonly root: object; finish(): object };
  /**
   * The keys whose entries differ between two values of one large table of the state (as two
   * committed states hold them), sorted, found without reading the entries the two share;
   * undefined unless both are large tables (more than 64 entries), which a diff then compares
   * key by key.
   */
  readonly changedKeys: (before: unknown, after: unknown) => string[] | undefined;
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

const tickPreparers = new WeakMap<object, (prepare: () => Promise<void>) => void>();

/**
 * Has `prepare` run (and awaited) before the first tick `system` runs, however it is driven
 * (`tick`, `send`, an operator's rejection): what a layer over the loop must read from the log
 * before any tick, without costing a rebuild that never ticks. A `prepare` that rejects fails
 * that tick and runs again before the next. Internal to the runtime (the mediator's index of
 * decided commands); not exported from the package.
 */
export function beforeFirstTick(system: EventSystem<object>, prepare: () => Promise<void>): void {
  const register = tickPreparers.get(system);
  if (register === undefined)
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      'beforeFirstTick() takes an EventSystem.',
      {},
    );
  register(prepare);
}

const inputCheckers = new WeakMap<
  object,
  (type: AnyEventType, check: (data: unknown) => void) => void
>();

/**
 * Has `check` judge the payload of every input of `type` that a client sends to `system`
 * (after it is found storable data), before anything is journaled: it throws a
 * `CausewayError` to refuse the input. Journaled inputs, being re-executed, are not judged
 * again. Internal to the runtime (the mediator's check of a command's id and version, which
 * its handler's bookkeeping relies on); not exported from the package.
 */
export function checkInputsWith(
  system: EventSystem<object>,
  type: AnyEventType,
  check: (data: unknown) => void,
): void {
  const register = inputCheckers.get(system);
  if (register === undefined)
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      'checkInputsWith() takes an EventSystem.',
      {},
    );
  register(type, check);
}

const closedReaders = new WeakMap<object, () => boolean>();

/**
 * Whether `close()` was called on `system`: what a layer over the loop checks before it
 * answers from a system that takes no more input. Internal to the runtime (the mediator's
 * refusal after close); not exported from the package.
 */
export function systemClosed(system: EventSystem<object>): boolean {
  const read = closedReaders.get(system);
  if (read === undefined)
    throw new CausewayError(ErrorCodes.InvalidArgument, 'systemClosed() takes an EventSystem.', {});
  return read();
}

const runCounters = new WeakMap<object, () => number>();

/**
 * A reader of how many tick runs `system` has started, committed or dropped: what tells a run
 * from the run of the same tick after it was dropped (a halt, a poison input), which compute
 * the same. Internal to the runtime (the mediator's per-tick bookkeeping); not exported from
 * the package.
 */
export function tickRunCounter(system: EventSystem<object>): () => number {
  const read = runCounters.get(system);
  if (read === undefined)
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      'tickRunCounter() takes an EventSystem.',
      {},
    );
  return read;
}

const journaledTicks = new WeakMap<
  object,
  (inputs: readonly Input[], at: number) => Promise<TickResult>
>();

/**
 * Runs a tick of inputs taken from a log's journal (re-execution): they were accepted once, so
 * the input surface is not asked again (a journaled grant or operator rejection is an input
 * the system made itself). Internal to the runtime; not exported from the package.
 */
export function tickJournaled(
  system: EventSystem<object>,
  inputs: readonly Input[],
  at: number,
): Promise<TickResult> {
  const run = journaledTicks.get(system);
  if (run === undefined)
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      'tickJournaled() takes an EventSystem.',
      {},
    );
  return run(inputs, at);
}

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
  // Set once the open succeeded: a tick then goes on without waiting for that promise again.
  #opened = false;
  readonly #beforeFirstTick: (() => Promise<void>)[] = [];
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly #live: LiveDriver<S>;
  // A snapshot was due and failed: try again after the next tick.
  #snapshotOwed = false;
  readonly #onSnapshotError: ((error: CausewayError) => void) | null;
  // Names of unnamed listeners count per system, not per process: an anonymous listener's name
  // is the actor of what it emits, so a second system wired the same way (re-execution, a
  // lockstep peer, a reopen in a process that made other systems first) must name it the same.
  #anonymousListeners = 0;

  constructor(options: EventSystemOptions<S>) {
    if (typeof options !== 'object' || options === null) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `An EventSystem needs its options, at least a seed, got ${options === null ? 'null' : typeof options}. Pass { seed: <unsigned 32-bit integer> }.`,
        { options: options === null ? 'null' : typeof options },
      );
    }
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
    if (cascadeLimit === 0) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        'cascadeLimit must be 1 or more, got 0: a tick could not dispatch even its first event. Leave it out for the default of 100,000.',
        { cascadeLimit },
      );
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
    const mode = options.mode ?? defaultMode();
    if (mode !== 'development' && mode !== 'production') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `mode must be 'development' or 'production', got ${JSON.stringify(mode)}.`,
        { mode },
      );
    }
    const strict = isStrictFor(options.strict, mode === 'development');
    checkWiring(options);
    this.#clock = options.clock ?? wallClock;
    this.#onSnapshotError = options.onSnapshotError ?? null;
    const initialState = options.initialState ?? ({} as S);
    this.#core = new LoopCore<S>(
      {
        seed: options.seed,
        failurePolicy: policy,
        cascadeLimit,
        patches: options.patches ?? false,
        entitySkewMs,
        snapshotEvery,
        validatePayloads: options.validatePayloads ?? true,
        limits: payloadLimits(options.limits),
        activities,
        guard: strictGuardFor(strict, options.guard ?? null),
        tickGuard: strict ? strictGuard : null,
        haltOnProgramErrors: mode === 'development',
      },
      options.store ?? new MemoryStore(),
      initialState,
    );
    this.#live = new LiveDriver<S>(this.#core, this.#clock, {
      serial: (work) => this.#serial(work),
      ready: async () => {
        this.#checkRunning();
        if (!this.#opened) await this.open();
      },
      runAndCommit: (at) => this.#runAndCommit(at),
    });
    for (const type of options.events ?? []) this.#core.register(type);
    if (options.inputs !== undefined) this.#core.declareInputs(options.inputs);
    journaledTicks.set(this, (inputs, at) => this.#tickWith(inputs, { at }, true));
    runCounters.set(this, () => this.#core.runsStarted);
    closedReaders.set(this, () => this.#closed);
    inputCheckers.set(this, (type, check) => this.#core.checkInputsWith(type, check));
    tickPreparers.set(this, (prepare) => this.#beforeFirstTick.push(prepare));
    internals.set(this, () => ({
      registry: this.#core.entities.records,
      timers: this.#core.timers,
      pendingInputs: this.#core.pending.map((p) => p.record),
      lastCommit: this.#core.lastCommit,
      seed: this.#core.settings.seed,
      types: this.#core.types,
      initialState: initialState,
      applyEvent: (draft, stored) => {
        const event = this.#applied(stored);
        const appliers = this.#core.appliers.get(event.type);
        if (appliers !== undefined) for (const applier of appliers) applier(draft, event);
      },
      recordEvents: (draft) => {
        const recorder = new PatchRecorder(draft);
        return (stored) => {
          const event = this.#applied(stored);
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
      draft: (state) => new StateDraft(state),
      changedKeys: changedTableKeys,
    }));
  }

  // ---------------------------------------------------------------------------------------
  // Wiring

  /**
   * Subscribes a listener to an event type. Listeners of one type run in subscription order.
   * The listener's name (the actor of what it emits) is its function's name, its `name` or its
   * class's name; an unnamed one is `listener#<n>`, the n-th unnamed listener of this system.
   * @throws CausewayError `CW_NONDETERMINISM` when called from inside the loop (a listener, an
   *   applier or a per-tick system): wire the system where it is made.
   * @returns a function that unsubscribes it.
   */
  subscribe<E extends AnyEventType>(type: E, listener: Listener<E, S>): () => void {
    this.#checkWiringOutsideLoop('subscribe');
    return this.#core.subscribe(
      type,
      toSubscription(
        listener as Listener<AnyEventType, object>,
        () => `listener#${++this.#anonymousListeners}`,
      ),
    );
  }

  /**
   * Registers an applier: the only code that changes state. It runs when an event is dispatched, before its listeners.
   * @throws CausewayError `CW_NONDETERMINISM` when called from inside the loop (a listener, an
   *   applier or a per-tick system): wire the system where it is made.
   */
  apply<E extends AnyEventType>(type: E, applier: Applier<E, S>): void {
    this.#checkWiringOutsideLoop('apply');
    if (typeof applier !== 'function') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `An applier is a function (draft, event) => void, got ${typeof applier}.`,
        { applier: typeof applier },
      );
    }
    this.#core.addApplier(type, applier as (draft: unknown, event: Envelope) => void);
  }

  /**
   * Adds a per-tick system: it runs once per tick, after the inputs' cascade, in the order
   * systems were added, each followed by its own cascade. Events it emits are roots (no
   * causation) with the system's name as actor.
   * @throws CausewayError `CW_NONDETERMINISM` when called from inside the loop (a listener, an
   *   applier or a per-tick system): wire the system where it is made.
   */
  system(name: string, run: TickSystem<S>): void {
    this.#checkWiringOutsideLoop('system');
    if (typeof name !== 'string' || name === '') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        'A per-tick system needs a non-empty name.',
        { name },
      );
    }
    this.#core.addSystem({
      name,
      run: (_e, ctx) => run(ctx as unknown as ListenerContext<S>),
      active: true,
    });
  }

  /**
   * Declares types clients may send, adding them to the input surface (and registering them).
   * Once any type is declared, an input of another type is refused with `CW_NOT_AN_INPUT` and
   * nothing journaled; the CQRS layer declares its command types here.
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` for a built-in `causeway.*` type;
   *   `CW_NONDETERMINISM` when called from inside the loop.
   *
   * @example
   * ```ts
   * system.declareInputs(PlaceOrder, CancelOrder); // OrderShipped stays a listener's fact
   * ```
   */
  declareInputs(...types: AnyEventType[]): void {
    this.#checkWiringOutsideLoop('declareInputs');
    this.#core.declareInputs(types);
  }

  /** The declared input surface, or null while none is declared (every non-built-in type is accepted). */
  get inputs(): readonly AnyEventType[] | null {
    const surface = this.#core.inputSurface;
    return surface === null ? null : [...surface];
  }

  /**
   * Registers event types (needed before opening a log that holds them).
   * @throws CausewayError `CW_NONDETERMINISM` when called from inside the loop (a listener, an
   *   applier or a per-tick system): wire the system where it is made.
   */
  register(...types: AnyEventType[]): void {
    this.#checkWiringOutsideLoop('register');
    for (const type of types) this.#core.register(type);
  }

  /**
   * Calls `observer` after each commit with the tick's events (and patches when recorded).
   * Observers run in the order they were added, before live senders are settled; one that
   * throws does not fail the committed tick nor stop the others: what it threw is listed in
   * that tick's `TickResult.observerErrors`.
   */
  onCommit(observer: (result: TickResult) => void): () => void {
    return this.#core.observeCommits(observer);
  }

  // ---------------------------------------------------------------------------------------
  // Opening: rebuild and queue rebuilding

  /**
   * Opens the store: writes the header of a new log, or rebuilds state from the latest
   * snapshot and the committed events after it (appliers only), checks the rebuilt state's hash
   * against the last commit, and puts inputs journaled after the last commit back on the queue.
   * Called by the first `tick`/`accept` when not called explicitly.
   *
   * A failed open leaves the system as it was before: calling `open()` (or `tick`) again tries
   * again, for instance once the writer that held the store's lock has closed.
   *
   * @throws CausewayError `CW_LOG_MISMATCH` when the log's seed differs, `CW_DIVERGENCE` when the
   *   rebuilt state does not hash as committed (the appliers changed), `CW_STORE_LOCKED` when
   *   another writer holds the store, and the store's other errors.
   */
  open(): Promise<void> {
    this.#opening ??= this.#openNow().catch((err: unknown) => {
      // A failed open is not kept: the next call (or tick) opens again, since what failed may
      // have passed (the writer holding the lock closed, the database came back). It kept the
      // first error for good, naming a lock holder long gone.
      this.#opening = null;
      this.#core.resetOpen();
      throw err;
    });
    return this.#opening;
  }

  async #openNow(): Promise<void> {
    const core = this.#core;
    const store = core.store;
    const last = await core.openLog();
    if (last !== null) {
      // Batched first (one draft per page of ticks); tick by tick, exactly as the live run
      // drafted, when that fails or hashes differently (see LoopCore.replayBatch).
      let hash: string | null = null;
      let snapshotTick = 0;
      try {
        snapshotTick = await this.#rebuild(last, false);
        hash = core.hasher.hash(core.state);
      } catch (err) {
        if (core.halted === null || core.halted !== err) throw err;
      }
      if (hash !== last.hash) {
        core.resetRebuild();
        snapshotTick = await this.#rebuild(last, true);
        hash = core.hasher.hash(core.state);
      }
      if (hash !== last.hash) {
        throw new CausewayError(
          ErrorCodes.Divergence,
          `Rebuilding ${store.description} up to tick ${last.tick} gives state hash ${hash}, but the log committed ${last.hash}. The appliers no longer reproduce the log (changed code, or nondeterminism in an applier). Run reexecute() to find the first differing tick.`,
          { tick: last.tick, expected: last.hash, actual: hash },
        );
      }
      // A snapshot that was due but never landed (a failed write, a kill between a commit and
      // its snapshot) is written now, of the state just rebuilt.
      const every = core.settings.snapshotEvery;
      if (every > 0 && !store.readOnly && snapshotTick < last.tick - (last.tick % every))
        await this.#saveSnapshot();
    }
    const from = last?.lastInput ?? 0;
    for (let after = from; ;) {
      const page = await store.readInputs(after, 1000);
      core.requeue(page);
      if (page.length < 1000) break;
      after = (page.at(-1) as InputRecord).ino;
    }
    this.#opened = true;
  }

  /** Restores the latest snapshot and replays the committed ticks after it (appliers only). */
  async #rebuild(last: TickCommit, tickByTick: boolean): Promise<number> {
    const core = this.#core;
    const store = core.store;
    let after = 0;
    const snapshot = await store.latestSnapshot(last.tick);
    if (snapshot !== null) {
      const [commit] = await store.readCommits(snapshot.tick - 1, 1);
      // A snapshot that does not decode (written by an older version that let such state
      // through) is skipped: the log itself is the truth.
      if (commit !== undefined && core.restoreSnapshot(snapshot.bytes, commit))
        after = snapshot.tick;
    }
    // A batch that throws leaves its draft unfinished: the caller rebuilds tick by tick from a
    // reset state (a draft the batch had finished and replaced must not be finished again).
    let draft = tickByTick ? null : core.beginReplay();
    for await (const { commits, events } of committedPages(store, after)) {
      if (draft !== null) {
        draft = core.replayBatch(draft, commits, events);
        continue;
      }
      let index = 0;
      for (const commit of commits) {
        const count = commit.lastSeq - commit.firstSeq + 1;
        core.replayTick(commit, events.slice(index, index + count));
        index += count;
      }
    }
    if (draft !== null) core.endReplay(draft);
    return after;
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
    return this.#serial(() => this.#acceptNow(inputs, this.#clock(), false, false));
  }

  // `tick(inputs)` and live sends acknowledge their inputs on commit, so their journal may
  // share the commit's sync; `accept()` acknowledges on the journal itself.
  async #acceptNow(
    inputs: readonly Input[],
    now: number,
    trusted: boolean,
    syncWithCommit: boolean,
  ): Promise<number[]> {
    this.#checkRunning();
    if (!this.#opened) await this.open();
    const core = this.#core;
    core.checkBatchShape(inputs);
    if (inputs.length === 0) return [];
    core.validateInputs(inputs, Math.max(now, core.lastCommit?.at ?? now), trusted);
    return await core.journal(inputs, syncWithCommit);
  }

  /**
   * Runs one tick: journals `inputs`, then processes due timers, every pending input and the
   * per-tick systems to quiescence, and commits the tick's events with its commit record.
   * Resolves with what the tick committed.
   *
   * A tick that committed always resolves: when only the snapshot after it fails, the result's
   * `snapshotError` says so (and `onSnapshotError` hears it).
   *
   * @throws CausewayError `CW_INVALID_TICK` for a time outside `TickOptions.at`'s range
   *   (nothing journaled), for rejected inputs (nothing journaled), `CW_CASCADE_LIMIT` for a
   *   runaway cascade, `CW_LISTENER_FAILED` under the halt policy or for a program error in
   *   development mode, store errors of the commit (nothing of the tick committed; the system
   *   stays usable and its inputs stay pending). A write whose call failed but which the store
   *   holds (its acknowledgement was lost) is not an error: the tick resolves.
   */
  tick(inputs: readonly Input[] = [], options: TickOptions = {}): Promise<TickResult> {
    return this.#tickWith(inputs, options, false);
  }

  #tickWith(inputs: readonly Input[], options: TickOptions, trusted: boolean): Promise<TickResult> {
    return this.#serial(() => this.#tickNow(inputs, options, trusted));
  }

  async #tickNow(
    inputs: readonly Input[],
    options: TickOptions,
    trusted: boolean,
  ): Promise<TickResult> {
    const at = options.at ?? this.#clock();
    assertTickTime(at, options.at === undefined ? "the system's clock" : 'options.at');
    await this.#acceptNow(inputs, at, trusted, true);
    // Awaited rather than returned: a promise returned from an async function costs two more
    // turns of the microtask queue, on the path of every tick.
    return await this.#runAndCommit(at);
  }

  /**
   * Live mode: journals one input and resolves with its envelope when the tick that
   * processed it commits. Inputs sent in the same turn of the event loop are journaled in one
   * write and run in one tick (group commit), timed by the system's clock; each is validated on
   * its own, so one refused input rejects only its own sender.
   */
  send<E extends AnyEventType>(input: Input<E>): Promise<Envelope<E>> {
    return this.#live.send(input);
  }

  /**
   * Starts live mode's clock: from now on, a tick also runs when the next pending timer is due
   * by the system's clock, so timers fire on time even while no input arrives. `send` works
   * with or without it. Call `stop` (or `close`) to end it.
   *
   * @throws CausewayError `CW_SYSTEM_HALTED` on a closed system.
   */
  async start(): Promise<void> {
    this.#checkNotClosed();
    await this.open();
    // close() may have run while the open was awaited.
    this.#checkNotClosed();
    this.#live.start();
  }

  /** Stops live mode's timer-driven ticks (inputs sent with `send` still run). */
  stop(): void {
    this.#live.stop();
  }

  /**
   * The operator's way out of a poison input (one whose cascade hits the cascade limit on every
   * run, halting the system): journals the decision as a `causeway.InputDiscarded` input and
   * runs a tick, in which input `ino` is recorded as `causeway.InputRejected` (code
   * `CW_INPUT_DISCARDED`, with `reason`) instead of running. The decision is in the log, so
   * reopening and re-execution reproduce it. Works on a system halted by a failed tick, and
   * resumes it. The `causeway store reject-input` command does the same on a stopped app's store.
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` when `ino` is not a journaled input waiting for
   *   its tick; whatever the tick throws (another poison input halts again).
   */
  rejectJournaledInput(
    ino: number,
    reason: string,
    options: TickOptions = {},
  ): Promise<TickResult> {
    return this.#serial(async () => {
      this.#checkNotClosed();
      await this.open();
      const at = options.at ?? this.#clock();
      assertTickTime(at, options.at === undefined ? "the system's clock" : 'options.at');
      await this.#core.journalRejection(ino, reason);
      return this.#runAndCommit(at);
    });
  }

  /** Lets `to` send inputs about `entity`; sent as an input by the owner (`by`). */
  grant(entity: string, to: string, by: string, options: TickOptions = {}): Promise<TickResult> {
    return this.#tickWith(
      [{ type: EntityAccessGranted, entity, data: { to }, actor: by }],
      options,
      true,
    );
  }

  /**
   * A stored event as appliers get it outside a tick: upcast, with its own copy of the payload
   * as in a tick (a stored payload may be frozen, the memory store's, or one the caller keeps,
   * the inspector's pages), unless payloads are not validated (then it may be anything).
   */
  #applied(stored: StoredEnvelope): Envelope {
    const event = this.#core.upcast(stored);
    return this.#core.settings.validatePayloads ? withOwnPayload(event) : event;
  }

  async #runAndCommit(at: number): Promise<TickResult> {
    const core = this.#core;
    while (this.#beforeFirstTick.length > 0) {
      await (this.#beforeFirstTick[0] as () => Promise<void>)();
      this.#beforeFirstTick.shift();
    }
    const run = core.runTick(at);
    try {
      await core.store.commit(run.commit as TickCommit, run.queue);
    } catch (err) {
      // A write can land and its acknowledgement be lost (a connection cut after the database
      // committed, a crash before the reply): the store then holds this very tick, and running
      // it again would be refused for good (CW_APPEND_CONFLICT) while its callers and senders
      // were told it failed and would send its inputs again. A stored tick equal to the run's,
      // record and events, is the run's.
      if (await commitLanded(core.store, run.commit as TickCommit, run.queue))
        return this.#adopted(run);
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
    return this.#adopted(run);
  }

  // Adopts a run the store committed: observers, senders, and the snapshot when one is due.
  async #adopted(run: TickRun<S>): Promise<TickResult> {
    const core = this.#core;
    const result = core.adopt(run);
    this.#live.committed(run);
    const every = core.settings.snapshotEvery;
    if (every > 0 && (run.tick % every === 0 || this.#snapshotOwed)) {
      const snapshotError = await this.#saveSnapshot();
      if (snapshotError !== null) return { ...result, snapshotError };
    }
    return result;
  }

  /**
   * Saves a snapshot of the state after the last commit. A failure is returned and reported to
   * `onSnapshotError`, never thrown: the commit before it stands.
   */
  async #saveSnapshot(): Promise<CausewayError | null> {
    const core = this.#core;
    const c = core.lastCommit;
    if (c === null) return null;
    try {
      await core.store.saveSnapshot({
        tick: c.tick,
        lastSeq: c.lastSeq,
        lastInput: c.lastInput,
        bytes: core.encodeSnapshot(),
      });
      this.#snapshotOwed = false;
      return null;
    } catch (err) {
      this.#snapshotOwed = true;
      const error = new CausewayError(
        isCausewayError(err) ? err.code : ErrorCodes.StoreUnavailable,
        `Tick ${c.tick} is committed, but its snapshot could not be saved to ${core.store.description}: ${err instanceof Error ? err.message : String(err)}. Nothing is lost (a snapshot only shortens the rebuild); it is tried again after the next tick and on the next open.`,
        { tick: c.tick, snapshot: true },
        { cause: err },
      );
      this.#onSnapshotError?.(error);
      return error;
    }
  }

  /**
   * Takes a snapshot now (after the last commit).
   *
   * @throws CausewayError when it cannot be saved (also reported to `onSnapshotError`);
   *   `CW_SYSTEM_HALTED` on a closed system.
   */
  snapshot(): Promise<void> {
    return this.#serial(async () => {
      this.#checkNotClosed();
      await this.open();
      const error = await this.#saveSnapshot();
      if (error !== null) throw error;
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

  /** The system's mode (see `EventSystemOptions.mode`). */
  get mode(): SystemMode {
    return this.#core.settings.haltOnProgramErrors ? 'development' : 'production';
  }

  /** The PRNG seed. */
  get seed(): number {
    return this.#core.settings.seed;
  }

  /** The entity's owner and grants, or undefined for an unknown entity. */
  entity(id: string): EntityRecord | undefined {
    return this.#core.entities.get(id);
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
    this.stop();
    await this.#chain.catch(() => undefined);
    this.#closed = true;
    this.#live.close();
    await this.#core.store.close();
  }

  // A listener, applier or per-tick system that wires the system changes what the rest of the
  // run executes (an applier pushed onto the list being dispatched even runs for the current
  // event), which no rebuild or re-execution of the log reproduces.
  #checkWiringOutsideLoop(method: string): void {
    const running = this.#core.running;
    if (running === null) return;
    throw new CausewayError(
      ErrorCodes.Nondeterminism,
      `system.${method}() was called while ${running} runs (from a listener, an applier or a per-tick system). The wiring cannot change inside the loop: the run would execute code that no rebuild or re-execution of the log runs at the same place. Wire listeners, appliers and types where the system is made, before its first tick.`,
      { method, running },
    );
  }

  #checkNotClosed(): void {
    if (this.#closed)
      throw new CausewayError(
        ErrorCodes.SystemHalted,
        'The system is closed; create a new one on the store to continue.',
        {},
      );
  }

  #checkRunning(): void {
    this.#checkNotClosed();
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

function toSubscription(
  listener: Listener<AnyEventType, object>,
  anonymousName: () => string,
): Subscription {
  if (typeof listener === 'function') {
    const name = listener.name !== '' ? listener.name : anonymousName();
    return { name, run: listener as Subscription['run'], active: true };
  }
  if (typeof listener === 'object' && listener !== null && typeof listener.run === 'function') {
    const ctorName = (listener as { constructor?: { name?: string } }).constructor?.name;
    const name =
      listener.name ??
      (ctorName !== undefined && ctorName !== 'Object' ? ctorName : anonymousName());
    return { name, run: (e, ctx) => listener.run(e as never, ctx), active: true };
  }
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    'A listener is a function (event, ctx) => void or an object with a run(event, ctx) method.',
    {},
  );
}

// The options a JavaScript caller can get wrong in kind (the types say so): refused here with
// a typed error rather than with a bare TypeError at the first tick.
function checkWiring(options: EventSystemOptions<object>): void {
  const kindOf = (got: unknown): string =>
    got === null ? 'null' : Array.isArray(got) ? 'an array' : typeof got;
  const wrong = (name: string, expected: string, got: unknown): CausewayError =>
    new CausewayError(
      ErrorCodes.InvalidArgument,
      `${name} must be ${expected}, got ${kindOf(got)}.`,
      { [name]: kindOf(got) },
    );
  const { store, initialState, clock, events } = options;
  if (store !== undefined && !isEventStore(store))
    throw wrong('store', 'an EventStore (a MemoryStore, or a store from openStore)', store);
  if (
    initialState !== undefined &&
    (typeof initialState !== 'object' || initialState === null || Array.isArray(initialState))
  )
    throw wrong('initialState', 'an object of tables', initialState);
  if (clock !== undefined && typeof clock !== 'function')
    throw wrong('clock', 'a function returning epoch milliseconds', clock);
  if (events !== undefined && !Array.isArray(events))
    throw wrong('events', 'an array of event types', events);
}
