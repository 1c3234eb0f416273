import { enablePatches } from 'immer';
import { CausewayError, ErrorCodes, isCausewayError } from '../errors/index.ts';
import { upcastData, type AnyEventType } from '../events/event-type.ts';
import type { Envelope, StoredEnvelope } from '../events/envelope.ts';
import { assertPublicPayload, copyPlainData, type PayloadLimits } from '../events/payload.ts';
import { assertEntityId, assertEntityIdTime } from '../ids/uuidv7.ts';
import { Queries } from '../state/component.ts';
import { StateHasher } from '../state/hash.ts';
import { decodeState, encodeState } from '../state/state-codec.ts';
import { committedState, restoredState, StateDraft, tableColumns } from '../state/tables.ts';
import type { EventStore, InputRecord, LogHeader, TickCommit } from '../store/port.ts';
import { ActivityLog } from './activities.ts';
import {
  builtinEventTypes,
  EntityAccessGranted,
  InputDiscarded,
  type FailurePolicy,
} from './builtin.ts';
import type { RunContext } from './context.ts';
import { EntityRegistry, PendingEntities, type EntityRecord } from './entity-rules.ts';
import { journalInputRejection } from './input-rejection.ts';
import { journalLanded } from './landed-writes.ts';
import { snapshotBody, snapshotContent } from './snapshot-format.ts';
import { TickRun } from './tick-run.ts';
import type { Input, TickResult } from './types.ts';

/** A pending timer. Its id is the id of its `TimerScheduled` event. */
export interface Timer {
  readonly id: string;
  readonly due: number;
  readonly type: string;
  readonly version: number;
  readonly entity: string;
  readonly data: unknown;
  readonly correlation: string;
  readonly actor: string;
  readonly rootActor: string;
}

/** A subscription: one listener of one event type. */
export interface Subscription {
  readonly name: string;
  readonly run: (event: Envelope, ctx: RunContext<object>) => unknown;
  active: boolean;
}

/** Internal settings of the core (validated by the public `EventSystem`). */
export interface CoreSettings {
  readonly seed: number;
  readonly failurePolicy: FailurePolicy;
  readonly cascadeLimit: number;
  readonly patches: boolean;
  readonly entitySkewMs: number;
  readonly snapshotEvery: number;
  readonly validatePayloads: boolean;
  /** The limits of storable data, checked at emit and at acceptance. */
  readonly limits: PayloadLimits;
  readonly activities: number;
  /** Called around every listener and applier run (strict mode installs its guards here). */
  readonly guard: RunGuard | null;
  /**
   * Entered once around a whole tick or rebuild page (strict mode): the globals are patched
   * once per tick rather than once per run, which is the same since a tick runs synchronously.
   */
  readonly tickGuard: RunGuard | null;
  /** Development mode: a program error in a listener halts whatever the failure policy. */
  readonly haltOnProgramErrors: boolean;
}

/** Hooks around user code inside the loop (strict mode). */
export interface RunGuard {
  enter(where: string): void;
  exit(): void;
}

/** An input accepted and journaled, waiting for its tick. */
export interface PendingInput {
  readonly record: InputRecord;
  readonly type: AnyEventType;
  /**
   * Its entity's record when it was accepted (undefined: none, or not known), and the
   * registry's epoch then: while the epoch is unchanged, a record that let the input in still
   * does, and the tick need not look it up again (in a large registry a lookup misses the cache).
   */
  readonly accepted: EntityRecord | undefined;
  readonly epoch: number;
}

/**
 * The entity records that {@link LoopCore.validateEach} found for a batch, by position, and
 * the payloads it checked: the system's own copies (the input's data itself when payloads are
 * not validated).
 */
interface CheckedBatch {
  readonly inputs: readonly unknown[];
  readonly records: (EntityRecord | undefined)[];
  readonly data: unknown[];
  readonly epoch: number;
}

