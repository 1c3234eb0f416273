import { CausewayError, ErrorCodes, isCausewayError } from '../errors/index.ts';
import type { AnyEventType } from '../events/event-type.ts';
import type { Envelope } from '../events/envelope.ts';
import type { EventSystem } from '../loop/system.ts';
import type { Applier } from '../loop/types.ts';
import { freezeDeep } from '../state/tables.ts';
import { isSystem, LogFollower } from './log-follower.ts';

/** One handler of a catch-up projection: writes what an event means into the read model. */
export type ProjectionHandler<Tx, E extends AnyEventType = AnyEventType> = (
  tx: Tx,
  event: Envelope<E>,
) => void | Promise<void>;

/**
 * A catch-up projection: handlers per event type writing into a read model store through its
 * transaction type `Tx`. Made by {@link defineProjection}.
 */
export class ProjectionDefinition<Tx> {
  readonly #handlers = new Map<string, ProjectionHandler<Tx>>();
  #clear: ((tx: Tx) => void | Promise<void>) | null = null;

  constructor(readonly name: string) {}

  /** Handles events of `type` (upcast to their current version). */
  on<E extends AnyEventType>(type: E, handler: ProjectionHandler<Tx, E>): this {
    if (this.#handlers.has(type.name)) {
      throw new CausewayError(
        ErrorCodes.DuplicateHandler,
        `Projection "${this.name}" already handles "${type.name}".`,
        { projection: this.name, type: type.name },
      );
    }
    this.#handlers.set(type.name, handler as ProjectionHandler<Tx>);
    return this;
  }

  /** How to empty the read model before a rebuild from zero (default: the target's own way). */
  clear(run: (tx: Tx) => void | Promise<void>): this {
    this.#clear = run;
    return this;
  }

  /** The handler of an event type, if any. */
  handlerOf(type: string): ProjectionHandler<Tx> | undefined {
    return this.#handlers.get(type);
  }

  /** The read model's emptying step, if declared. */
  get clearer(): ((tx: Tx) => void | Promise<void>) | null {
    return this.#clear;
  }
}

/**
 * Declares a catch-up projection named `name` (the name keys its checkpoint).
 *
 * @example
 * ```ts
 * const balances = defineProjection<MemoryTransaction<{ balance: number }>>('balances')
 *   .on(Deposited, (tx, e) => tx.set(e.entity, { balance: (tx.get(e.entity)?.balance ?? 0) + e.data.amount }));
 * ```
 */
export function defineProjection<Tx>(name: string): ProjectionDefinition<Tx> {
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/.test(name)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `Projection name ${JSON.stringify(name)} is not valid: use 1-128 letters, digits, "_", ".", ":" or "-", starting with a letter.`,
      { name },
    );
  }
  return new ProjectionDefinition<Tx>(name);
}

/**
 * Where a catch-up projection keeps its rows and its checkpoint. A batch's rows and its new
 * checkpoint are written in one transaction, so a crash never leaves one without the other:
 * exactly once in effect.
 */
export interface ProjectionTarget<Tx> {
  readonly description: string;
  /** The last seq applied for `name` (0 before the first). */
  checkpoint(name: string): Promise<number>;
  /** Runs `work` in one transaction that also sets `name`'s checkpoint to `to`; nothing stays if it throws. */
  transact(name: string, to: number, work: (tx: Tx) => Promise<void>): Promise<void>;
  /** Empties the read model (with `clear`, or the target's own way) and its checkpoint, in one transaction. */
  reset(name: string, clear: ((tx: Tx) => void | Promise<void>) | null): Promise<void>;
}

/** Where a catch-up projection is. */
export interface ProjectionStatus {
  readonly name: string;
  /** The last seq applied. */
  readonly checkpoint: number;
  readonly state: 'idle' | 'running' | 'failed' | 'stopped';
  /** The event the projection stopped at, when it failed. */
  readonly error: {
    readonly seq: number;
    readonly type: string;
    readonly message: string;
  } | null;
}

/** Options of {@link CatchUpProjection}. */
export interface CatchUpOptions<Tx> {
  readonly projection: ProjectionDefinition<Tx>;
  /** The system whose log the projection follows (events are read upcast). */
  readonly source: EventSystem<object>;
  readonly target: ProjectionTarget<Tx>;
  /** Events per transaction, 1 to 10,000. Default 500. */
  readonly batch?: number;
}

