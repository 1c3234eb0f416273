import {
  CascadeLimitError,
  CausewayError,
  ErrorCodes,
  isCausewayError,
  NondeterminismError,
  type EntityRuleError,
} from '../errors/index.ts';
import { MAX_TICK_TIME } from '../clock/tick-time.ts';
import { strictViolations } from '../strict/strict-mode.ts';
import { upcastData, type AnyEventType } from '../events/event-type.ts';
import type { Envelope, StoredEnvelope } from '../events/envelope.ts';
import { assertPublicPayload, copyData, copyPlainData } from '../events/payload.ts';
import { assertEntityId, TickIds } from '../ids/uuidv7.ts';
import { TickRandom } from '../random/prng.ts';
import type { Component } from '../state/component.ts';
import { PatchRecorder } from '../state/patch-recorder.ts';
import { ReadOnlyViews } from '../state/read-only-view.ts';
import { StateDraft } from '../state/tables.ts';
import type { TickCommit } from '../store/port.ts';
import { ActivityLog } from './activities.ts';
import { isThenable } from './thenable.ts';
import {
  InputDiscarded,
  InputRejected,
  ListenerFailed,
  TimerCancelled,
  TimerScheduled,
  type InputDiscardedData,
  type ListenerFailedData,
  type TimerScheduledData,
} from './builtin.ts';
import { RunContext, type LoopPort } from './context.ts';
import type { LoopCore, PendingInput, Subscription, Timer } from './core.ts';
import type { ChainRoots } from './entity-rules.ts';
import type { EventPatches, TickFailure } from './types.ts';

const SYSTEM_ACTOR = 'causeway';

/**
 * The event as appliers get it: with a copy of its payload of their own (see TickRun.apply),
 * written out field by field (a spread of a frozen envelope takes a slow path).
 */
export function withOwnPayload(event: Envelope): Envelope {
  if (typeof event.data !== 'object' || event.data === null) return event;
  return {
    id: event.id,
    seq: event.seq,
    tick: event.tick,
    type: event.type,
    version: event.version,
    entity: event.entity,
    data: copyData(event.data),
    at: event.at,
    causation: event.causation,
    correlation: event.correlation,
    actor: event.actor,
  };
}

/**
 * One tick in progress. Implements the port that listener contexts call.
 * Its queue is the tick's log: events are appended in FIFO order and dispatched from `head`,
 * so an event's seq is `firstSeq + index`, and a failed listener's output is a truncation.
 */
export class TickRun<S extends object> implements LoopPort, ChainRoots {
  readonly queue: Envelope[] = [];
  readonly patches: EventPatches[] = [];
  /** Listener failures recorded in this tick (a truncation drops those it cut). */
  failures: TickFailure[] = [];
  readonly ids: TickIds;
  readonly rng: TickRandom;
  timers: readonly Timer[];
  inputCount = 0;
  finalState: S | null = null;
  commit: TickCommit | null = null;
  /**
   * Whether appliers get their own copy of each payload (see apply). A batched rebuild turns
   * it off: its payloads are the store's, either fresh objects read for it or the memory
   * store's frozen ones, on which an applier's write throws and the rebuild goes tick by tick,
   * with copies; a copy an event cost a batched rebuild half its rate.
   */
  copyPayloads = true;

  private head = 0;
  private draft: StateDraft | null = null;
  // What listeners read of the draft (see readState), made at the first read.
  private views: ReadOnlyViews | null = null;
  private recorder: PatchRecorder | null = null;
  private current: S;
  // Where the entity registry's undo journal stood when the run started (see rollback).
  private readonly entitiesMark: number;
  private readonly rootActors = new Map<string, string>();
  private rootsIndexed = 0;
  private timersCopied = false;
  // (ino, queue index) pairs, flat: one input costs no object until a sender asks.
  private readonly inputSlots: number[] = [];