/**
 * How many replayed events pass between two questions to a rebuild's draft whether a small
 * table outgrew a plain object. Asked after every tick, the question (an immer draft's keys
 * counted through its traps) cost a replayed 1-event tick several times its own work; asked
 * only at a page's end, a table that grew in a page's first tick stayed an immer draft, copied
 * whole, for the rest of the page (a 201,000-event rebuild ran at half the speed).
 */
const OUTGROWN_CHECK_EVENTS = 64;

/**
 * The engine behind `EventSystem`, and the one owner of the loop's state: the wiring
 * (types, listeners, appliers, systems), the input surface, the pending inputs, the entity
 * registry, the timers, the state and the last commit. Every field is private or read-only from
 * outside; each way that state changes is a method of this class (the entity records change
 * through {@link EntityRegistry}, which holds the entity rules). Not exported from the package;
 * the public facade holds it in a private field.
 */
export class LoopCore<S extends object> {
  readonly #types = new Map<string, AnyEventType>();
  readonly #listeners = new Map<string, Subscription[]>();
  readonly #appliers = new Map<string, ((draft: unknown, event: Envelope) => void)[]>();
  readonly #systems: Subscription[] = [];
  readonly #commitObservers = new Set<(result: TickResult) => void>();
  /** The event types the system knows, by name (builtins included). */
  readonly types: ReadonlyMap<string, AnyEventType> = this.#types;
  /** Listeners by event type name, in subscription order. */
  readonly listeners: ReadonlyMap<string, readonly Subscription[]> = this.#listeners;
  /** Appliers by event type name, in registration order. */
  readonly appliers: ReadonlyMap<string, readonly ((draft: unknown, event: Envelope) => void)[]> =
    this.#appliers;
  /** Per-tick systems, in declared order. */
  readonly systems: readonly Subscription[] = this.#systems;
  readonly activities: ActivityLog;
  readonly queries = new Queries();
  readonly hasher = new StateHasher();
  /** The entity records, and the rules that check and change them. */
  readonly entities = new EntityRegistry();

  // The types clients may send, once declared; null while every registered type may be sent.
  #inputSurface: Set<AnyEventType> | null = null;
  // Shape checks of input types' payloads beyond storable data, set by a layer over the loop
  // (the mediator's command envelope): run on inputs from clients, never on journaled ones.
  readonly #inputChecks = new Map<AnyEventType, (data: unknown) => void>();
  #state: S;
  #timers: readonly Timer[] = [];
  #pending: PendingInput[] = [];
  // What the last validation found, for the journal of that batch.
  #checked: CheckedBatch | null = null;
  #lastCommit: TickCommit | null = null;
  // Highest journaled input number.
  #lastInput = 0;
  #halted: CausewayError | null = null;
  #runsStarted = 0;
  // What of the loop runs the application's code now (`tick 3`, `the rebuild`), or null.
  #running: string | null = null;

  constructor(
    readonly settings: CoreSettings,
    readonly store: EventStore,
    private readonly initialState: S,
  ) {
    this.#state = committedState(initialState);
    this.activities = new ActivityLog(settings.activities);
    for (const type of builtinEventTypes) this.#types.set(type.name, type);
    if (settings.patches) enablePatches();
  }

  // ---------------------------------------------------------------------------------------
  // Reading

  /** The state after the last commit. */
  get state(): S {
    return this.#state;
  }

  /** Pending timers, sorted by due time, then id. */
  get timers(): readonly Timer[] {
    return this.#timers;
  }

  /** Inputs accepted and journaled, waiting for their tick. */
  get pending(): readonly PendingInput[] {
    return this.#pending;
  }

  get lastCommit(): TickCommit | null {
    return this.#lastCommit;
  }

  /** Why the loop stopped, or null while it runs. */
  get halted(): CausewayError | null {
    return this.#halted;
  }

  /** The types clients may send, once declared; null while every registered type may be sent. */
  get inputSurface(): ReadonlySet<AnyEventType> | null {
    return this.#inputSurface;
  }

  get tick(): number {
    return this.#lastCommit?.tick ?? 0;
  }