// The catch-up projections running on each target, by name. A target keys its checkpoints by
// the projection's name only, so two running under one name would share one checkpoint: the
// second would skip every event the first had applied, and each would move the other's
// position. Keyed by the target object: two objects over the same tables (or two processes)
// are not seen here.
const RUNNING = new WeakMap<object, Map<string, { readonly holds: () => boolean }>>();

/**
 * Follows a system's log from its checkpoint into its own store: eventually consistent, and
 * `waitFor(seq)` gives read-your-writes. A handler that throws stops it at that event with the
 * error and position in `status()`, keeping the checkpoint before it; `resume()` (or a new
 * instance with fixed code) goes on from there. `rebuild()` starts again from zero. It is a
 * {@link LogFollower} whose pages are written to the target in one transaction each.
 */
export class CatchUpProjection<Tx> {
  readonly #projection: ProjectionDefinition<Tx>;
  readonly #target: ProjectionTarget<Tx>;
  readonly #follower: LogFollower;
  #error: ProjectionStatus['error'] = null;
  // This instance's entry in RUNNING while it holds its name on its target (from start until
  // stop); a failed follower no longer keeps the name from another instance.
  readonly #claim = { holds: () => this.#follower.state !== 'failed' };

  /**
   * @throws CausewayError `CW_INVALID_ARGUMENT` for a missing projection, source or target, or
   *   a batch outside 1 to 10,000.
   */
  constructor(options: CatchUpOptions<Tx>) {
    const { projection, source, target } = options as Partial<CatchUpOptions<Tx>>;
    if (typeof projection?.handlerOf !== 'function') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        'A catch-up projection needs its projection, made by defineProjection(name).on(...).',
        {},
      );
    }
    if (!isSystem(source)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Projection "${projection.name}" needs a source: the EventSystem whose log it follows.`,
        { projection: projection.name },
      );
    }
    if (typeof target?.transact !== 'function' || typeof target.checkpoint !== 'function') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Projection "${projection.name}" needs a target: a read model such as new MemoryReadModel() or PostgresReadModel.open(url).`,
        { projection: projection.name },
      );
    }
    this.#projection = options.projection;
    this.#target = options.target;
    this.#follower = new LogFollower({
      source: options.source,
      handle: (events, handled) => this.#apply(events, handled),
      ...(options.batch === undefined ? {} : { batch: options.batch }),
      onError: (err) => {
        // The log or the target failed (not a handler): stop where we are, like a handler failure.
        this.#error ??= {
          seq: this.#follower.position + 1,
          type: '(reading or writing)',
          message: err instanceof Error ? err.message : String(err),
        };
      },
    });
  }

  /** Where the projection is. */
  status(): ProjectionStatus {
    return {
      name: this.#projection.name,
      checkpoint: this.#follower.position,
      state: this.#follower.state,
      error: this.#error,
    };
  }

  /**
   * Loads the checkpoint, catches up, and follows new commits until `stop()`.
   *
   * @throws CausewayError `CW_LOG_MISMATCH` when the checkpoint lies past the end of the
   *   source's log: the read model was built from another log (`rebuild()` starts it over);
   *   `CW_INVALID_ARGUMENT` when another projection of the same name runs on the same target
   *   object (it would share this one's checkpoint).
   */
  async start(): Promise<void> {
    this.#takeName();
    this.#error = null;
    // Read by the follower once the source is open: a stop() meanwhile wins.
    await this.#keepingName(() =>
      this.#follower.start(() => this.#target.checkpoint(this.#projection.name)),
    );
  }

  /**
   * Stops following the log (what was applied stays), and frees the projection's name on its
   * target once the page in progress is written: another instance may start once this resolves.
   */
  async stop(): Promise<void> {
    await this.#follower.stop();
    this.#follower.rejectWaiters(this.#stopped());
    this.#releaseName();
  }

  // Refuses to run beside another running instance of the same name on the same target.
  #takeName(): void {
    const name = this.#projection.name;
    let byName = RUNNING.get(this.#target);
    if (byName === undefined) {
      byName = new Map();
      RUNNING.set(this.#target, byName);
    }
    const holder = byName.get(name);
    if (holder !== undefined && holder !== this.#claim && holder.holds()) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Projection "${name}" is already running on ${this.#target.description}. Two projections of one name on one read model share its checkpoint, so this one would skip every event the other has applied. Await stop() of the running one before starting this one, or give this one its own name (defineProjection('${name}-2')) so that it keeps its own checkpoint.`,
        { projection: name, target: this.#target.description },
      );
    }
    byName.set(name, this.#claim);
  }

  #releaseName(): void {
    const byName = RUNNING.get(this.#target);
    if (byName?.get(this.#projection.name) === this.#claim) byName.delete(this.#projection.name);
  }

  // A start that throws (a checkpoint from another log, an unreachable store) does not run,
  // so it does not keep the name from an instance that would.
  async #keepingName(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      this.#releaseName();
      throw err;
    }
  }

  #stopped(): CausewayError {
    const checkpoint = this.#follower.position;
    return new CausewayError(
      ErrorCodes.ProjectionFailed,
      `Projection "${this.#projection.name}" was stopped at seq ${checkpoint}; start() it again before waiting for a later seq.`,
      { projection: this.#projection.name, checkpoint },
    );
  }

  /**
   * After a failure: tries again from the checkpoint (the handler or the data was fixed).
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` when another instance of the same name has
   *   started on the same target since this one failed.
   */
  async resume(): Promise<void> {
    if (this.#follower.state !== 'failed') return;
    // Another instance may have taken the name over from this failed one.
    this.#takeName();
    this.#error = null;
    await this.#follower.resume();
  }

  /**
   * Empties the read model and its checkpoint, then catches up from the first event.
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` when another projection of the same name runs
   *   on the same target object.
   */
  async rebuild(): Promise<void> {
    this.#takeName();
    this.#error = null;
    // The reset is the follower's position read, made once a running follower has stopped; a
    // stop() while it runs wins.
    await this.#keepingName(() =>
      this.#follower.start(async () => {
        await this.#target.reset(this.#projection.name, this.#projection.clearer);
        return 0;
      }),
    );
  }

  /**
   * Resolves once every event up to `seq` is applied (read-your-writes after a command's tick:
   * `waitFor(system.lastCommit.lastSeq)`).
   *
   * @throws CausewayError `CW_PROJECTION_FAILED` when the projection failed before `seq`, or was
   *   stopped; `CW_INVALID_ARGUMENT` when `seq` is not a seq (an integer, 0 or more).
   */
  waitFor(seq: number): Promise<void> {
    // A wait begun after stop() would otherwise wait for a start that may never come, where
    // the waits pending at stop() were rejected.
    if (
      this.#follower.state === 'stopped' &&
      Number.isSafeInteger(seq) &&
      seq > this.#follower.position
    ) {
      return Promise.reject(this.#stopped());
    }
    return this.#follower.waitFor(seq).catch((err: unknown) => {
      const passOn =
        isCausewayError(err, ErrorCodes.ProjectionFailed) ||
        isCausewayError(err, ErrorCodes.InvalidArgument);
      throw passOn ? err : this.#failure();
    });
  }

  async #apply(events: readonly Envelope[], handled: (seq: number) => void): Promise<void> {
    const name = this.#projection.name;
    let failedAt = -1;
    // A flag, not the caught value: a handler may throw `undefined` or `null`.
    let failed = false;
    let failure: unknown = null;
    try {
      await this.#target.transact(name, (events.at(-1) as Envelope).seq, async (tx) => {
        for (let i = 0; i < events.length; i++) {
          const e = events[i] as Envelope;
          const handler = this.#projection.handlerOf(e.type);
          if (handler === undefined) continue;
          failedAt = i;
          await handler(tx, e);
        }
        failedAt = -1;
      });
    } catch (err) {
      if (failedAt < 0) throw err;
      failed = true;
      failure = err;
    }
    if (!failed) return;
    // Keep what came before the failing event, so the checkpoint stops right before it.
    if (failedAt > 0) {
      const before = events.slice(0, failedAt);
      await this.#target.transact(name, (before.at(-1) as Envelope).seq, async (tx) => {
        for (const e of before) await this.#projection.handlerOf(e.type)?.(tx, e);
      });
      handled((before.at(-1) as Envelope).seq);
    }
    const bad = events[failedAt] as Envelope;
    this.#error = {
      seq: bad.seq,
      type: bad.type,
      message: describeThrown(failure),
    };
    throw this.#failure();
  }

  #failure(): CausewayError {
    const e = this.#error;
    const checkpoint = this.#follower.position;
    return new CausewayError(
      ErrorCodes.ProjectionFailed,
      e === null
        ? `Projection "${this.#projection.name}" is not running.`
        : `Projection "${this.#projection.name}" stopped at seq ${e.seq} ("${e.type}"): ${e.message}. Its checkpoint stays at ${checkpoint}; fix the handler and call resume(), or restart with the fixed code.`,
      { projection: this.#projection.name, checkpoint, ...(e ?? {}) },
    );
  }
}