  constructor(
    private readonly core: LoopCore<S>,
    readonly tick: number,
    readonly now: number,
    private readonly firstSeq: number,
    /** A draft shared with other replayed ticks (rebuild), which the caller finishes. */
    shared: StateDraft | null = null,
  ) {
    this.rng = new TickRandom(core.settings.seed, tick);
    this.ids = new TickIds(now, tick, this.rng);
    this.timers = core.timers;
    this.current = core.state;
    this.entitiesMark = core.entities.mark();
    if (shared !== null) this.draft = shared;
    else {
      this.draft = new StateDraft(core.state);
      if (core.settings.patches) this.recorder = new PatchRecorder(this.draft.root);
    }
  }

  /** Where each consumed input landed in the queue (for resolving senders). */
  get inputs(): readonly { ino: number; index: number }[] {
    const slots = this.inputSlots;
    const out: { ino: number; index: number }[] = [];
    for (let i = 0; i < slots.length; i += 2)
      out.push({ ino: slots[i] as number, index: slots[i + 1] as number });
    return out;
  }

  // --- LoopPort -----------------------------------------------------------------------------

  emitFrom(
    cause: Envelope | null,
    actor: string,
    type: AnyEventType,
    entity: string,
    emitted: unknown,
  ): void {
    const core = this.core;
    core.checkRegistered(type);
    // The system keeps its own copy: a listener that changes the object it emitted changes
    // neither the event nor (in the memory store) the committed log.
    const data = core.settings.validatePayloads
      ? copyPlainData(type.name, emitted, core.settings.limits)
      : emitted;
    if (type.public) assertPublicPayload(type.name, data);
    if (type.entity !== 'existing') assertEntityId(entity, this.now, core.settings.entitySkewMs);
    core.entities.recordEmitted(type, entity, cause, actor, this);
    const id = this.ids.next();
    this.push(
      id,
      type,
      entity,
      data,
      cause === null ? null : cause.id,
      cause === null ? id : cause.correlation,
      actor,
    );
  }

  createId(): string {
    return this.ids.next();
  }

