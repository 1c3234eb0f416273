import type { Immutable } from 'immer';
import { CausewayError, ErrorCodes, isCausewayError, type ErrorCode } from '../errors/index.ts';
import type { AnyEventType, DataOf } from '../events/event-type.ts';
import type { Envelope } from '../events/envelope.ts';
import { PROTO_KEY } from '../events/payload.ts';
import type { ListenerFailedData } from '../loop/builtin.ts';
import { portOf, type LoopPort } from '../loop/context.ts';
import { isThenable } from '../loop/thenable.ts';
import {
  beforeFirstTick,
  checkInputsWith,
  systemClosed,
  systemInternals,
  tickRunCounter,
  type EventSystem,
  type SystemInternals,
} from '../loop/system.ts';
import { ReadOnlyViews } from '../state/read-only-view.ts';
import type { StoredEnvelope } from '../events/envelope.ts';
import type { ListenerContext, ListenerObject, TickResult } from '../loop/types.ts';
import type { Page } from '../store/port.ts';
import { Queries, type Component } from '../state/component.ts';
import {
  checkCommandData,
  commandInput,
  CommandRejected,
  Rejection,
  type AnyCommandType,
  type Command,
  type CommandContext,
  type CommandData,
  type CommandHandler,
  type CommandOutcome,
  type PayloadOf,
  type ResultOf,
} from './command.ts';
import type { AnyQueryType, ParamsOf, QueryHandler, QueryResultOf } from './query.ts';
import {
  applyCommandDecided,
  applySagaStepped,
  CommandDecided,
  SAGAS_TABLE,
  SagaStepped,
  versionIn,
  type CommandDecidedData,
  type CqrsTables,
  type DecidedCommand,
} from './records.ts';
import type { SagaContext, SagaDefinition } from './saga.ts';

/**
 * The state of saga `name`'s instance `key` in `state`, or undefined: own entries only, so that
 * a key taken from a payload (`constructor`, `toString`) is a fresh instance and a saga named
 * like one has its own instances, never what a plain object inherits.
 */
function instanceState(state: unknown, name: string, key: string): unknown {
  const sagas = (state as CqrsTables)[SAGAS_TABLE];
  if (sagas === undefined || !Object.hasOwn(sagas, name)) return undefined;
  const instances = sagas[name] as Readonly<Record<string, unknown>>;
  return Object.hasOwn(instances, key) ? instances[key] : undefined;
}

/** Options of a {@link Mediator}. */
export interface MediatorOptions {
  /**
   * Commands the application sends. Each must have a handler by `start()`, which reports the
   * ones missing; their input types are registered now, so a log holding them can be opened.
   */
  readonly commands?: readonly AnyCommandType[];
  /** Queries the application answers; each must have a handler by `start()`. */
  readonly queries?: readonly AnyQueryType[];
}

interface CommandEntry {
  readonly type: AnyCommandType;
  handler: CommandHandler<AnyCommandType, object> | null;
}

interface QueryEntry {
  readonly type: AnyQueryType;
  handler: QueryHandler<AnyQueryType, object> | null;
}

// Codes of the runtime's own refusals of an input, which `send` reports as a CommandRejected.
const inputRefusals: ReadonlySet<string> = new Set<string>([
  ErrorCodes.InvalidEntityId,
  ErrorCodes.EntityIdFromFuture,
  ErrorCodes.EntityExists,
  ErrorCodes.EntityNotFound,
  ErrorCodes.EntityNotOwned,
]);

/** Refuses what is not a command type (one made by `defineCommand`). */
function checkCommandType(type: AnyCommandType): void {
  if (
    typeof type !== 'object' ||
    type === null ||
    typeof type.name !== 'string' ||
    typeof type.event !== 'object'
  ) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      'A command type is made by defineCommand(name).',
      {},
    );
  }
}

/** Refuses a second, different command or query under a name one already has. */
function refuseNamesake(
  kind: 'command' | 'query',
  name: string,
  known: unknown,
  type: unknown,
): void {
  if (known !== undefined && known !== type) {
    throw new CausewayError(
      ErrorCodes.DuplicateHandler,
      `Two different ${kind === 'command' ? 'commands' : 'queries'} are named "${name}". Declare each ${kind} once and import it.`,
      { [kind]: name },
    );
  }
}

/**
 * Refuses a command named like an event type the system knows: the command travels in the log
 * as an input event of its own name, and a name means one event type in a system.
 */
function refuseEventNamesake(system: EventSystem<object>, type: AnyCommandType): void {
  const known = systemInternals(system).types.get(type.name);
  if (known === undefined || known === type.event) return;
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    `Command "${type.name}" has the name of an event type this system already knows (version ${known.version}). A command is carried in the log by an input event of its own name, and a name means one event type in a system. Rename the command (commands are usually imperative, "Deposit", and the events they cause past tense, "Deposited").`,
    { command: type.name, eventType: known.name },
  );
}

