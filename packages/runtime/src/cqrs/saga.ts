import type { Immutable } from 'immer';
import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { AnyEventType, DataOf } from '../events/event-type.ts';
import type { Envelope } from '../events/envelope.ts';
import { assertEventType } from '../loop/core.ts';
import type { AnyCommandType, PayloadOf } from './command.ts';

/**
 * What a saga's reaction can do: send commands (decided later in the same tick), schedule
 * timers (logical time, recorded as events, so they survive restarts) and read state.
 */
export interface SagaContext<S extends object> {
  /**
   * Sends a command from the saga: it is decided in this tick, after the current event, and
   * its outcome is recorded like any command's (`causeway.CommandDecided`). Returns its id.
   */
  send<C extends AnyCommandType>(
    type: C,
    entity: string,
    payload: PayloadOf<C>,
    options?: { readonly expectedVersion?: number },
  ): string;
  /** Schedules `type` about `entity` after `delayMs` of logical time. Returns the timer's id. */
  schedule<E extends AnyEventType>(
    delayMs: number,
    type: E,
    entity: string,
    data: DataOf<E>,
  ): string;
  /** Cancels a pending timer; false when it is not pending. */
  cancel(timer: string): boolean;
  /** Emits an event directly (for facts only the saga states, such as its own timeouts). */
  emit<E extends AnyEventType>(type: E, entity: string, data: DataOf<E>): void;
  /** A new, deterministic entity id (UUIDv7). */
  create(): string;
  /** The system's state, read-only. */
  readonly state: Immutable<S>;
  /** The tick's logical time. */
  readonly now: number;
  /** A deterministic float in [0, 1). */
  random(): number;
}

/**
 * A saga's reaction to one event: given the instance's state (undefined before it started),
 * returns its next state, `null` when the instance is finished (its state is dropped), or
 * nothing to leave it unchanged.
 */
export type SagaReaction<E extends AnyEventType, State, S extends object> = (
  state: State | undefined,
  event: Envelope<E>,
  ctx: SagaContext<S>,
) => State | null | void;

/** One reaction of a saga: the event type, how to find the instance, what to do. */
export interface SagaStep<State, S extends object> {
  readonly type: AnyEventType;
  readonly key: (event: Envelope) => string | null;
  readonly react: SagaReaction<AnyEventType, State, S>;
}

/**
 * A process manager: state keyed by a correlation key, reactions to events that send commands
 * and schedule timers. Made by {@link defineSaga}; bound with `mediator.saga(definition)`.
 */
export class SagaDefinition<State, S extends object = Record<string, unknown>> {
  readonly #steps: SagaStep<State, S>[] = [];

  constructor(readonly name: string) {}

  /** The reactions, in declaration order. */
  get steps(): readonly SagaStep<State, S>[] {
    return this.#steps;
  }

  /**
   * Reacts to `type`. `key` names the instance the event belongs to (an order id, a
   * correlation id…), or null when the event concerns no instance.
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` when `type` is not an event type or `key` or
   *   `react` is not a function, `CW_DUPLICATE_HANDLER` when the saga reacts to `type` already.
   */
  on<E extends AnyEventType>(
    type: E,
    key: (event: Envelope<E>) => string | null,
    react: SagaReaction<E, State, S>,
  ): this {
    assertEventType(type);
    if (typeof key !== 'function' || typeof react !== 'function') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Saga "${this.name}" reacts to "${type.name}" with a key function and a reaction function, got a ${typeof key} and a ${typeof react}.`,
        { saga: this.name, type: type.name },
      );
    }
    if (this.#steps.some((s) => s.type.name === type.name)) {
      throw new CausewayError(
        ErrorCodes.DuplicateHandler,
        `Saga "${this.name}" already reacts to "${type.name}"; give each event type one reaction.`,
        { saga: this.name, type: type.name },
      );
    }
    this.#steps.push({
      type,
      key: key as (event: Envelope) => string | null,
      react: react,
    });
    return this;
  }
}

/**
 * Declares a saga (process manager) whose instances hold `State`.
 *
 * @example
 * ```ts
 * const Checkout = defineSaga<{ timer: string }>('Checkout')
 *   .on(OrderPlaced, (e) => e.entity, (_s, e, ctx) => ({ timer: ctx.schedule(30_000, PaymentTimedOut, e.entity, {}) }))
 *   .on(PaymentTimedOut, (e) => e.entity, (_s, e, ctx) => { ctx.send(CancelOrder, e.entity, {}); return null; });
 * ```
 */
export function defineSaga<State, S extends object = Record<string, unknown>>(
  name: string,
): SagaDefinition<State, S> {
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/.test(name)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `Saga name ${JSON.stringify(name)} is not valid: use 1-128 letters, digits, "_", ".", ":" or "-", starting with a letter.`,
      { name },
    );
  }
  return new SagaDefinition<State, S>(name);
}
