export { EventSystem, systemInternals } from './system.ts';
export type { DeadLetter, EventSystemOptions, SystemInternals, TickOptions } from './system.ts';
export type { EntityRecord, RunGuard, Timer } from './core.ts';
export {
  builtinEventTypes,
  EntityAccessGranted,
  InputRejected,
  ListenerFailed,
  TimerCancelled,
  TimerScheduled,
} from './builtin.ts';
export type {
  EntityAccessGrantedData,
  FailurePolicy,
  InputRejectedData,
  ListenerFailedData,
  TimerCancelledData,
  TimerScheduledData,
} from './builtin.ts';
export { input } from './types.ts';
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