/** What a handler threw, as text: an Error's message, or the thrown value printed. */
function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  try {
    return JSON.stringify(thrown) ?? String(thrown);
  } catch {
    try {
      return String(thrown);
    } catch {
      return 'an unprintable value';
    }
  }
}

/** The transaction of a {@link MemoryReadModel}: reads see the transaction's own writes. */
export interface MemoryTransaction<Row> {
  /**
   * A copy of the row this transaction set, or else of the stored one (plain data, copied with
   * `structuredClone`), so changing it in place changes nothing until it is `set`.
   */
  get(id: string): Row | undefined;
  /** Stages a copy of `row`: changing `row` afterwards changes nothing until it is set again. */
  set(id: string, row: Row): void;
  delete(id: string): void;
}

/**
 * A read model in memory: rows by id and checkpoints, written all or nothing per transaction.
 * The target of catch-up projections that need no durability (rebuilt from the log at start).
 */
export class MemoryReadModel<Row> implements ProjectionTarget<MemoryTransaction<Row>> {
  readonly description = 'memory read model';
  readonly #rows = new Map<string, Row>();
  readonly #checkpoints = new Map<string, number>();

  /**
   * A row by id, frozen: rows change only through transactions (a caller that wrote into a row
   * it read would change the read model behind its projection).
   */
  get(id: string): Row | undefined {
    return this.#rows.get(id);
  }

