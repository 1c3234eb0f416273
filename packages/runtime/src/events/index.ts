export { defineEvent, upcastData } from './event-type.ts';
export type {
  AnyEventType,
  DataOf,
  DefineEventOptions,
  EntityRule,
  EventType,
  NameOf,
  Upcaster,
} from './event-type.ts';
export type { Envelope, EventEnvelope, StoredEnvelope } from './envelope.ts';
export {
  assertPlainData,
  DEFAULT_PAYLOAD_LIMITS,
  MAX_PAYLOAD_LIMITS,
  payloadLimits,
} from './payload.ts';
export type { PayloadLimits } from './payload.ts';
