import type { Immutable } from 'immer';
import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { AnyEventType, DataOf } from '../events/event-type.ts';
import type { Envelope } from '../events/envelope.ts';
import type { Component } from '../state/component.ts';
import type { ListenerContext } from './types.ts';

/**
 * What a context needs from the loop. Implemented by the loop's core; a context holds it in a
 * private field, so a listener has no path from `ctx` to the queue.
 */
export interface LoopPort {
  emitFrom(
    cause: Envelope | null,
    actor: string,
    type: AnyEventType,
    entity: string,
    data: unknown,
  ): void;
  createId(): string;
  scheduleFrom(
    cause: Envelope,
    actor: string,
    delayMs: number,
    type: AnyEventType,
    entity: string,
    data: unknown,
  ): string;
  cancelFrom(cause: Envelope, actor: string, timer: string): boolean;
  readState(): unknown;
  query(components: readonly Component[]): readonly string[];
  random(): number;
  readonly now: number;
  readonly tick: number;
  /** The seq the next event pushed on the tick's queue gets. */
  nextSeq(): number;
  /** The state as the tick's appliers left it so far, in committed form (see StateDraft.current). */
  currentState(): object;
  /** Whether the system has an applier for event type `type`. */
  applies(type: string): boolean;
}

/**
 * The loop behind a listener's context, for the runtime's own layers (the CQRS mediator);
 * undefined for anything else. Not exported from the package: a listener has no path to it.
 */
export function portOf(ctx: object): LoopPort | undefined {
  return readPort(ctx);
}

// Set by RunContext's static block, which alone can read its private field.
let readPort: (ctx: object) => LoopPort | undefined = () => undefined;

/**
 * The scoped child queue of one listener run. It can emit and read; once the run is over it
 * refuses every call, so a listener that kept `ctx` (or returned a Promise) cannot emit later.
 */
export class RunContext<S extends object> implements ListenerContext<S> {
  readonly #loop: LoopPort;
  readonly #cause: Envelope | null;
  readonly #actor: string;
  #open = true;

  constructor(loop: LoopPort, cause: Envelope | null, actor: string) {
    this.#loop = loop;
    this.#cause = cause;
    this.#actor = actor;
  }

  static {
    readPort = (ctx) => (#loop in ctx ? (ctx as RunContext<object>).#loop : undefined);
  }

  emit<E extends AnyEventType>(type: E, entity: string, data: DataOf<E>): void {
    this.#check('emit');
    this.#loop.emitFrom(this.#cause, this.#actor, type, entity, data);
  }

  create(): string {
    this.#check('create');
    return this.#loop.createId();
  }

  schedule<E extends AnyEventType>(
    delayMs: number,
    type: E,
    entity: string,
    data: DataOf<E>,
  ): string {
    this.#check('schedule');
    if (this.#cause === null) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `${this.#actor} is a per-tick system and has no event to hang a timer on; schedule timers from event listeners.`,
        { actor: this.#actor },
      );
    }
    return this.#loop.scheduleFrom(this.#cause, this.#actor, delayMs, type, entity, data);
  }

  cancel(timer: string): boolean {
    this.#check('cancel');
    if (this.#cause === null) return false;
    return this.#loop.cancelFrom(this.#cause, this.#actor, timer);
  }

  get state(): Immutable<S> {
    this.#check('state');
    return this.#loop.readState() as Immutable<S>;
  }

  query(...components: readonly Component[]): readonly string[] {
    this.#check('query');
    return this.#loop.query(components);
  }

  get now(): number {
    return this.#loop.now;
  }

  get tick(): number {
    return this.#loop.tick;
  }

  random(): number {
    this.#check('random');
    return this.#loop.random();
  }

  /** Ends the run: every later call throws. */
  close(): void {
    this.#open = false;
  }

  #check(what: string): void {
    if (!this.#open) {
      throw new CausewayError(
        ErrorCodes.AsyncListener,
        `${this.#actor} ${what === 'state' ? 'read ctx.state' : `called ctx.${what}()`} after its run ended. Listeners are synchronous: do async work in an effect outside the loop and send its result back as an input.`,
        { listener: this.#actor, call: what },
      );
    }
  }
}