  /** Every row (each frozen), by id in insertion order. */
  rows(): ReadonlyMap<string, Row> {
    return this.#rows;
  }

  checkpoint(name: string): Promise<number> {
    return Promise.resolve(this.#checkpoints.get(name) ?? 0);
  }

  async transact(
    name: string,
    to: number,
    work: (tx: MemoryTransaction<Row>) => Promise<void>,
  ): Promise<void> {
    const staged = new Map<string, Row | null>();
    const rows = this.#rows;
    await work({
      // Copies both ways: a handler that changes a row in place must not change it before the
      // transaction commits (or when it fails, and the events before the failing one run
      // again), nor change it only when the row was set earlier in the same batch, which would
      // make the read model depend on where the log was cut into batches.
      get: (id) => {
        const row = staged.has(id) ? staged.get(id) : rows.get(id);
        return row === undefined || row === null ? undefined : structuredClone(row);
      },
      set: (id, row) => void staged.set(id, structuredClone(row)),
      delete: (id) => void staged.set(id, null),
    });
    for (const [id, row] of staged) {
      if (row === null) rows.delete(id);
      // The staged row is the transaction's own copy: frozen, it can be handed out as it is.
      else rows.set(id, freezeDeep(row) as Row);
    }
    this.#checkpoints.set(name, to);
  }

  async reset(
    name: string,
    clear: ((tx: MemoryTransaction<Row>) => void | Promise<void>) | null,
  ): Promise<void> {
    if (clear === null) this.#rows.clear();
    else await this.transact(name, 0, async (tx) => clear(tx));
    this.#checkpoints.delete(name);
  }
}

/**
 * An inline projection: an applier that keeps a read model inside the system's state, updated
 * in the tick that commits the event (always consistent with the log, rebuilt with the state).
 * The same as `system.apply`, named for what it is.
 */
export function projectInline<S extends object, E extends AnyEventType>(
  system: EventSystem<S>,
  type: E,
  applier: Applier<E, S>,
): void {
  system.apply(type, applier);
}