  scheduleFrom(
    cause: Envelope,
    actor: string,
    delayMs: number,
    type: AnyEventType,
    entity: string,
    scheduled: unknown,
  ): string {
    const core = this.core;
    core.checkRegistered(type);
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `${actor} scheduled a timer ${String(delayMs)} ms ahead; a delay is a finite number of 0 or more.`,
        {
          delayMs,
        },
      );
    }
    if (this.now + delayMs > MAX_TICK_TIME) {
      // No tick can have a later time (see assertTickTime): the timer would never fire.
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `${actor} scheduled a timer ${String(delayMs)} ms ahead, due after ${MAX_TICK_TIME}, the latest time a tick may have; it could never fire. Schedule it at most ${MAX_TICK_TIME - this.now} ms ahead.`,
        { delayMs },
      );
    }
    const data = core.settings.validatePayloads
      ? copyPlainData(type.name, scheduled, core.settings.limits)
      : scheduled;
    if (type.public) assertPublicPayload(type.name, data);
    assertEntityId(entity, this.now + delayMs, core.settings.entitySkewMs);
    const timerData: TimerScheduledData = {
      due: this.now + delayMs,
      type: type.name,
      version: type.version,
      data,
      rootActor: this.rootActorOf(cause),
    };
    const id = this.ids.next();
    // The TimerScheduled event is about the timer's entity, which may not exist yet (a timer
    // that creates it); it takes the system's own path around the entity rules.
    this.push(id, TimerScheduled, entity, timerData, cause.id, cause.correlation, actor);
    return id;
  }

  cancelFrom(cause: Envelope, actor: string, timer: string): boolean {
    const pending =
      this.timers.some((t) => t.id === timer) &&
      !this.queue.some(
        (e, i) =>
          i >= this.head &&
          e.type === TimerCancelled.name &&
          (e.data as { timer: string }).timer === timer,
      );
    const scheduledInQueue = this.queue.find(
      (e, i) => i >= this.head && e.id === timer && e.type === TimerScheduled.name,
    );
    if (!pending && scheduledInQueue === undefined) return false;
    const entity =
      scheduledInQueue?.entity ?? (this.timers.find((t) => t.id === timer) as Timer).entity;
    this.push(
      this.ids.next(),
      TimerCancelled,
      entity,
      { timer },
      cause.id,
      cause.correlation,
      actor,
    );
    return true;
  }

  nextSeq(): number {
    return this.firstSeq + this.queue.length;
  }

  currentState(): object {
    return this.draft === null ? this.current : this.draft.current();
  }

  applies(type: string): boolean {
    return (this.core.appliers.get(type)?.length ?? 0) > 0;
  }

  readState(): unknown {
    // A listener reads the draft, so it sees what the appliers wrote so far, through a view
    // that refuses writes: only appliers change the state.
    if (this.draft === null) return this.current;
    this.views ??= new ReadOnlyViews();
    return this.views.of(this.draft.root);
  }

  query(components: readonly Component[]): readonly string[] {
    // Queries read committed tables; inside a tick, the draft's tables as the committed state
    // holds them when the tick added and deleted no entity in them (the cached results hold),
    // else the draft's current state (unchanged tables keep their identity there too).
    const draft = this.draft;
    if (draft === null) return this.core.queries.query(this.current, components);
    const tables = draft.queryTables(components.map((c) => c.name));
    return this.core.queries.query(tables ?? draft.current(), components);
  }

  random(): number {
    return this.rng.float();
  }

  // --- The tick's phases --------------------------------------------------------------------

  fireTimers(): void {
    if (this.timers.length === 0) return;
    const due = this.timers.filter((t) => t.due <= this.now);
    if (due.length === 0) return;
    this.timers = this.timers.filter((t) => t.due > this.now);
    this.timersCopied = true;
    for (const t of due) {
      const type = this.core.types.get(t.type);
      if (type === undefined) continue;
      this.rootActors.set(t.correlation, t.rootActor);
      const cause = { id: t.id, correlation: t.correlation } as Envelope;
      try {
        this.emitFrom(
          cause,
          t.actor,
          type,
          t.entity,
          type.version === t.version ? t.data : upcastData(type, t.version, t.data),
        );
      } catch (err) {
        if (!isCausewayError(err)) throw err;
        this.pushFailure(
          `${t.actor} (timer)`,
          { id: t.id, seq: 0, type: t.type },
          t.entity,
          err,
          t.id,
          t.correlation,
        );
      }
    }
  }

  takeInputs(pending: readonly PendingInput[]): void {
    const core = this.core;
    // An operator's rejection comes after the input it rejects; it is looked for first.
    let discarded: Map<number, string> | null = null;
    for (const p of pending) {
      if (p.type === InputDiscarded) {
        const d = p.record.data as InputDiscardedData;
        (discarded ??= new Map<number, string>()).set(d.ino, d.reason);
      }
    }
    for (const p of pending) {
      const r = p.record;
      this.inputCount++;
      this.inputSlots.push(r.ino, this.queue.length);
      if (p.type === InputDiscarded) {
        // Journaled by the system itself: about the rejected input's entity, whatever its rules.
        const id = this.ids.next();
        this.push(id, InputDiscarded, r.entity, r.data, null, id, r.actor);
        continue;
      }
      const reason = discarded?.get(r.ino);
      // Accepted against the registry as it was then; re-checked against it as it is now.
      const problem: CausewayError | null =
        reason !== undefined
          ? new CausewayError(
              ErrorCodes.InputDiscarded,
              `Input ${r.ino} ("${r.type}") was rejected by an operator before it ran: ${reason}`,
              { ino: r.ino },
            )
          : this.inputProblem(p);
      const id = this.ids.next();
      if (problem !== null) {
        this.push(
          id,
          InputRejected,
          r.entity,
          { type: r.type, code: problem.code, message: problem.message },
          null,
          id,
          r.actor,
        );
        continue;
      }
      core.entities.recordInput(p.type, r.entity, r.actor, r.data);
      const data = r.version === p.type.version ? r.data : upcastData(p.type, r.version, r.data);
      this.push(id, p.type, r.entity, data, null, id, r.actor);
    }
  }

  /**
   * What a pending input breaks now (accepted against the registry as it was then). The record
   * acceptance found answers while the registry's epoch is unchanged and it lets the input in
   * (records only gain grants meanwhile); otherwise the registry is asked again.
   */
  private inputProblem(p: PendingInput): EntityRuleError | null {
    const entities = this.core.entities;
    const r = p.record;
    if (p.accepted !== undefined && p.epoch === entities.epoch) {
      const problem = entities.inputProblem(p.type, r.entity, r.actor, null, p.accepted);
      if (problem === null) return null;
    }
    return entities.inputProblem(p.type, r.entity, r.actor, null);
  }

  drain(): void {
    const core = this.core;
    const limit = core.settings.cascadeLimit;
    while (this.head < this.queue.length) {
      if (this.head >= limit) throw this.cascadeError(limit);
      const event = this.queue[this.head++] as Envelope;
      this.apply(event);
      const subs = core.listeners.get(event.type);
      if (subs !== undefined) {
        // Back-to-back runs share a clock reading: one run's end is the next one's start.
        let clock = -1;
        for (let i = 0; i < subs.length; i++) {
          const sub = subs[i] as Subscription;
          if (sub.active) clock = this.runListener(sub, event, clock);
        }
      }
    }
  }

  /**
   * Runs one listener (or a per-tick system when `event` is null) with its own scoped queue.
   * `startedAt` is a wall-clock reading to time the run from (-1: read the clock); returns the
   * reading taken at its end (-1 when activities are off).
   */
  runListener(sub: Subscription, event: Envelope | null, startedAt = -1): number {
    const core = this.core;
    const mark = this.queue.length;
    const undoMark = core.entities.mark();
    const ctx = new RunContext<object>(this, event, sub.name);
    const guard = core.settings.guard;
    const timed = core.settings.activities > 0;
    const started = !timed ? 0 : startedAt >= 0 ? startedAt : ActivityLog.now();
    // A flag beside the value: a listener may throw `null`, which is still a failure.
    let failed = false;
    let failure: unknown = null;
    const strict = core.settings.tickGuard !== null;
    const violationsBefore = strict ? strictViolations().count : 0;
    try {
      guard?.enter(sub.name);
      const result = sub.run(event as Envelope, ctx);
      if (isThenable(result)) {
        // The promise keeps running outside the loop; its later ctx calls are refused.
        result.then(undefined, () => undefined);
        failed = true;
        failure = new CausewayError(
          ErrorCodes.AsyncListener,
          `Listener ${sub.name} returned a Promise. Listeners are synchronous: run async work as an effect outside the loop and send its result back as an input.`,
          { listener: sub.name },
        );
      }
    } catch (err) {
      failed = true;
      failure = err;
    } finally {
      guard?.exit();
      ctx.close();
    }
    if (!failed && strict) {
      // The listener caught strict mode's error itself and went on: it is still a failure.
      const { count, last } = strictViolations();
      if (count !== violationsBefore && last !== null) {
        failed = true;
        failure = new NondeterminismError(
          `${last.api} (and caught the error)`,
          `Listener "${sub.name}"`,
        );
      }
    }
    let ended = -1;
    if (timed) {
      ended = ActivityLog.now();
      core.activities.recordRun(
        this.tick,
        event === null ? 0 : event.seq,
        sub.name,
        ended - started,
        failed,
      );
    }
    if (!failed) return ended;
    this.truncate(mark, undoMark);
    const programError = core.settings.haltOnProgramErrors && isProgramError(failure);
    if (core.settings.failurePolicy === 'halt' || programError) {
      const why = programError
        ? `This is a program error (${(failure as CausewayError).code}), and in development mode a program error halts: tick ${this.tick} was not committed and the system stopped (mode: 'production' isolates it instead).`
        : `The failure policy is "halt": tick ${this.tick} was not committed and the system stopped.`;
      const error = new CausewayError(
        ErrorCodes.ListenerFailed,
        `Listener ${sub.name} failed on ${event === null ? 'its per-tick run' : `"${event.type}" (seq ${event.seq})`}: ${sentence(messageOf(failure))} ${why} Fix the listener and reopen the store; the tick's inputs are journaled and will run again.`,
        {
          listener: sub.name,
          event: event?.id ?? null,
          tick: this.tick,
          code: codeOf(failure),
        },
        { cause: failure },
      );
      core.halt(error);
      throw error;
    }
    const cause = event ?? null;
    this.pushFailure(
      sub.name,
      { id: cause?.id ?? '', seq: cause?.seq ?? 0, type: cause?.type ?? '(per-tick system)' },
      cause?.entity ?? null,
      failure,
      cause?.id ?? null,
      cause?.correlation ?? null,
    );
    return ended;
  }

  /** Appliers-only replay of committed events `events[from..to)` (rebuild). */
  replay(events: readonly StoredEnvelope[], from: number, to: number): void {
    const core = this.core;
    // Due timers left the table when this tick started, exactly as in the live run, and what
    // they emitted belongs to the chain that scheduled them (fireTimers): without its root
    // actor, an entity a timer's chain creates would be owned by the listener after a rebuild.
    if (this.timers.some((t) => t.due <= this.now)) {
      for (const t of this.timers)
        if (t.due <= this.now) this.rootActors.set(t.correlation, t.rootActor);
      this.timers = this.timers.filter((t) => t.due > this.now);
      this.timersCopied = true;
    }
    for (let i = from; i < to; i++) {
      const event = core.upcast(events[i] as StoredEnvelope);
      this.queue.push(event);
      this.head++;
      // A root event's actor is indexed only when an entity rule asks (rootActorOf), as live.
      const type = core.typeOf(event.type);
      core.entities.recordCommitted(type, event, this);
      if (type === TimerScheduled)
        this.rootActors.set(event.correlation, (event.data as TimerScheduledData).rootActor);
      this.apply(event);
    }
  }

  /**
   * Finishes the state and builds the commit record, with the state's hash unless `hash` is
   * false (a replayed tick, whose stored commit is kept; its record's hash is then empty).
   */
  finish(hash = true): void {
    const core = this.core;
    if (this.draft !== null) {
      const draft = this.draft;
      this.draft = null;
      this.current = draft.finish() as S;
    }
    this.finalState = this.current;
    const last = this.firstSeq + this.queue.length - 1;
    const slots = this.inputSlots;
    const lastInput =
      slots.length > 0 ? (slots[slots.length - 2] as number) : (core.lastCommit?.lastInput ?? 0);
    this.commit = Object.freeze({
      tick: this.tick,
      at: this.now,
      firstSeq: this.firstSeq,
      lastSeq: last,
      lastInput,
      hash: hash ? core.hasher.hash(this.current) : '',
    });
  }

  /** Undoes the run's registry changes; state and timers were never adopted. */
  rollback(): void {
    this.truncate(0, this.entitiesMark);
    if (this.draft !== null) {
      // Finishing an abandoned draft releases immer's scope; its result is dropped.
      void this.draft.finish();
      this.draft = null;
    }
  }

  // --- Internals ----------------------------------------------------------------------------

  private apply(event: Envelope): void {
    const core = this.core;
    if (event.type === TimerScheduled.name) this.addTimer(event);
    else if (event.type === TimerCancelled.name)
      this.removeTimer((event.data as { timer: string }).timer);
    const appliers = core.appliers.get(event.type);
    if (appliers === undefined) return;
    // Appliers get the payload's own copy: one that puts part of it into the state
    // (`d.snake[id] = { body: e.data.body }`) makes it a value of the draft, which a later
    // applier of the tick may change in place (`body.push(…)`), and that wrote into the logged
    // event, so the log no longer rebuilt the state it committed.
    // (Without payload validation, a payload may be anything, and is passed as it is.)
    const applied =
      this.copyPayloads && core.settings.validatePayloads ? withOwnPayload(event) : event;
    const guard = core.settings.guard;
    guard?.enter(`the applier of "${event.type}"`);
    try {
      const recorder = this.recorder;
      if (recorder === null) {
        const root = (this.draft as StateDraft).root;
        for (let i = 0; i < appliers.length; i++)
          (appliers[i] as (d: unknown, e: Envelope) => void)(root, applied);
      } else {
        for (let i = 0; i < appliers.length; i++)
          (appliers[i] as (d: unknown, e: Envelope) => void)(recorder.root, applied);
        const recorded = recorder.take();
        if (recorded !== null)
          this.patches.push({
            seq: event.seq,
            patches: recorded.patches,
            inverse: recorded.inverse,
          });
      }
    } catch (err) {
      if (isCausewayError(err, ErrorCodes.Nondeterminism)) throw err;
      // An applier that throws leaves no valid state to continue from: the tick is dropped and
      // the system halts, so no half-applied state is ever committed.
      const error = new CausewayError(
        ErrorCodes.ListenerFailed,
        `The applier of "${event.type}" threw on seq ${event.seq}: ${messageOf(err)}${immerHint(err)}. Appliers must not fail: tick ${this.tick} was not committed and the system stopped. Fix the applier and reopen the store.`,
        { type: event.type, seq: event.seq, tick: this.tick },
        { cause: err },
      );
      core.halt(error);
      throw error;
    } finally {
      guard?.exit();
    }
  }

  private push(
    id: string,
    type: AnyEventType,
    entity: string,
    data: unknown,
    causation: string | null,
    correlation: string,
    actor: string,
  ): void {
    // Frozen: the envelope a listener gets is the log's own entry (and, in the memory store,
    // the stored event), so a listener, an observer or a tick's caller that wrote to it would
    // rewrite the log (its type, entity or actor) behind the appliers that already ran.
    this.queue.push(
      Object.freeze({
        id,
        seq: this.firstSeq + this.queue.length,
        tick: this.tick,
        type: type.name,
        version: type.version,
        entity,
        data,
        at: this.now,
        causation,
        correlation,
        actor,
      }),
    );
  }

  private pushFailure(
    listener: string,
    event: { id: string; seq: number; type: string },
    entity: string | null,
    failure: unknown,
    causation: string | null,
    correlation: string | null,
  ): void {
    const data: ListenerFailedData = {
      listener,
      event,
      error: {
        name: nameOf(failure),
        message: messageOf(failure),
        code: codeOf(failure),
      },
      policy: this.core.settings.failurePolicy,
    };
    const id = this.ids.next();
    this.failures.push({
      seq: this.firstSeq + this.queue.length,
      listener,
      event,
      error: data.error,
      programError: isProgramError(failure),
    });
    // A failing per-tick system has no event: its failure is about no entity, so it names the
    // nil UUID.
    this.push(
      id,
      ListenerFailed,
      entity ?? '00000000-0000-0000-0000-000000000000',
      data,
      causation,
      correlation ?? id,
      SYSTEM_ACTOR,
    );
  }

  private truncate(mark: number, undoMark: number): void {
    this.queue.length = Math.min(this.queue.length, Math.max(mark, this.head));
    const end = this.firstSeq + this.queue.length;
    if (this.failures.length > 0 && (this.failures.at(-1) as TickFailure).seq >= end)
      this.failures = this.failures.filter((f) => f.seq < end);
    this.core.entities.undoTo(undoMark);
    if (this.rootsIndexed > this.queue.length) this.rootsIndexed = this.queue.length;
  }

  /** The actor of the root input of `cause`'s chain (see {@link ChainRoots}). */
  rootActorOf(cause: Envelope): string {
    if (cause.causation === null) return cause.actor;
    const known = this.rootActors.get(cause.correlation);
    if (known !== undefined) return known;
    for (; this.rootsIndexed < this.queue.length; this.rootsIndexed++) {
      const e = this.queue[this.rootsIndexed] as Envelope;
      if (e.causation === null) this.rootActors.set(e.id, e.actor);
    }
    return this.rootActors.get(cause.correlation) ?? cause.actor;
  }

  private addTimer(event: Envelope): void {
    const d = event.data as TimerScheduledData;
    const timer: Timer = {
      id: event.id,
      due: d.due,
      type: d.type,
      version: d.version,
      entity: event.entity,
      data: d.data,
      correlation: event.correlation,
      actor: event.actor,
      rootActor: d.rootActor,
    };
    const list = this.timersCopied ? (this.timers as Timer[]) : [...this.timers];
    this.timersCopied = true;
    // Sorted by due time, then by id (ids grow monotonically), so firing order is deterministic.
    let i = list.length;
    while (
      i > 0 &&
      ((list[i - 1] as Timer).due > timer.due ||
        ((list[i - 1] as Timer).due === timer.due && (list[i - 1] as Timer).id > timer.id))
    )
      i--;
    list.splice(i, 0, timer);
    this.timers = list;
  }

  private removeTimer(id: string): void {
    const index = this.timers.findIndex((t) => t.id === id);
    if (index === -1) return;
    const list = this.timersCopied ? (this.timers as Timer[]) : [...this.timers];
    this.timersCopied = true;
    list.splice(index, 1);
    this.timers = list;
  }

  private cascadeError(limit: number): CascadeLimitError {
    const counts = new Map<string, number>();
    let worst = '';
    let most = 0;
    for (let i = 0; i < this.head; i++) {
      const type = (this.queue[i] as Envelope).type;
      const n = (counts.get(type) ?? 0) + 1;
      counts.set(type, n);
      if (n > most) {
        most = n;
        worst = type;
      }
    }
    return new CascadeLimitError(limit, worst, most);
  }
}

