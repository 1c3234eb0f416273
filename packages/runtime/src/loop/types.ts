import type { Immutable, Patch } from 'immer';
import type { CausewayError } from '../errors/index.ts';
import type { AnyEventType, DataOf } from '../events/event-type.ts';
import type { Envelope } from '../events/envelope.ts';
import type { Component } from '../state/component.ts';
import type { TickCommit } from '../store/port.ts';

/**
 * What a listener gets: a scoped child queue that can only emit, and read-only facts of the
 * tick. It has no way to the system's queue (no pop, clear, reorder or read).
 */
export interface ListenerContext<S extends object = Record<string, unknown>> {
  /**
   * Emits an event about `entity`. It joins the queue when the listener returns, and is
   * discarded if the listener throws.
   * @throws CausewayError for an unregistered type, a payload that is not plain data, or an
   *   entity rule broken (`CW_ENTITY_EXISTS`, `CW_ENTITY_NOT_FOUND`, `CW_INVALID_ENTITY_ID`).
   */
  emit<E extends AnyEventType>(type: E, entity: string, data: DataOf<E>): void;
  /** A new, deterministic entity id (UUIDv7) for an `entity: 'new'` event. */
  create(): string;
  /**
   * Schedules `type` to be emitted about `entity` once `delayMs` of logical time have passed:
   * in the first tick whose time is at least `ctx.now + delayMs`. Returns the timer's id.
   * @throws CausewayError `CW_INVALID_ARGUMENT` for a delay that is negative, not finite, or
   *   puts the timer after `2 ** 48 - 1`, the latest tick time (no tick could fire it); as `emit`, for
   *   the type, the payload and the entity id.
   */
  schedule<E extends AnyEventType>(
    delayMs: number,
    type: E,
    entity: string,
    data: DataOf<E>,
  ): string;
  /** Cancels a pending timer by id. Returns false when no such timer is pending. */
  cancel(timer: string): boolean;
  /**
   * The state, including the event being handled. Read-only: during a tick a write through it
   * throws a `TypeError` (change the state in an applier).
   */
  readonly state: Immutable<S>;
  /** Entities having all of the given components, sorted by id. */
  query(...components: readonly Component[]): readonly string[];
  /** The tick's logical time, epoch milliseconds UTC. */
  readonly now: number;
  /** The tick number. */
  readonly tick: number;
  /** A deterministic float in [0, 1) from the tick's seeded PRNG. */
  random(): number;
}

/** A function listener. */
export type ListenerFn<E extends AnyEventType, S extends object = Record<string, unknown>> = (
  event: Envelope<E>,
  ctx: ListenerContext<S>,
) => void;

/** An object listener: its `name` (or its class's name) names it in the log. */
export interface ListenerObject<
  E extends AnyEventType,
  S extends object = Record<string, unknown>,
> {
  readonly name?: string;
  run(event: Envelope<E>, ctx: ListenerContext<S>): void;
}

/** A listener of events of type `E`: a function or an object with `run`. */
export type Listener<E extends AnyEventType, S extends object = Record<string, unknown>> =
  ListenerFn<E, S> | ListenerObject<E, S>;

/** An applier: the only code that changes state. Mutates the draft. */
export type Applier<E extends AnyEventType, S extends object> = (
  draft: S,
  event: Envelope<E>,
) => void;

/** A per-tick system: runs once per tick, in declared order, after the inputs' cascade. */
export type TickSystem<S extends object = Record<string, unknown>> = (
  ctx: ListenerContext<S>,
) => void;

/** An input: an event sent from outside the loop. */
export interface Input<E extends AnyEventType = AnyEventType> {
  readonly type: E;
  readonly entity: string;
  readonly data: DataOf<E>;
  /** Who sends it; owns the entities its `entity: 'new'` inputs create. Default `'anonymous'`. */
  readonly actor?: string;
}

/** Makes a typed {@link Input}. */
export function input<E extends AnyEventType>(
  type: E,
  entity: string,
  data: DataOf<E>,
  actor?: string,
): Input<E> {
  return actor === undefined ? { type, entity, data } : { type, entity, data, actor };
}

/** The immer patches of one event's appliers (recorded when patches are on). */
export interface EventPatches {
  readonly seq: number;
  readonly patches: readonly Patch[];
  readonly inverse: readonly Patch[];
}

/** One listener failure of a tick, as recorded by its `causeway.ListenerFailed` event. */
export interface TickFailure {
  /** Seq of the `causeway.ListenerFailed` event that records it. */
  readonly seq: number;
  readonly listener: string;
  /** The event the listener was handling (seq 0 and type `(per-tick system)` for a system). */
  readonly event: { readonly id: string; readonly seq: number; readonly type: string };
  readonly error: { readonly name: string; readonly message: string; readonly code: string | null };
  /**
   * True for a program error rather than a failure of the domain: an unregistered type, an
   * invalid payload, a strict-mode catch, a Promise returned (see `EventSystemOptions.mode`).
   */
  readonly programError: boolean;
}

/** What a committed tick produced. */
export interface TickResult {
  readonly commit: TickCommit;
  readonly events: readonly Envelope[];
  /** Per-event patches, when the system records them; otherwise empty. */
  readonly patches: readonly EventPatches[];
  /** The listener failures the tick recorded (isolated or dead-lettered), in log order. */
  readonly failures: readonly TickFailure[];
  /**
   * Set when the tick committed but the snapshot due after it could not be saved. The tick
   * stands; the snapshot is tried again after the next tick (and written on the next open).
   */
  readonly snapshotError?: CausewayError;
  /**
   * What the commit observers (`onCommit`) that threw after this tick threw, in their order.
   * The tick stands: an observer's failure is its own, and the other observers still ran.
   */
  readonly observerErrors?: readonly unknown[];
}

/** One listener run, for the activities meta log (never part of the domain log or hash). */
export interface Activity {
  readonly tick: number;
  readonly seq: number;
  readonly listener: string;
  /** Wall-clock duration in milliseconds. */
  readonly durationMs: number;
  readonly outcome: 'ok' | 'failed';
}
