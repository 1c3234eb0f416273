import type { AnyEventType, DataOf, NameOf } from './event-type.ts';

/**
 * One fact of the log: the eleven fields of docs/architecture.md's envelope table (id, seq, tick,
 * type, version, entity, data, at, causation, correlation, actor). `Envelope<typeof FileTagged>`
 * is what a listener of `FileTagged` receives.
 */
// An alias onto an interface over (name, data) rather than an interface over the event type:
// TypeScript measures variance through the interface's own parameters, which keeps an
// envelope of a base payload from passing for one of a richer payload.
export type Envelope<E extends AnyEventType = AnyEventType> = EventEnvelope<NameOf<E>, DataOf<E>>;

/** The envelope of an event named `Name` with payload `Data`; usually written {@link Envelope}. */
export interface EventEnvelope<Name extends string, Data> {
  /** UUIDv7 of this event, generated deterministically from the tick's time and the seeded PRNG. */
  readonly id: string;
  /** Position in the log, gap-free from 1, assigned at append. */
  readonly seq: number;
  /** The tick in which the event was processed (1-based). */
  readonly tick: number;
  /** The event type's name. */
  readonly type: Name;
  /** The payload's schema version (after upcasting on read: the current version). */
  readonly version: number;
  /** UUIDv7 of the entity the event is about. */
  readonly entity: string;
  /** The payload: plain msgpack-able data. */
  readonly data: Data;
  /** Epoch milliseconds (UTC) of the tick, from the system's logical clock. */
  readonly at: number;
  /** Id of the event whose listener emitted this one; `null` for an input. */
  readonly causation: string | null;
  /** Id of the root input of this causal chain (an input's own id). */
  readonly correlation: string;
  /** Who emitted it: the input's source, or the listener's name. */
  readonly actor: string;
}

/** An envelope as read from a store: its type is known only by name. */
export type StoredEnvelope = Envelope<AnyEventType>;
