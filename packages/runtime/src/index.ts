/**
 * `@causeway/runtime`: the deterministic event loop, for application authors: events, the
 * loop, state, stores and replay. Every public name is listed here and in docs/api.md; anything
 * not exported from this file (or from `@causeway/runtime/cqrs`, `@causeway/runtime/testing`
 * and `@causeway/runtime/store-kit`) is internal.
 *
 * @packageDocumentation
 */
export { CausewayError, ErrorCodes, isCausewayError } from './errors/index.ts';
export type { ErrorCode } from './errors/index.ts';

export {
  DEFAULT_PAYLOAD_LIMITS,
  defineEvent,
  MAX_PAYLOAD_LIMITS,
  upcastData,
} from './events/index.ts';
export type {
  AnyEventType,
  DataOf,
  DefineEventOptions,
  EntityRule,
  Envelope,
  EventEnvelope,
  EventType,
  NameOf,
  PayloadLimits,
  StoredEnvelope,
  Upcaster,
} from './events/index.ts';

export { MemoryStore } from './store/index.ts';
export type {
  EventQuery,
  EventStore,
  InputRecord,
  JournalOptions,
  LogHeader,
  MemoryStoreOptions,
  Page,
  Snapshot,
  TickCommit,
  Unwatch,
} from './store/index.ts';

export {
  EntityAccessGranted,
  EventSystem,
  input,
  InputDiscarded,
  InputRejected,
  journalInputRejection,
  ListenerFailed,
  OPERATOR_ACTOR,
  systemInternals,
  TimerCancelled,
  TimerScheduled,
} from './loop/index.ts';
export type {
  Activity,
  Applier,
  DeadLetter,
  EntityAccessGrantedData,
  EntityRecord,
  EventPatches,
  EventSystemOptions,
  FailurePolicy,
  Input,
  InputDiscardedData,
  InputRejectedData,
  Listener,
  ListenerContext,
  ListenerFailedData,
  ListenerFn,
  ListenerObject,
  RunGuard,
  SystemInternals,
  TickFailure,
  TickOptions,
  TickResult,
  TickSystem,
  Timer,
  TimerCancelledData,
  TimerScheduledData,
} from './loop/index.ts';

export {
  assertNoDivergence,
  firstDivergence,
  formatDivergence,
  rebuild,
  reexecute,
} from './replay/index.ts';
export type {
  CommitField,
  Divergence,
  DivergenceCheck,
  DivergenceOptions,
  DivergenceReason,
  EnvelopeField,
  EventDifference,
  LogSource,
  MakeSystem,
  PathDifference,
  RebuildOptions,
  Rebuilt,
  StateComparison,
} from './replay/index.ts';

export { defineComponent, hashState, Queries } from './state/index.ts';
export type { Component, Table, ValueOf } from './state/index.ts';

export { isUuidV7, newEntityId, uuidV7Time } from './ids/index.ts';
export { wallClock } from './clock/index.ts';
export type { Clock } from './clock/index.ts';
