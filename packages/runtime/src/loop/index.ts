export { EventSystem, systemInternals } from './system.ts';
export type { DeadLetter, EventSystemOptions, SystemInternals, TickOptions } from './system.ts';
export type { RunGuard, Timer } from './core.ts';
export type { EntityRecord } from './entity-rules.ts';
export {
  builtinEventTypes,
  EntityAccessGranted,
  InputDiscarded,
  InputRejected,
  ListenerFailed,
  TimerCancelled,
  TimerScheduled,
} from './builtin.ts';
export type {
  EntityAccessGrantedData,
  FailurePolicy,
  InputDiscardedData,
  InputRejectedData,
  ListenerFailedData,
  TimerCancelledData,
  TimerScheduledData,
} from './builtin.ts';
export { input } from './types.ts';
export { journalInputRejection, OPERATOR_ACTOR } from './input-rejection.ts';
export type {
  Activity,
  Applier,
  EventPatches,
  Input,
  Listener,
  ListenerContext,
  ListenerFn,
  ListenerObject,
  TickFailure,
  TickResult,
  TickSystem,
} from './types.ts';