/** What a mediator's options break, found before anything is wired. */
function checkOptions(system: EventSystem<object>, options: MediatorOptions): void {
  const commands = new Map<string, unknown>();
  for (const type of options.commands ?? []) {
    checkCommandType(type);
    refuseEventNamesake(system, type);
    refuseNamesake('command', type.name, commands.get(type.name), type);
    commands.set(type.name, type);
  }
  const queries = new Map<string, unknown>();
  for (const type of options.queries ?? []) {
    refuseNamesake('query', type.name, queries.get(type.name), type);
    queries.set(type.name, type);
  }
}

/** The systems a mediator was made for: one each. */
const MEDIATED = new WeakSet<object>();

/**
 * The CQRS layer over one {@link EventSystem}: commands decided by one handler each inside a
 * tick, queries over read models, and sagas. Bind everything before the system opens its log.
 * A system has one mediator.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` when `system` has a mediator already.
 *
 * @example
 * ```ts
 * const mediator = new Mediator(system, { commands: [Deposit] });
 * mediator.handle(Deposit, (cmd, ctx) => {
 *   ctx.emit(Deposited, cmd.entity, { amount: cmd.payload.amount });
 *   return { balance: (ctx.state.accounts[cmd.entity]?.balance ?? 0) + cmd.payload.amount };
 * });
 * await mediator.start();
 * const { balance } = await mediator.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' }));
 * ```
 */
export class Mediator<S extends object = Record<string, unknown>> {
  readonly #system: EventSystem<S>;
  readonly #commands = new Map<string, CommandEntry>();
  readonly #queries = new Map<string, QueryEntry>();
  readonly #sagas = new Set<string>();
  readonly #inflight = new Map<
    string,
    { readonly cmd: Command; readonly sending: Promise<unknown> }
  >();
  readonly #failures = new Map<string, string>();
  // Ids decided in the running tick: a repeated id in the same tick comes before the first
  // one's CommandDecided has been applied. Valid for one tick run only: a run dropped before
  // its commit (a halt) decided nothing, so the run of that tick after it starts afresh.
  readonly #decidedInTick = new Set<string>();
  readonly #runsStarted: () => number;
  #decidedInRun = -1;
  // Commands decided in the running tick whose events are still on its queue: their events,
  // and the seq the queue had reached when they were decided (their events come from there).
  // A later command of the tick that was queued before that seq is decided on the state those
  // events will make (see #stateFor), so two commands of one tick never both spend the same
  // balance or take the same name.
  #queued: QueuedCommand[] = [];
  // The state a command of this tick is decided on while earlier commands' events are queued:
  // a draft of the tick's state with those events applied, and the seq it stands for.
  #spec: { readonly draft: { readonly root: object }; readonly view: object; at: number } | null =
    null;
  #appliers: Pick<SystemInternals, 'applyEvent' | 'draft'> | null = null;
  // Outcomes by command id, derived from the log: read from it once the system is open, then
  // added as ticks commit. Kept out of state, where every command ever decided would make
  // each tick copy and rehash a table that only grows.
  readonly #decided = new Map<string, DecidedCommand>();
  #loading: Promise<void> | null = null;
  #reading: Promise<void> | null = null;

