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
export { assertPlainData } from './payload.ts';
