/**
 * `@causeway/adapters/nats`: an outbox relay of a system's public events to NATS JetStream
 * (deduplicated by event id, durable position) and an inbox that feeds a durable JetStream
 * consumer into a mediator's commands, acknowledging after commit. Only this entry loads the
 * NATS client: it needs the optional peers `@nats-io/transport-node`, `@nats-io/jetstream` and
 * `@nats-io/kv` installed.
 *
 * @packageDocumentation
 */
export { CommandInbox, commandDecoder, encodeCommand } from './inbox.ts';
export type {
  CommandInboxOptions,
  CommandInboxStatus,
  CommandMessage,
  CommandTarget,
  InboxDecoder,
} from './inbox.ts';
export {
  decodeEvent,
  defaultEventSubject,
  encodeEvent,
  OutboxRelay,
  SeqHeader,
  TypeHeader,
} from './relay.ts';
export type { OutboxRelayOptions, OutboxRelayStatus } from './relay.ts';
export { ensureEventStream } from './stream.ts';
export type { EventStreamOptions } from './stream.ts';
