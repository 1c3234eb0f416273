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

export { assertPlainData, defineEvent, upcastData } from './events/index.ts';
export type {
  AnyEventType,
  DataOf,
  DefineEventOptions,
  EntityRule,
  Envelope,
  EventType,
  NameOf,
  StoredEnvelope,
  Upcaster,
} from './events/index.ts';

export {
  checkCommit,
  checkHeader,
  checkJournal,
  checkLimit,
  commitFromTuple,
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
  storeClosed,
  storeReadOnly,
} from './store/index.ts';
export type {
  EventQuery,
  EventStore,
  InputRecord,
  LogHeader,
  MemoryStoreOptions,
  Page,
  Snapshot,
  TickCommit,
  Unwatch,
} from './store/index.ts';
