/**
 * `@causeway/runtime/store-kit`: for authors of store adapters, not for applications.
 *
 * What every `EventStore` implementation shares so that all stores behave alike: the port's
 * invariant checks (journal, commit, header, page limits), the errors a store throws, the
 * msgpack codec of envelopes, inputs and commits (the field order every store writes), and
 * the secondary index behind filtered reads. `@causeway/adapters` is built on it. An
 * application never needs these names; they may change in any minor version, with the store
 * conformance suite as their contract.
 *
 * @packageDocumentation
 */
export {
  checkCommit,
  checkHeader,
  checkJournal,
  checkLimit,
  checkNewHeader,
  checkSnapshot,
  CODEC_MAX_DEPTH,
  commitFromTuple,
  commitToTuple,
  decodeEnvelope,
  decodeValue,
  DEFAULT_PAGE,
  encodeEnvelope,
  encodeValue,
  ENVELOPE_FIELDS,
  ENVELOPE_LAYOUT,
  envelopeFromTuple,
  envelopeToTuple,
  inputFromTuple,
  inputToTuple,
  isLogHeader,
  MAX_PAGE,
  normalisePosition,
  normaliseQuery,
  ownCommit,
  ownEvents,
  ownInputs,
  ownSnapshot,
  SecondaryIndex,
  storeClosed,
  storeNotOpen,
  storeReadOnly,
} from './store/index.ts';
export type { IndexedEvent, IndexQuery } from './store/index.ts';
export type { EnvelopeField } from './store/index.ts';
export { StoreCorruptedError, StoreLockedError } from './errors/index.ts';
