/**
 * `@causeway/runtime`: the deterministic event loop. Every public name is listed here;
 * anything not exported from this file is internal.
 *
 * @packageDocumentation
 */
export {
  CausewayError,
  CascadeLimitError,
  EntityRuleError,
  ErrorCodes,
  InvalidEntityIdError,
  InvalidPayloadError,
  isCausewayError,
  NondeterminismError,
  StoreCorruptedError,
  StoreLockedError,
} from './errors/index.ts';
export type { ErrorCode } from './errors/index.ts';

export {
  assertPlainData,
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

export {
  checkCommit,
  checkHeader,
  checkJournal,
  checkLimit,
  CODEC_MAX_DEPTH,
  commitFromTuple,
  committedPages,
  commitToTuple,
  decodeEnvelope,
  decodeValue,
  DEFAULT_PAGE,
  encodeEnvelope,
  encodeValue,
  envelopeFromTuple,
  envelopeToTuple,
  inputFromTuple,
  inputToTuple,
  isLogHeader,
  MAX_PAGE,
  MemoryStore,
  normaliseQuery,
  resetMemoryStores,
  SecondaryIndex,
  storeClosed,
  storeReadOnly,
} from './store/index.ts';
export type {
  CommittedPage,
  EventQuery,
  IndexedEvent,
  IndexQuery,
  EventStore,
  InputRecord,
  LogHeader,
  MemoryStoreOptions,
  Page,
  Snapshot,
  TickCommit,
  Unwatch,
} from './store/index.ts';

export {
  builtinEventTypes,
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
  commitFields,
  diffValues,
  envelopeFields,
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

export {
  isStrictActive,
  observeStrictViolations,
  setStrictByDefault,
  strictGuard,
  strictly,
} from './strict/index.ts';
export type { StrictViolation } from './strict/index.ts';

export { defineComponent, hashState, hashValue, Queries, StateHasher } from './state/index.ts';
export type { Component, Table, ValueOf } from './state/index.ts';

export { assertEntityId, isUuidV7, newEntityId, TickIds, uuidV7Time } from './ids/index.ts';
export { isValidSeed, TickRandom } from './random/index.ts';
export { wallClock } from './clock/index.ts';
export type { Clock } from './clock/index.ts';

export {
  CatchUpProjection,
  command,
  commandInput,
  CommandDecided,
  CommandRejected,
  shardOf,
  defineCommand,
  defineProjection,
  defineQuery,
  defineSaga,
  isCommandRejected,
  Mediator,
  MemoryReadModel,
  ProjectionDefinition,
  projectInline,
  Rejection,
  SAGAS_TABLE,
  SagaDefinition,
  SagaStepped,
  VERSIONS_TABLE,
} from './cqrs/index.ts';
export type {
  AnyCommandType,
  AnyQueryType,
  CatchUpOptions,
  Command,
  CommandContext,
  CommandData,
  CommandDecidedData,
  CommandEnvelope,
  CommandHandler,
  CommandMessage,
  CommandOptions,
  CommandOutcome,
  CommandType,
  CqrsTables,
  DecidedCommand,
  DefineCommandOptions,
  MediatorOptions,
  MemoryTransaction,
  ParamsOf,
  PayloadOf,
  ProjectionHandler,
  ProjectionStatus,
  ProjectionTarget,
  QueryContext,
  QueryHandler,
  QueryResultOf,
  QueryType,
  ReasonOf,
  ResultOf,
  SagaContext,
  SagaReaction,
  SagaStep,
  SagaSteppedData,
} from './cqrs/index.ts';