  /**
   * How many tick runs have started, committed or not: a run dropped before its commit and the
   * run of the same tick after it differ here, and nowhere in what they compute.
   */
  get runsStarted(): number {
    return this.#runsStarted;
  }

  /**
   * What of the loop is running the application's code (listeners, appliers, per-tick
   * systems) right now: `tick <n>` or `the rebuild`; null between ticks.
   */
  get running(): string | null {
    return this.#running;
  }

  get lastSeq(): number {
    return this.#lastCommit?.lastSeq ?? 0;
  }

  // ---------------------------------------------------------------------------------------
  // Wiring

  register(type: AnyEventType): void {
    assertEventType(type);
    const known = this.#types.get(type.name);
    if (known === undefined) this.#types.set(type.name, type);
    else if (known !== type) {
      throw new CausewayError(
        ErrorCodes.UnknownEventType,
        `Two different event types are named "${type.name}" (versions ${known.version} and ${type.version}). Event type names are unique in a system: declare each type once and import it.`,
        { type: type.name },
      );
    }
  }

  /** Adds a listener of `type` (registering it); returns what unsubscribes it. */
  subscribe(type: AnyEventType, sub: Subscription): () => void {
    this.register(type);
    const list = this.#listeners.get(type.name) ?? [];
    list.push(sub);
    this.#listeners.set(type.name, list);
    return () => {
      sub.active = false;
      const current = this.#listeners.get(type.name);
      if (current !== undefined) {
        // A new array, so a dispatch in progress keeps iterating the one it had.
        this.#listeners.set(
          type.name,
          current.filter((s) => s !== sub),
        );
      }
    };
  }

  /** Adds an applier of `type` (registering it). */
  addApplier(type: AnyEventType, applier: (draft: unknown, event: Envelope) => void): void {
    this.register(type);
    const list = this.#appliers.get(type.name) ?? [];
    list.push(applier);
    this.#appliers.set(type.name, list);
  }

  /** Adds a per-tick system, run after the ones added before it. */
  addSystem(system: Subscription): void {
    this.#systems.push(system);
  }

  /** Calls `observer` after each adopted tick; returns what removes it. */
  observeCommits(observer: (result: TickResult) => void): () => void {
    this.#commitObservers.add(observer);
    return () => this.#commitObservers.delete(observer);
  }

  /**
   * Adds types to the input surface (registering them).
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` for a built-in type, which is never an input.
   */
  declareInputs(types: readonly AnyEventType[]): void {
    for (const type of types) {
      if (isBuiltinName(type.name)) {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `"${type.name}" is a built-in event type and never an input: the system records it itself. Declare only the application's own types as inputs.`,
          { type: type.name },
        );
      }
      this.register(type);
    }
    const surface = (this.#inputSurface ??= new Set<AnyEventType>());
    for (const type of types) surface.add(type);
  }

  /**
   * Has `check` judge the payload of every input of `type` a client sends (after it is found
   * storable data), before anything is journaled; it throws a `CausewayError` to refuse one.
   */
  checkInputsWith(type: AnyEventType, check: (data: unknown) => void): void {
    this.#inputChecks.set(type, check);
  }

  /** Refuses an input type that clients may not send. */
  checkInput(type: AnyEventType): void {
    if (isBuiltinName(type.name)) {
      throw new CausewayError(
        ErrorCodes.NotAnInput,
        `"${type.name}" is a built-in event type, which the system records itself and clients never send. Nothing was journaled.`,
        { type: type.name },
      );
    }
    const surface = this.#inputSurface;
    if (surface !== null && !surface.has(type)) {
      throw new CausewayError(
        ErrorCodes.NotAnInput,
        `"${type.name}" is not one of the application's inputs (${[...surface].map((t) => t.name).join(', ') || 'none declared'}): only listeners may state it. Nothing was journaled; send one of the declared inputs, or declare this type with declareInputs().`,
        { type: type.name, inputs: [...surface].map((t) => t.name) },
      );
    }
  }

  typeOf(name: string): AnyEventType {
    const type = this.#types.get(name);
    if (type === undefined) {
      throw new CausewayError(
        ErrorCodes.UnknownEventType,
        `The log holds events of type "${name}", which this system does not know. Register it (subscribe, apply or the events option) before opening the log.`,
        { type: name },
      );
    }
    return type;
  }

  checkRegistered(type: AnyEventType): void {
    assertEventType(type);
    if (this.#types.get(type.name) !== type) {
      throw new CausewayError(
        ErrorCodes.UnknownEventType,
        `Event type "${type.name}" is not registered with this system. Pass it in the events option, or subscribe or apply to it, before emitting it.`,
        { type: type.name },
      );
    }
  }

  /** Brings a stored envelope to its type's current version. */
  upcast(e: StoredEnvelope): Envelope {
    const type = this.typeOf(e.type);
    if (e.version === type.version) return e;
    return { ...e, version: type.version, data: upcastData(type, e.version, e.data) };
  }

  // ---------------------------------------------------------------------------------------
  // Opening the log

  /**
   * Opens the store (writing the header of a new log, or checking the stored one) and reads
   * the journal's end. Returns the last commit stored, which the caller rebuilds up to.
   */
  async openLog(): Promise<TickCommit | null> {
    await this.store.open(this.#headerToWrite());
    const last = await this.store.lastCommit();
    this.#lastInput = await this.store.lastInput();
    return last;
  }

  /** Puts inputs journaled after the last commit back on the queue (queue rebuilding). */
  requeue(records: readonly InputRecord[]): void {
    for (const record of records)
      this.#pending.push({
        record,
        type: this.typeOf(record.type),
        accepted: undefined,
        epoch: -1,
      });
  }

  #headerToWrite(): LogHeader {
    const schema: Record<string, number> = {};
    for (const name of [...this.#types.keys()].sort())
      schema[name] = (this.#types.get(name) as AnyEventType).version;
    return { format: 1, seed: this.settings.seed, schema };
  }

  // ---------------------------------------------------------------------------------------
  // Input acceptance

  /**
   * Checks that a batch from a JavaScript caller has the shape the types promise: an array of
   * objects, each with an event type. Everything else about an input is checked by
   * {@link LoopCore.validateInputs}.
   */
  checkBatchShape(inputs: unknown): void {
    if (!Array.isArray(inputs)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Inputs come as an array, got ${describeValue(inputs)}. Pass [input(Type, entity, data, actor), …].`,
        { inputs: describeValue(inputs) },
      );
    }
    for (let k = 0; k < inputs.length; k++) {
      const i: unknown = inputs[k];
      if (typeof i !== 'object' || i === null) {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `Input [${k}] of the batch is ${describeValue(i)}, not an input. Make inputs with input(Type, entity, data, actor); nothing of the batch was journaled.`,
          { index: k },
        );
      }
      const type: unknown = (i as { type?: unknown }).type;
      if (
        typeof type !== 'object' ||
        type === null ||
        typeof (type as { name?: unknown }).name !== 'string'
      ) {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `Input [${k}] of the batch has no event type (its type is ${describeValue(type)}). Make inputs with input(Type, entity, data, actor), Type from defineEvent; nothing of the batch was journaled.`,
          { index: k },
        );
      }
    }
  }

  /**
   * Validates inputs against the registry as it will be once the pending inputs have run.
   * Nothing is journaled when one of them is invalid.
   */
  validateInputs(
    inputs: readonly { type: AnyEventType; entity: string; data: unknown; actor?: string }[],
    now: number,
    trusted = false,
  ): void {
    const problems = this.validateEach(inputs, now, true, trusted);
    const first = problems.find((p) => p !== null);
    if (first != null) {
      this.#checked = null;
      throw first;
    }
  }

  /**
   * Validates each input on its own (against the registry, the pending inputs and the valid
   * inputs before it), and returns each one's problem or null. `stopAtFirst` ends at the first
   * problem (all-or-nothing acceptance); otherwise a refused input is skipped and the rest go on
   * (live sends, each with its own sender). `trusted` inputs (the system's own grants, and
   * journaled inputs being re-executed) are not checked against the input surface.
   */
  validateEach(
    inputs: readonly { type: AnyEventType; entity: string; data: unknown; actor?: string }[],
    now: number,
    stopAtFirst = false,
    trusted = false,
  ): (CausewayError | null)[] {
    return this.#validate(inputs, now, stopAtFirst, trusted).problems;
  }

  /**
   * {@link LoopCore.validateEach}, also returning the checked payloads by position (the
   * system's own copies, for {@link LoopCore.journal}).
   */
  validateEachWithData(
    inputs: readonly { type: AnyEventType; entity: string; data: unknown; actor?: string }[],
    now: number,
  ): { problems: (CausewayError | null)[]; data: readonly unknown[] } {
    return this.#validate(inputs, now, false, false);
  }

  #validate(
    inputs: readonly { type: AnyEventType; entity: string; data: unknown; actor?: string }[],
    now: number,
    stopAtFirst: boolean,
    trusted: boolean,
  ): { problems: (CausewayError | null)[]; data: readonly unknown[] } {
    const problems: (CausewayError | null)[] = new Array<CausewayError | null>(inputs.length).fill(
      null,
    );
    // What the pending inputs will have created and granted (usually nothing: inputs are
    // pending only between an accept and its tick), then the valid inputs before each one.
    const pending = new PendingEntities();
    for (const p of this.#pending)
      pending.add(p.type, p.record.entity, p.record.actor, p.record.data);
    const validatePayloads = this.settings.validatePayloads;
    const skew = this.settings.entitySkewMs;
    const checked: CheckedBatch = {
      inputs,
      records: new Array<EntityRecord | undefined>(inputs.length),
      data: new Array<unknown>(inputs.length),
      epoch: this.entities.epoch,
    };
    this.#checked = checked;
    for (let k = 0; k < inputs.length; k++) {
      const i = inputs[k] as (typeof inputs)[number];
      try {
        checked.records[k] = this.#checkOne(
          i,
          k,
          checked,
          now,
          skew,
          validatePayloads,
          pending,
          trusted,
        );
      } catch (err) {
        if (!isCausewayError(err)) throw err;
        problems[k] = err;
        if (stopAtFirst) break;
        continue;
      }
      pending.add(i.type, i.entity, i.actor ?? 'anonymous', checked.data[k]);
    }
    return { problems, data: checked.data };
  }

  // One input's checks; throws its problem, or returns the entity's record (if it has one),
  // its payload checked in `checked.data[k]`. Reads (never writes) what earlier inputs created
  // and granted.
  #checkOne(
    i: { type: AnyEventType; entity: string; data: unknown; actor?: string },
    k: number,
    checked: CheckedBatch,
    now: number,
    skew: number,
    validatePayloads: boolean,
    pending: PendingEntities,
    trusted: boolean,
  ): EntityRecord | undefined {
    this.checkRegistered(i.type);
    // Trusted: the system's own inputs (grants) and journaled ones being re-executed.
    if (!trusted) this.checkInput(i.type);
    // An operator's rejection is about the rejected input's entity, whatever its rules (and
    // its payload was made by the system).
    else if (i.type === InputDiscarded) {
      checked.data[k] = i.data;
      return undefined;
    }
    const actor = i.actor ?? 'anonymous';
    if (typeof actor !== 'string' || actor === '') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `An input's actor must be a non-empty string, got ${JSON.stringify(actor)}.`,
        { actor },
      );
    }
    const data = validatePayloads
      ? copyPlainData(i.type.name, i.data, this.settings.limits)
      : i.data;
    if (i.type.public) assertPublicPayload(i.type.name, data);
    checked.data[k] = data;
    if (!trusted) this.#inputChecks.get(i.type)?.(data);
    if (i.type === EntityAccessGranted) {
      const to = (data as { to?: unknown } | null)?.to;
      if (typeof to !== 'string' || to === '') {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `A grant needs the actor to grant to as a non-empty string, got ${JSON.stringify(to)}.`,
          { to },
        );
      }
    }
    // A registered entity's id was checked as a canonical UUIDv7 when the entity was
    // created; only its timestamp is checked again, against this time.
    const record = this.entities.get(i.entity);
    if (record !== undefined) assertEntityIdTime(i.entity, now, skew);
    else assertEntityId(i.entity, now, skew);
    const problem = this.entities.inputProblem(i.type, i.entity, actor, pending, record);
    if (problem !== null) throw problem;
    return record;
  }

  /**
   * Journals inputs already validated (an acknowledged input is never lost), then queues them
   * for the next tick. Returns their input numbers. Their payloads are the copies validation
   * made (of this batch, or `data` by position for a batch filtered from the one validated),
   * so that a caller changing an input's data afterwards changes neither the journal nor the run.
   */
  async journal(
    inputs: readonly Input[],
    syncWithCommit: boolean,
    data?: readonly unknown[],
  ): Promise<number[]> {
    // One record and one pending entry per input, built in one pass once all are valid.
    const first = this.#lastInput + 1;
    const checked = this.#checked?.inputs === inputs ? this.#checked : null;
    this.#checked = null;
    const payloads = data ?? checked?.data;
    const records: InputRecord[] = new Array<InputRecord>(inputs.length);
    for (let k = 0; k < inputs.length; k++) {
      const i = inputs[k] as Input;
      records[k] = {
        ino: first + k,
        type: i.type.name,
        version: i.type.version,
        entity: i.entity,
        data: payloads === undefined ? (i.data as unknown) : payloads[k],
        actor: i.actor ?? 'anonymous',
      };
    }
    try {
      await this.store.journal(records, { syncWithCommit });
    } catch (err) {
      // The write may have landed with its acknowledgement lost: then the inputs are journaled,
      // and refusing them would have their senders send them again while the journal runs them
      // on the next open, and leave this system a journal end behind the store's (every later
      // journal refused with CW_APPEND_CONFLICT).
      if (!(await journalLanded(this.store, records))) throw err;
    }
    this.#lastInput += records.length;
    for (let k = 0; k < records.length; k++) {
      this.#pending.push({
        record: records[k] as InputRecord,
        type: (inputs[k] as Input).type,
        accepted: checked?.records[k],
        epoch: checked?.epoch ?? -1,
      });
    }
    return records.map((r) => r.ino);
  }

  /**
   * Journals an operator's rejection of pending input `ino` (see `journalInputRejection`),
   * queues it, and lifts a halt: the next tick records the input as rejected instead of running it.
   */
  async journalRejection(ino: number, reason: string): Promise<void> {
    const record = await journalInputRejection(this.store, ino, reason);
    this.#lastInput = record.ino;
    this.#pending.push({ record, type: InputDiscarded, accepted: undefined, epoch: -1 });
    this.#halted = null;
  }

  // ---------------------------------------------------------------------------------------
  // The tick

  /** Stops the loop: every later tick throws `error`, until an operator's rejection lifts it. */
  halt(error: CausewayError): void {
    this.#halted = error;
  }

  /**
   * Runs one tick over the due timers, the pending inputs and the per-tick systems, to
   * quiescence. Returns the run uncommitted: `adopt` (once stored) or its `rollback` ends it.
   */
  runTick(at: number): TickRun<S> {
    if (this.#halted !== null) throw this.#halted;
    this.#runsStarted++;
    const previousAt = this.#lastCommit?.at ?? Number.NEGATIVE_INFINITY;
    const time = Math.max(at, previousAt);
    const run = new TickRun<S>(this, this.tick + 1, time, this.lastSeq + 1);
    const tickGuard = this.settings.tickGuard;
    tickGuard?.enter('the loop');
    this.#running = `tick ${run.tick}`;
    try {
      run.fireTimers();
      run.takeInputs(this.#pending);
      run.drain();
      for (const system of this.#systems) {
        if (!system.active) continue;
        run.runListener(system, null);
        run.drain();
      }
      run.finish();
    } catch (err) {
      run.rollback();
      // A runaway cascade and a state the log cannot hold come back on every rerun of these
      // inputs: the system stops until they are fixed or rejected.
      if (
        isCausewayError(err, ErrorCodes.CascadeLimit) ||
        isCausewayError(err, ErrorCodes.InvalidState)
      )
        this.halt(err);
      throw err;
    } finally {
      this.#running = null;
      tickGuard?.exit();
    }
    return run;
  }

  /** Adopts a run once the store committed it: its state, timers, entities and commit. */
  adopt(run: TickRun<S>): TickResult {
    this.#state = run.finalState as S;
    this.#timers = run.timers;
    this.#lastCommit = run.commit;
    this.#pending = this.#pending.slice(run.inputCount);
    this.entities.settle();
    const result: TickResult = {
      commit: run.commit as TickCommit,
      events: run.queue,
      patches: run.patches,
      failures: run.failures,
    };
    // The tick is committed and adopted whatever an observer does: one that throws neither
    // stops the others nor fails the tick (its caller and its live senders would take a
    // committed tick for a failed one, and send its inputs again).
    let observerErrors: unknown[] | null = null;
    for (const observer of this.#commitObservers) {
      try {
        observer(result);
      } catch (err) {
        (observerErrors ??= []).push(err);
      }
    }
    return observerErrors === null ? result : { ...result, observerErrors };
  }

  // ---------------------------------------------------------------------------------------
  // Rebuild (appliers only)

  /** Applies one committed tick's events without running listeners. */
  replayTick(commit: TickCommit, events: readonly StoredEnvelope[]): void {
    const run = new TickRun<S>(this, commit.tick, commit.at, commit.firstSeq);
    const tickGuard = this.settings.tickGuard;
    tickGuard?.enter('the loop');
    this.#running = 'the rebuild';
    try {
      run.replay(events, 0, events.length);
    } finally {
      this.#running = null;
      tickGuard?.exit();
    }
    // The stored commit is adopted as is: hashing each replayed tick would only be thrown away
    // (the rebuilt state is hashed once, against the last commit, when the rebuild ends).
    run.finish(false);
    this.#state = run.finalState as S;
    this.#timers = run.timers;
    this.#lastCommit = commit;
    this.entities.settle();
  }

  /**
   * Starts a batched rebuild: one draft of the state that every page of replayed ticks writes
   * to ({@link LoopCore.replayBatch}, which returns the draft to go on with), finished by
   * {@link LoopCore.endReplay}. A draft holds at most one copy per touched entry, so its size
   * is bounded by the state's, not the log's: the cost of finishing a draft is paid once per
   * rebuild (and once more each time a table outgrew a plain object) rather than once per
   * page.
   */
  beginReplay(): StateDraft {
    return new StateDraft(this.#state);
  }

  /** Ends a batched rebuild: the draft's state becomes the state. */
  endReplay(draft: StateDraft): void {
    this.#state = draft.finish() as S;
  }

  /**
   * Applies many committed ticks' events (`events` holds them all, in order) without running
   * listeners, on the rebuild's one draft ({@link LoopCore.beginReplay}).
   *
   * A state rebuilt this way can differ from the live run's only where an applier reaches past
   * its tick's end: an object put in two places in one tick and changed through one of them in
   * a later tick (the live run's finished tick had separated them), or a write into an object a
   * previous tick froze. The caller checks the rebuilt hash and, on a mismatch or an applier
   * failure, rebuilds again tick by tick ({@link LoopCore.replayTick}).
   */
  replayBatch(
    draft: StateDraft,
    commits: readonly TickCommit[],
    events: readonly StoredEnvelope[],
  ): StateDraft {
    let index = 0;
    let current = draft;
    // Events replayed since the draft was last asked whether a small table outgrew a plain
    // object: asked at a tick's end once OUTGROWN_CHECK_EVENTS have passed, and at the page's.
    let unchecked = 0;
    const tickGuard = this.settings.tickGuard;
    tickGuard?.enter('the loop');
    this.#running = 'the rebuild';
    try {
      for (let i = 0; i < commits.length; i++) {
        const commit = commits[i] as TickCommit;
        const count = commit.lastSeq - commit.firstSeq + 1;
        const run = new TickRun<S>(this, commit.tick, commit.at, commit.firstSeq, current);
        run.copyPayloads = false;
        run.replay(events, index, index + count);
        index += count;
        this.#timers = run.timers;
        this.#lastCommit = commit;
        this.entities.settle();
        unchecked += count;
        if (unchecked < OUTGROWN_CHECK_EVENTS && i < commits.length - 1) continue;
        unchecked = 0;
        // A table that grew large is stored as one from here on: the draft ends and a new one
        // goes on (until then it is drafted by immer, copied whole).
        if (current.outgrown()) {
          this.endReplay(current);
          current = this.beginReplay();
        }
      }
    } finally {
      this.#running = null;
      tickGuard?.exit();
    }
    return current;
  }

  /**
   * Forgets everything a failed open left (what it rebuilt and requeued), so that the next
   * open starts from nothing. Inputs are accepted only once open, so none is lost.
   */
  resetOpen(): void {
    this.resetRebuild();
    this.#pending = [];
  }

  /** Forgets everything rebuilt (state, registry, timers, last commit) to rebuild again. */
  resetRebuild(): void {
    this.#state = committedState(this.initialState);
    this.entities.restore();
    this.#timers = [];
    this.#lastCommit = null;
    this.#halted = null;
  }

  // ---------------------------------------------------------------------------------------
  // Snapshots

  /**
   * The snapshot's bytes (format 2, see snapshot-format.ts), in the state codec: `undefined`,
   * `-0` and array holes of the state come back as they are (state-codec.ts).
   */
  encodeSnapshot(): Uint8Array {
    return encodeState(
      snapshotBody(
        this.#state as Record<string, unknown>,
        tableColumns,
        this.entities.records,
        this.#timers,
      ),
    );
  }

  /**
   * Restores a snapshot. Returns false, restoring nothing, when its bytes do not decode to a
   * snapshot: a snapshot is a cache of the log, so the caller rebuilds from the log instead.
   *
   * @throws CausewayError `CW_LOG_MISMATCH` for a snapshot of a format this code does not read.
   */
  restoreSnapshot(bytes: Uint8Array, commit: TickCommit): boolean {
    let content: ReturnType<typeof snapshotContent>;
    try {
      content = snapshotContent(decodeState(bytes));
    } catch {
      return false;
    }
    if (typeof content === 'number') {
      throw new CausewayError(
        ErrorCodes.LogMismatch,
        `Snapshot of tick ${commit.tick} has format ${content}; this code reads formats 1 and 2. Open the log with a version of Causeway that reads it.`,
        { tick: commit.tick },
      );
    }
    if (content === null) return false;
    try {
      this.#state = restoredState(content.state, content.tables) as S;
    } catch {
      // Columns that do not make tables: like bytes that do not decode, the log is the truth.
      return false;
    }
    this.entities.restore(content.registry);
    this.#timers = content.timers;
    this.#lastCommit = commit;
    return true;
  }
}

const builtinNames: ReadonlySet<string> = new Set(builtinEventTypes.map((t) => t.name));

function isBuiltinName(name: string): boolean {
  return builtinNames.has(name);
}

/**
 * Checks that a JavaScript caller passed an event type where one is expected (the types say
 * so; `null` or a plain object would otherwise fail later with a bare `TypeError`).
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming what was passed.
 */
export function assertEventType(type: unknown): void {
  if (
    typeof type === 'object' &&
    type !== null &&
    typeof (type as { name?: unknown }).name === 'string' &&
    Number.isInteger((type as { version?: unknown }).version)
  )
    return;
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    `Expected an event type, got ${describeValue(type)}. Make event types with defineEvent(name, { entity }).`,
    { type: describeValue(type) },
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'undefined':
      return 'undefined';
    default:
      return `a ${typeof value}`;
  }
}
