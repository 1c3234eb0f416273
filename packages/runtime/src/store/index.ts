export type {
  EventQuery,
  EventStore,
  InputRecord,
  JournalOptions,
  LogHeader,
  Page,
  Snapshot,
  TickCommit,
  Unwatch,
} from './port.ts';
export { MemoryStore, resetMemoryStores } from './memory-store.ts';
export type { MemoryStoreOptions } from './memory-store.ts';
export {
  checkCommit,
  checkHeader,
  checkJournal,
  checkLimit,
  checkNewHeader,
  checkSnapshot,
  DEFAULT_PAGE,
  MAX_PAGE,
  normalisePosition,
  normaliseQuery,
  ownCommit,
  ownEvents,
  ownInputs,
  ownSnapshot,
  storeClosed,
  storeNotOpen,
  storeReadOnly,
} from './rules.ts';
export {
  CODEC_MAX_DEPTH,
  commitFromTuple,
  commitToTuple,
  decodeEnvelope,
  decodeValue,
  encodeEnvelope,
  encodeValue,
  ENVELOPE_FIELDS,
  ENVELOPE_LAYOUT,
  envelopeFromTuple,
  envelopeToTuple,
  inputFromTuple,
  inputToTuple,
  isLogHeader,
} from './codec.ts';
export type { EnvelopeField } from './codec.ts';
export { committedPages } from './committed.ts';
export type { CommittedPage } from './committed.ts';
export { SecondaryIndex } from './secondary-index.ts';
export type { IndexedEvent, IndexQuery } from './secondary-index.ts';