  constructor(system: EventSystem<S>, options: MediatorOptions = {}) {
    if (MEDIATED.has(system)) {
      // A second one would register the decision's applier again (every command would bump
      // its entities' versions twice) and decide its commands blind to the first one's.
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        'This system already has a mediator; a system has exactly one. Declare every command, query and saga on that one (new Mediator(system, { commands: [...], queries: [...] }), then .handle(...), .saga(...)).',
        {},
      );
    }
    // Options are checked before the system is marked or wired: a mediator refused for a bad
    // option leaves the system as it was, and a corrected retry is not taken for a second one.
    checkOptions(system as EventSystem<object>, options);
    this.#system = system;
    this.#runsStarted = tickRunCounter(system);
    // The first wiring, before the mark: where the system refuses it (wiring inside the loop),
    // nothing was registered.
    system.apply(CommandDecided, (draft, e) => applyCommandDecided(draft, e.data));
    MEDIATED.add(system);
    // However the system is driven after a restart (tick, send, a testing kit's resume), the
    // outcomes already in the log are known before its first tick decides anything.
    beforeFirstTick(system, () => this.#readDecided());
    system.apply(SagaStepped, (draft, e) => applySagaStepped(draft, e.data));
    for (const type of options.commands ?? []) this.#declare(type);
    for (const type of options.queries ?? []) {
      this.#checkQueryType(type);
      if (!this.#queries.has(type.name)) this.#queries.set(type.name, { type, handler: null });
    }
    system.onCommit((result) => {
      for (const e of result.events) if (e.type === CommandDecided.name) this.#record(e);
      this.#noteFailures(result);
    });
  }

  /** The system this mediator drives. */
  get system(): EventSystem<S> {
    return this.#system;
  }

  // ---------------------------------------------------------------------------------------
  // Binding

  /**
   * Binds the one handler of a command. The handler's types come from the command, so a
   * handler written for another command does not compile.
   *
   * @throws CausewayError `CW_DUPLICATE_HANDLER` when the command already has one.
   */
  handle<C extends AnyCommandType>(type: C, handler: CommandHandler<C, S>): this {
    const entry = this.#declare(type);
    if (entry.handler !== null) {
      throw new CausewayError(
        ErrorCodes.DuplicateHandler,
        `Command "${type.name}" already has a handler; a command has exactly one. Remove the second handle(${type.name}, …).`,
        { command: type.name },
      );
    }
    entry.handler = handler as unknown as CommandHandler<AnyCommandType, object>;
    this.#system.subscribe(type.event, this.#dispatcher(type, entry));
    // Clients may send the command; its events stay facts only listeners state.
    this.#system.declareInputs(type.event);
    return this;
  }

  /**
   * Binds the one handler of a query.
   *
   * @throws CausewayError `CW_DUPLICATE_HANDLER` when the query already has one,
   *   `CW_INVALID_ARGUMENT` when `type` is not a query type.
   */
  handleQuery<Q extends AnyQueryType>(type: Q, handler: QueryHandler<Q, S>): this {
    this.#checkQueryType(type);
    const entry = this.#queries.get(type.name) ?? { type, handler: null };
    if (entry.handler !== null) {
      throw new CausewayError(
        ErrorCodes.DuplicateHandler,
        `Query "${type.name}" already has a handler; a query has exactly one.`,
        { query: type.name },
      );
    }
    entry.handler = handler as unknown as QueryHandler<AnyQueryType, object>;
    this.#queries.set(type.name, entry);
    return this;
  }

  /**
   * Binds a saga: each of its reactions becomes a listener named after the saga, whose
   * instance state is kept in state (`causeway.sagas`) through `causeway.SagaStepped` events.
   *
   * @throws CausewayError `CW_DUPLICATE_HANDLER` when a saga of that name is bound already,
   *   `CW_INVALID_ARGUMENT` when `definition` was not made by `defineSaga`.
   */
  saga<State>(definition: SagaDefinition<State, S>): this {
    checkSaga(definition);
    const name = definition.name;
    if (this.#sagas.has(name)) {
      throw new CausewayError(
        ErrorCodes.DuplicateHandler,
        `A saga named "${name}" is bound already; saga names are unique in a system.`,
        { saga: name },
      );
    }
    this.#sagas.add(name);
    for (const step of definition.steps) {
      const listener: ListenerObject<AnyEventType, S> = {
        name,
        run: (event, ctx) => {
          const key: unknown = step.key(event);
          if (key === null) return;
          if (typeof key !== 'string') {
            // A key read from a payload that lacks it (undefined) or holds something else: the
            // event is not the saga's, and the failure is recorded instead of the tick halting
            // on a SagaStepped that cannot be stored.
            throw new CausewayError(
              ErrorCodes.InvalidArgument,
              `Saga "${name}" keyed "${event.type}" (seq ${event.seq}) by ${key === undefined ? 'undefined' : `a ${typeof key}`}, not a string: the saga did not react to it. Return a string key, or null for an event that is not the saga's.`,
              { saga: name, keyType: typeof key, event: event.id },
            );
          }
          if (key === PROTO_KEY) {
            // A state table cannot hold this key (writing it sets a plain object's
            // prototype): the event is not the saga's, and the failure is recorded.
            throw new CausewayError(
              ErrorCodes.InvalidArgument,
              `Saga "${name}" keyed "${event.type}" (seq ${event.seq}) by "__proto__", which a state table cannot hold as a key: the saga did not react to it. Key saga instances by entity ids, or by values your commands validate.`,
              { saga: name, key, event: event.id },
            );
          }
          const current = instanceState(ctx.state, name, key) as State | undefined;
          const scoped = new SagaRun<S>(ctx);
          let next: State | null | void;
          try {
            next = step.react(current, event, scoped);
          } finally {
            scoped.close();
          }
          if (next === undefined || (next === null && current === undefined)) return;
          ctx.emit(SagaStepped, event.entity, { saga: name, key, state: next });
        },
      };
      this.#system.subscribe(step.type, listener);
    }
    return this;
  }

  /**
   * Checks that every declared command and query has a handler, then opens the system.
   *
   * @throws CausewayError `CW_NO_HANDLER` naming every declared command or query left unbound,
   *   `CW_SYSTEM_HALTED` when the system was closed.
   */
  async start(): Promise<void> {
    this.#checkNotClosed('start()');
    const missing = [
      ...[...this.#commands.values()].filter((e) => e.handler === null).map((e) => e.type.name),
      ...[...this.#queries.values()].filter((e) => e.handler === null).map((e) => e.type.name),
    ];
    if (missing.length > 0) {
      throw new CausewayError(
        ErrorCodes.NoHandler,
        `No handler is bound for ${missing.map((m) => `"${m}"`).join(', ')}. Bind one with mediator.handle(…) or mediator.handleQuery(…) before start().`,
        { missing },
      );
    }
    await this.#load();
    // Closed while it opened: the open it shares may have resolved before the close.
    this.#checkNotClosed('start()');
  }

  /** Refuses to act for a system that was closed, which takes no more input and reads no more. */
  #checkNotClosed(call: string): void {
    const closed = this.#closedError(call);
    if (closed !== null) throw closed;
  }

  #closedError(call: string): CausewayError | null {
    if (!systemClosed(this.#system as EventSystem<object>)) return null;
    return new CausewayError(
      ErrorCodes.SystemHalted,
      `mediator.${call} was called on a mediator whose system is closed: a closed system takes no more commands or queries, and opens no more. Make a new EventSystem on the store and a new Mediator over it (the log keeps every outcome decided so far).`,
      { call },
    );
  }

  /**
   * Opens the system and reads the outcomes of the commands its log already decided. `send`
   * and `start` do it, and the system waits for the same read before its first tick, so code
   * that drives ticks itself (`system.tick`) after a restart recognises a repeated command id
   * too.
   */
  #load(): Promise<void> {
    this.#loading ??= (async () => {
      await this.#system.open();
      await this.#readDecided();
    })();
    return this.#loading;
  }

