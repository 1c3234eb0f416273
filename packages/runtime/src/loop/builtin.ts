import { defineEvent } from '../events/event-type.ts';

/** Failure policies: what the system does when a listener throws. */
export type FailurePolicy = 'isolate' | 'halt' | 'dead-letter';

/** Payload of {@link ListenerFailed}. */
export interface ListenerFailedData {
  /** The listener's name. */
  readonly listener: string;
  /** Id, seq and type of the event the listener was handling. */
  readonly event: { readonly id: string; readonly seq: number; readonly type: string };
  /** The error's name, message and Causeway code if it had one; never its stack. */
  readonly error: { readonly name: string; readonly message: string; readonly code: string | null };
  /** The policy in force: `isolate` or `dead-letter` (a `halt` never commits). */
  readonly policy: FailurePolicy;
}

/**
 * Recorded when a listener throws (or returns a Promise). Everything the listener emitted in
 * that run was discarded. About the same entity as the event the listener was handling.
 */
export const ListenerFailed = defineEvent<ListenerFailedData, 'causeway.ListenerFailed'>(
  'causeway.ListenerFailed',
  {
    entity: 'existing',
  },
);

/** Payload of {@link EntityAccessGranted}. */
export interface EntityAccessGrantedData {
  /** The actor that may now send inputs about the entity. */
  readonly to: string;
}

/** An input by an entity's owner that lets another actor send inputs about the entity. */
export const EntityAccessGranted = defineEvent<
  EntityAccessGrantedData,
  'causeway.EntityAccessGranted'
>('causeway.EntityAccessGranted', { entity: 'existing' });

/** Payload of {@link TimerScheduled}. */
export interface TimerScheduledData {
  /** When the timer fires (the first tick whose time is at least this fires it). */
  readonly due: number;
  /** The event it will emit. */
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  /** The actor of the input at the root of the chain (owner of entities the timer creates). */
  readonly rootActor: string;
}

/**
 * Recorded when a listener calls `ctx.schedule`. The timer's id is this event's id; when it
 * fires, the emitted event's causation is this event. About the entity the timer's event is about.
 */
export const TimerScheduled = defineEvent<TimerScheduledData, 'causeway.TimerScheduled'>(
  'causeway.TimerScheduled',
  {
    entity: 'existing',
  },
);

/** Payload of {@link TimerCancelled}. */
export interface TimerCancelledData {
  /** Id of the `TimerScheduled` event of the cancelled timer. */
  readonly timer: string;
}

/** Recorded when a listener calls `ctx.cancel(timer)` on a pending timer. */
export const TimerCancelled = defineEvent<TimerCancelledData, 'causeway.TimerCancelled'>(
  'causeway.TimerCancelled',
  {
    entity: 'existing',
  },
);

/** Payload of {@link InputRejected}. */
export interface InputRejectedData {
  readonly type: string;
  readonly code: string;
  readonly message: string;
}

/**
 * Recorded in place of an input that was valid when accepted but broke an entity rule by the
 * time its tick ran (another input or a listener created or changed the entity in between).
 */
export const InputRejected = defineEvent<InputRejectedData, 'causeway.InputRejected'>(
  'causeway.InputRejected',
  {
    entity: 'existing',
  },
);

/** Payload of {@link InputDiscarded}. */
export interface InputDiscardedData {
  /** The number of the journaled input the operator rejected. */
  readonly ino: number;
  /** Why, in the operator's words. */
  readonly reason: string;
}

/**
 * An operator's decision, journaled as an input (`system.rejectJournaledInput`, or
 * `causeway store reject-input`): the journaled input `ino`, not yet run, is not run. In the
 * tick that takes both, that input is recorded as `causeway.InputRejected` with code
 * `CW_INPUT_DISCARDED`, and this event follows, so the log says what was done and why.
 */
export const InputDiscarded = defineEvent<InputDiscardedData, 'causeway.InputDiscarded'>(
  'causeway.InputDiscarded',
  { entity: 'existing' },
);

/** The event types every system knows. */
export const builtinEventTypes = [
  ListenerFailed,
  EntityAccessGranted,
  TimerScheduled,
  TimerCancelled,
  InputRejected,
  InputDiscarded,
] as const;