const programErrorCodes: ReadonlySet<string> = new Set([
  ErrorCodes.UnknownEventType,
  ErrorCodes.InvalidPayload,
  ErrorCodes.Nondeterminism,
  ErrorCodes.AsyncListener,
]);

/**
 * A program error is a bug in the program rather than a failure of the domain: emitting an
 * unregistered type, an invalid payload, a strict-mode catch, a listener returning a Promise.
 */
function isProgramError(err: unknown): boolean {
  const code = codeOf(err);
  return code !== null && programErrorCodes.has(code);
}

/** True for the code of a program error (see {@link isProgramError}). */
export function isProgramErrorCode(code: unknown): boolean {
  return typeof code === 'string' && programErrorCodes.has(code);
}

/**
 * What an immer error an applier threw means, when the message does not say (immer's production
 * build numbers its errors): 12 is `Object.setPrototypeOf()` on a draft, which is what writing
 * the key `__proto__` into a small table (a plain object) does.
 */
function immerHint(err: unknown): string {
  if (!IMMER_SET_PROTOTYPE.test(messageOf(err))) return '';
  return ' (the applier set the prototype of an object in the state: most likely it wrote the key "__proto__" into a table, which a plain object cannot hold as a key; refuse that key before it reaches an applier)';
}

// Immer's error 12, in its production build's words and in its development build's.
const IMMER_SET_PROTOTYPE =
  /\[Immer\] minified error nr: 12\b|Object\.setPrototypeOf\(\) cannot be used on an Immer draft/;

// What a failure records must be storable strings whatever was thrown: an Error's message or
// name may be a getter that throws, or hold something else than a string, and a proxy may
// throw from any trap. Reading them must neither fail the tick nor put them in the log.

/** A thrown value's message, as a string. */
/** `text` ending in one full stop (a message that ends with one gets no second). */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function messageOf(err: unknown): string {
  let isError = false;
  try {
    isError = err instanceof Error;
    if (!isError) return String(err);
    const message: unknown = (err as Error).message;
    return typeof message === 'string' ? message : String(message);
  } catch {
    return isError ? 'an Error whose message could not be read' : 'an unprintable value was thrown';
  }
}

/** A thrown value's name: an Error's `name` when it is a string, else its `typeof`. */
function nameOf(err: unknown): string {
  try {
    if (!(err instanceof Error)) return typeof err;
    const name: unknown = err.name;
    return typeof name === 'string' ? name : 'Error';
  } catch {
    return typeof err;
  }
}

/** A thrown CausewayError's code, or null for anything else. */
function codeOf(err: unknown): string | null {
  try {
    if (!isCausewayError(err)) return null;
    const code: unknown = err.code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}