  /** Reads the outcomes the log holds, once (again after a failed read). */
  #readDecided(): Promise<void> {
    this.#reading ??= (async () => {
      for (let from: number | null = 1; from !== null;) {
        const page: Page<Envelope> = await this.#system.readEvents({
          type: CommandDecided.name,
          fromSeq: from,
          limit: 1000,
        });
        for (const e of page.items) this.#record(e);
        from = page.next;
      }
    })().catch((err: unknown) => {
      this.#reading = null;
      throw err;
    });
    return this.#reading;
  }

  #record(e: Envelope): void {
    const d = e.data as CommandDecidedData;
    if (!this.#decided.has(d.command))
      this.#decided.set(d.command, { type: d.type, entity: e.entity, outcome: d.outcome });
  }

  // ---------------------------------------------------------------------------------------
  // Sending and asking

  /**
   * Sends a command: journals it (an acknowledged command is never lost), and resolves with
   * its result when the tick that decided it commits. The same command id sent again, even
   * after a restart, gets the first outcome without being decided twice.
   *
   * @throws CommandRejected `CW_COMMAND_REJECTED` (its handler refused; `reason` is the
   *   application's code), `CW_STALE_VERSION`, `CW_COMMAND_FAILED` (its handler threw; nothing
   *   recorded, retry once fixed), or an entity rule's code (`CW_ENTITY_NOT_OWNED`…).
   * @throws CausewayError `CW_NO_HANDLER` when the command has no handler, `CW_INVALID_COMMAND`
   *   for something that is not a command, a malformed id or version, or an id another command
   *   used (a repeat about another entity, or of another type), store and halt errors;
   *   `CW_SYSTEM_HALTED` when the system was closed (a repeat of a decided id too).
   */
  send<C extends AnyCommandType>(cmd: Command<C>): Promise<ResultOf<C>> {
    const closed = this.#closedError('send()');
    if (closed !== null) return Promise.reject(closed);
    if (!isCommandShaped(cmd)) {
      return Promise.reject(
        new CausewayError(
          ErrorCodes.InvalidCommand,
          `send() takes a command made by command(type, entity, payload), got ${describe(cmd)}.`,
          {},
        ),
      );
    }
    const entry = this.#commands.get(cmd.type.name);
    if (entry?.handler == null || entry.type !== cmd.type) {
      return Promise.reject(
        new CausewayError(
          ErrorCodes.NoHandler,
          `No handler is bound for command "${cmd.type.name}". Bind one with mediator.handle(${cmd.type.name}, handler) before sending it.`,
          { command: cmd.type.name },
        ),
      );
    }
    const running = this.#inflight.get(cmd.id);
    if (running !== undefined && sameSender(running.cmd, cmd))
      return running.sending as Promise<ResultOf<C>>;
    let input;
    try {
      input = commandInput(cmd);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const sending = this.#sendNow(cmd, input).finally(() => {
      if (this.#inflight.get(cmd.id)?.sending === sending) this.#inflight.delete(cmd.id);
    });
    if (running === undefined) this.#inflight.set(cmd.id, { cmd, sending });
    return sending;
  }

  async #sendNow<C extends AnyCommandType>(
    cmd: Command<C>,
    input: ReturnType<typeof commandInput<C>>,
  ): Promise<ResultOf<C>> {
    await this.#load();
    this.#checkNotClosed('send()');
    let decided = this.decided(cmd.id);
    if (decided === undefined) {
      try {
        await this.#system.send(input);
      } catch (err) {
        throw refusal(cmd, err);
      }
      decided = this.decided(cmd.id);
    }
    if (decided !== undefined) {
      checkSameCommand(cmd, decided);
      // A repeat is not decided again, and may not have been journaled (or was, before the
      // first one created the entity), so the entity rules have not judged this sender:
      // judge it here, or a stranger holding the id would read the first outcome.
      this.#checkRepeatSender(cmd);
    }
    if (decided === undefined) {
      const failure = this.#failures.get(cmd.id) ?? 'its handler did not decide it';
      this.#failures.delete(cmd.id);
      throw new CommandRejected(
        ErrorCodes.CommandFailed,
        ErrorCodes.CommandFailed,
        cmd.type.name,
        cmd.id,
        `Command "${cmd.type.name}" (${cmd.id}) failed: ${failure}. Nothing was recorded for it; fix the handler and send it again with the same id.`,
      );
    }
    const outcome = decided.outcome;
    if (outcome.ok) return outcome.result as ResultOf<C>;
    throw new CommandRejected(
      outcome.code as ErrorCode,
      outcome.reason,
      cmd.type.name,
      cmd.id,
      outcome.message,
      { ...outcome.details },
    );
  }

  /**
   * Answers a query with its handler, over the state after the last commit.
   *
   * @throws CausewayError `CW_NO_HANDLER` when the query has no handler, `CW_INVALID_ARGUMENT`
   *   when `type` is not a query type, `CW_SYSTEM_HALTED` when the system was closed.
   */
  async query<Q extends AnyQueryType>(type: Q, params: ParamsOf<Q>): Promise<QueryResultOf<Q>> {
    this.#checkNotClosed('query()');
    if (typeof type !== 'object' || type === null || typeof type.name !== 'string') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `query() takes a query type made by defineQuery(name), got ${describe(type)}.`,
        {},
      );
    }
    const entry = this.#queries.get(type.name);
    if (entry?.handler == null || entry.type !== type) {
      throw new CausewayError(
        ErrorCodes.NoHandler,
        `No handler is bound for query "${type.name}". Bind one with mediator.handleQuery(${type.name}, handler).`,
        { query: type.name },
      );
    }
    await this.#system.open();
    this.#checkNotClosed('query()');
    return (await entry.handler(params, {
      state: this.#system.state as Immutable<object>,
    })) as QueryResultOf<Q>;
  }

  /** The recorded outcome of a command id, or undefined when it was never decided. */
  decided(id: string): DecidedCommand | undefined {
    return this.#decided.get(id);
  }

  /** An entity's version: how many events accepted commands emitted about it. */
  version(entity: string): number {
    return versionIn(this.#system.state, entity);
  }

  /**
   * A saga instance's state, or undefined when it has not started or has finished.
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` when `saga` was not made by `defineSaga`.
   */
  sagaState<State>(saga: SagaDefinition<State, S>, key: string): State | undefined {
    checkSaga(saga);
    return instanceState(this.#system.state, saga.name, key) as State | undefined;
  }

  // ---------------------------------------------------------------------------------------
  // Internals

  // A repeated id's sender must be allowed to send a command about its entity now.
  #checkRepeatSender(cmd: Command): void {
    const record = this.#system.entity(cmd.entity);
    if (record === undefined || record.owner === cmd.actor) return;
    if (record.grants.includes(cmd.actor) || record.grants.includes('*')) return;
    throw new CommandRejected(
      ErrorCodes.EntityNotOwned,
      ErrorCodes.EntityNotOwned,
      cmd.type.name,
      cmd.id,
      `Command "${cmd.type.name}" (${cmd.id}) was refused: ${JSON.stringify(cmd.actor)} neither owns entity ${cmd.entity} nor was granted it, so it may not send commands about it (nor read the outcome of one sent before).`,
      { entity: cmd.entity, actor: cmd.actor },
    );
  }

  #declare(type: AnyCommandType): CommandEntry {
    checkCommandType(type);
    const known = this.#commands.get(type.name);
    if (known !== undefined) {
      refuseNamesake('command', type.name, known.type, type);
      return known;
    }
    refuseEventNamesake(this.#system as EventSystem<object>, type);
    this.#system.register(type.event);
    // The handler's bookkeeping (outcomes by id, the version check) relies on the command's
    // envelope: one sent as a raw input without it would be decided under no id, or halt
    // the system on a CommandDecided it cannot store. Refused before it is journaled.
    checkInputsWith(this.#system as EventSystem<object>, type.event, (data) =>
      checkCommandData(type.name, data),
    );
    const entry: CommandEntry = { type, handler: null };
    this.#commands.set(type.name, entry);
    return entry;
  }

  #checkQueryType(type: AnyQueryType): void {
    if (typeof type !== 'object' || type === null || typeof type.name !== 'string') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `A query type is made by defineQuery(name), got ${describe(type)}.`,
        {},
      );
    }
    refuseNamesake('query', type.name, this.#queries.get(type.name)?.type, type);
  }

  #dispatcher(type: AnyCommandType, entry: CommandEntry): ListenerObject<AnyEventType, S> {
    const decidedInTick = this.#decidedInTick;
    const decided = this.#decided;
    const runsStarted = this.#runsStarted;
    return {
      name: `${type.name}.handler`,
      run: (event, ctx) => {
        const run = runsStarted();
        if (run !== this.#decidedInRun) {
          decidedInTick.clear();
          this.#queued = [];
          this.#spec = null;
          this.#decidedInRun = run;
        }
        const data = event.data as CommandData<unknown>;
        // A repeated id: the first outcome stands, and is what its sender gets.
        if (decided.has(data.id) || decidedInTick.has(data.id)) return;
        const port = portOf(ctx);
        const end = port?.nextSeq() ?? 0;
        const state = port === undefined ? ctx.state : this.#stateFor(event, ctx, port);
        const version = versionIn(state, event.entity);
        let outcome: CommandOutcome;
        let touched: (readonly [string, number])[] = [];
        let emitted: readonly QueuedEmit[] = [];
        if (data.expectedVersion !== null && data.expectedVersion !== version) {
          outcome = {
            ok: false,
            code: ErrorCodes.StaleVersion,
            reason: ErrorCodes.StaleVersion,
            message: `Command "${type.name}" was decided against version ${data.expectedVersion} of entity ${event.entity}, which is now at version ${version}. Read the entity again and send a new command.`,
            details: { entity: event.entity, expected: data.expectedVersion, actual: version },
          };
        } else {
          const scoped = new CommandRun<object>(ctx, state as Immutable<object>);
          let returned: unknown;
          try {
            returned = (entry.handler as CommandHandler<AnyCommandType, object>)(
              {
                type: type.name,
                id: data.id,
                entity: event.entity,
                payload: data.payload,
                actor: event.actor,
                version,
              },
              scoped,
            );
          } finally {
            scoped.close();
          }
          if (isThenable(returned)) {
            // Its later ctx calls are refused (the context is closed); nothing is decided.
            (returned as Promise<unknown>).then(undefined, () => undefined);
            throw new CausewayError(
              ErrorCodes.AsyncListener,
              `The handler of command "${type.name}" returned a Promise. Command handlers are synchronous: decide from ctx.state, emit, and return the result; run async work as an effect outside the loop and send its result back as a command.`,
              { command: type.name },
            );
          }
          if (returned instanceof Rejection) {
            const refused = returned as Rejection;
            // The reason is what senders match on (isCommandRejected, GraphQL's
            // extensions.reason): a handler that gives none has a bug, not an outcome.
            const reason: unknown = refused.reason;
            const message: unknown = refused.message;
            if (typeof reason !== 'string' || reason === '' || typeof message !== 'string') {
              throw new CausewayError(
                ErrorCodes.InvalidArgument,
                `The handler of command "${type.name}" rejected it with reason ${typeof reason === 'string' ? JSON.stringify(reason) : `a ${reason === null ? 'null' : typeof reason}`} and ${typeof message === 'string' ? 'a message' : `a ${message === null ? 'null' : typeof message} as the message`}: ctx.reject(reason, message) takes a non-empty string reason (one the command declares) and a string message. Nothing was recorded; fix the handler.`,
                { command: type.name },
              );
            }
            outcome = {
              ok: false,
              code: ErrorCodes.CommandRejected,
              reason: refused.reason,
              message: refused.message,
              details: refused.details,
            };
          } else {
            outcome = { ok: true, result: returned === undefined ? null : returned };
            touched = scoped.flush(ctx);
            emitted = scoped.emitted;
          }
        }
        const decision: DataOf<typeof CommandDecided> = {
          command: data.id,
          type: type.name,
          outcome,
          touched,
        };
        ctx.emit(CommandDecided, event.entity, decision);
        decidedInTick.add(data.id);
        if (port !== undefined) this.#queue(event, ctx, end, outcome.ok ? emitted : [], decision);
      },
    };
  }

  /**
   * The state command `event` is decided on: the tick's, with the events of the tick's earlier
   * commands that are still queued applied on a draft of it. Commands of one tick are inputs
   * queued together, and what an earlier one's handler emits is queued after them: decided on
   * the tick's state alone, two withdrawals of 80 from a balance of 100 would both pass.
   */
  #stateFor(event: Envelope, ctx: ListenerContext<S>, port: LoopPort): unknown {
    const before = this.#queued.length;
    // Events queued before this command have been applied by now.
    this.#queued = this.#queued.filter((q) => event.seq < q.end);
    if (this.#queued.length === 0) {
      this.#spec = null;
      return ctx.state;
    }
    const spec = this.#spec;
    // The draft still stands when nothing was applied since it was made: this command comes
    // right after the one it was made for, and has no applier.
    if (
      spec !== null &&
      before === this.#queued.length &&
      spec.at === event.seq - 1 &&
      !port.applies(event.type)
    ) {
      spec.at = event.seq;
      return spec.view;
    }
    const { draft: makeDraft } = this.#engine();
    const draft = makeDraft(port.currentState());
    for (const queued of this.#queued) this.#applyQueued(draft.root, queued);
    const view = new ReadOnlyViews().of(draft.root) as object;
    this.#spec = { draft, view, at: event.seq };
    return view;
  }

  /**
   * Notes a decided command's events as queued, and applies them to the draft if there is one.
   * Their envelopes are made only when a draft needs them: a tick of one command (the common
   * case) makes none.
   */
  #queue(
    event: Envelope,
    ctx: ListenerContext<S>,
    end: number,
    emitted: readonly QueuedEmit[],
    decision: DataOf<typeof CommandDecided>,
  ): void {
    const queued: QueuedCommand = { end, event, tick: ctx.tick, at: ctx.now, emitted, decision };
    this.#queued.push(queued);
    const spec = this.#spec;
    if (spec !== null && spec.at === event.seq) this.#applyQueued(spec.draft.root, queued);
  }

  /** Applies a queued command's events, then its decision, on a draft. */
  #applyQueued(draft: object, queued: QueuedCommand): void {
    const { applyEvent } = this.#engine();
    const { event } = queued;
    const envelope = (type: AnyEventType, entity: string, data: unknown): StoredEnvelope => ({
      // Ids and seqs are given when the events are queued; no applier of a decision reads them.
      id: '',
      seq: 0,
      tick: queued.tick,
      type: type.name,
      version: type.version,
      entity,
      data,
      at: queued.at,
      causation: event.id,
      correlation: event.correlation,
      actor: `${event.type}.handler`,
    });
    for (const e of queued.emitted) applyEvent(draft, envelope(e.type, e.entity, e.data));
    applyEvent(draft, envelope(CommandDecided, event.entity, queued.decision));
  }

  /** The system's appliers and drafts, read once (reading the internals builds a record). */
  #engine(): Pick<SystemInternals, 'applyEvent' | 'draft'> {
    if (this.#appliers === null) {
      const { applyEvent, draft } = systemInternals(this.#system as EventSystem<object>);
      this.#appliers = { applyEvent, draft };
    }
    return this.#appliers;
  }

  // A handler that threw leaves no outcome: keep its message for the sender still waiting.
  #noteFailures(result: TickResult): void {
    if (this.#inflight.size === 0) return;
    for (const e of result.events) {
      if (e.type !== 'causeway.ListenerFailed') continue;
      const failed = e.data as ListenerFailedData;
      if (!this.#commands.has(failed.event.type)) continue;
      const cmd = result.events.find((c) => c.id === failed.event.id);
      if (cmd === undefined) continue;
      const id = (cmd.data as CommandData<unknown>).id;
      if (this.#inflight.has(id))
        this.#failures.set(id, `${failed.listener} threw ${failed.error.message}`);
    }
  }
}

/** An event a command handler emitted, held until the command is decided. */
interface QueuedEmit {
  readonly type: AnyEventType;
  readonly entity: string;
  readonly data: unknown;
}

/** A command decided in the running tick whose events are still queued (see Mediator#queued). */
interface QueuedCommand {
  /** The seq its events start at. */
  readonly end: number;
  readonly event: Envelope;
  readonly tick: number;
  readonly at: number;
  readonly emitted: readonly QueuedEmit[];
  readonly decision: DataOf<typeof CommandDecided>;
}

/** The command handler's context: reads go to the tick, emits wait for the decision. */
class CommandRun<S extends object> implements CommandContext<S, string> {
  readonly #ctx: ListenerContext<S>;
  readonly #state: Immutable<S>;
  readonly #emits: QueuedEmit[] = [];
  #open = true;

  readonly #drafted: boolean;

  /** `state`: what the command is decided on (the tick's, or with earlier commands' events). */
  constructor(ctx: ListenerContext<S>, state: Immutable<S>) {
    this.#ctx = ctx;
    this.#state = state;
    this.#drafted = state !== ctx.state;
  }

  /** The events the handler emitted, in order. */
  get emitted(): readonly QueuedEmit[] {
    return this.#emits;
  }

  emit<E extends AnyEventType>(type: E, entity: string, data: DataOf<E>): void {
    this.#check('emit');
    this.#emits.push({ type, entity, data });
  }

  create(): string {
    this.#check('create');
    return this.#ctx.create();
  }

  get state(): Immutable<S> {
    this.#check('state');
    return this.#state;
  }

  query(...components: readonly Component[]): readonly string[] {
    this.#check('query');
    if (!this.#drafted) return this.#ctx.query(...components);
    // A draft with earlier commands' events: asked of it, uncached (the draft is extended in
    // place from one command to the next, so its tables keep their identity as they change).
    return new Queries().query(this.#state, components);
  }

  version(entity: string): number {
    this.#check('version');
    return versionIn(this.#state, entity);
  }

  get now(): number {
    return this.#ctx.now;
  }

  random(): number {
    this.#check('random');
    return this.#ctx.random();
  }

  reject(reason: string, message: string, details: Record<string, unknown> = {}): Rejection {
    return new Rejection(reason, message, details);
  }

  close(): void {
    this.#open = false;
  }

  /** Emits the held events through the listener's context; returns the entities touched. */
  flush(ctx: ListenerContext<object>): (readonly [string, number])[] {
    const counts = new Map<string, number>();
    for (const e of this.#emits) {
      ctx.emit(e.type, e.entity, e.data);
      counts.set(e.entity, (counts.get(e.entity) ?? 0) + 1);
    }
    return [...counts];
  }

  #check(what: string): void {
    if (!this.#open) {
      throw new CausewayError(
        ErrorCodes.AsyncListener,
        `A command handler called ctx.${what}() after it returned. Handlers are synchronous: decide from state, emit, and return.`,
        { call: what },
      );
    }
  }
}

/** A saga reaction's context over its listener's context. */
class SagaRun<S extends object> implements SagaContext<S> {
  readonly #ctx: ListenerContext<S>;
  #open = true;

  constructor(ctx: ListenerContext<S>) {
    this.#ctx = ctx;
  }

  send<C extends AnyCommandType>(
    type: C,
    entity: string,
    payload: PayloadOf<C>,
    options: { readonly expectedVersion?: number } = {},
  ): string {
    this.#check('send');
    const id = this.#ctx.create();
    const data: CommandData<PayloadOf<C>> = {
      id,
      payload,
      expectedVersion: options.expectedVersion ?? null,
    };
    // A version that is not one would be compared as it is: every such command stale.
    checkCommandData(
      type.name,
      data,
      `Give ctx.send(${type.name}, entity, payload, { expectedVersion }) a version read from ctx.state, or leave it out; the saga's reaction sent nothing.`,
    );
    this.#ctx.emit(type.event, entity, data as DataOf<C['event']>);
    return id;
  }

  schedule<E extends AnyEventType>(
    delayMs: number,
    type: E,
    entity: string,
    data: DataOf<E>,
  ): string {
    this.#check('schedule');
    return this.#ctx.schedule(delayMs, type, entity, data);
  }

  cancel(timer: string): boolean {
    this.#check('cancel');
    return this.#ctx.cancel(timer);
  }

  emit<E extends AnyEventType>(type: E, entity: string, data: DataOf<E>): void {
    this.#check('emit');
    this.#ctx.emit(type, entity, data);
  }

  create(): string {
    this.#check('create');
    return this.#ctx.create();
  }

  get state(): Immutable<S> {
    return this.#ctx.state;
  }

  get now(): number {
    return this.#ctx.now;
  }

  random(): number {
    this.#check('random');
    return this.#ctx.random();
  }

  close(): void {
    this.#open = false;
  }

  #check(what: string): void {
    if (!this.#open) {
      throw new CausewayError(
        ErrorCodes.AsyncListener,
        `A saga reaction called ctx.${what}() after it returned. Reactions are synchronous.`,
        { call: what },
      );
    }
  }
}

function isCommandShaped(cmd: unknown): cmd is Command {
  if (typeof cmd !== 'object' || cmd === null) return false;
  const type = (cmd as { type?: unknown }).type;
  return (
    typeof type === 'object' &&
    type !== null &&
    typeof (type as { name?: unknown }).name === 'string'
  );
}

/** Refuses what is not a saga made by defineSaga (a saga's name is read before anything). */
function checkSaga(saga: unknown): void {
  if (
    typeof saga !== 'object' ||
    saga === null ||
    typeof (saga as { name?: unknown }).name !== 'string' ||
    !Array.isArray((saga as { steps?: unknown }).steps)
  ) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `A saga is made by defineSaga(name).on(...), got ${describe(saga)}.`,
      {},
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return Array.isArray(value) ? 'an array' : 'an object without a command type';
}

// The same sender retrying: the in-flight send answers it.
function sameSender(a: Command, b: Command): boolean {
  return a.type === b.type && a.entity === b.entity && a.actor === b.actor;
}

// A command id names one command: another command under it is a client's mistake, or a forgery.
function checkSameCommand(cmd: Command, decided: DecidedCommand): void {
  if (decided.type === cmd.type.name && decided.entity === cmd.entity) return;
  throw new CausewayError(
    ErrorCodes.InvalidCommand,
    `Command id ${cmd.id} was used by another command ("${decided.type}"${decided.type === cmd.type.name ? ' about another entity' : ''}), so this "${cmd.type.name}" about entity ${cmd.entity} was not sent. Make a new id with newEntityId() for every command, and reuse one only to retry the same command.`,
    { command: cmd.type.name, id: cmd.id, usedBy: decided.type },
  );
}

function refusal(cmd: Command, err: unknown): unknown {
  if (!isCausewayError(err) || !inputRefusals.has(err.code)) return err;
  return new CommandRejected(
    err.code,
    err.code,
    cmd.type.name,
    cmd.id,
    `Command "${cmd.type.name}" (${cmd.id}) was refused: ${err.message}`,
    { ...err.details },
    { cause: err },
  );
}

/** The envelope type a saga or projection sees for a command's input. */
export type CommandEnvelope<C extends AnyCommandType> = Envelope<C['event']>;
