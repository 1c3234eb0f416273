/**
 * `@causeway/runtime/cqrs`: the CQRS layer on top of the loop, for application authors who
 * decide commands, answer queries from read models and run sagas, and for adapters built on
 * it (GraphQL, NATS, the Postgres read model).
 *
 * Commands are the inputs clients send: each has one handler that decides inside a tick
 * (`defineCommand`, `Mediator.send`). Queries read projections: inline ones kept in state,
 * catch-up ones built from the log into their own store (`CatchUpProjection`). Sagas are
 * process managers keyed by correlation. `LogFollower`, which catch-up projections and the
 * NATS outbox relay are built on, reads the committed log in order from a position its owner
 * keeps, for any consumer outside the loop.
 *
 * An application that drives the loop with plain inputs and listeners needs none of this:
 * `@causeway/runtime` is enough.
 *
 * @packageDocumentation
 */
export {
  command,
  commandInput,
  CommandRejected,
  defineCommand,
  isCommandRejected,
  Rejection,
} from './command.ts';
export type {
  AnyCommandType,
  Command,
  CommandContext,
  CommandData,
  CommandHandler,
  CommandMessage,
  CommandOptions,
  CommandOutcome,
  CommandType,
  DefineCommandOptions,
  PayloadOf,
  ReasonOf,
  ResultOf,
} from './command.ts';
export { defineQuery } from './query.ts';
export type {
  AnyQueryType,
  ParamsOf,
  QueryContext,
  QueryHandler,
  QueryResultOf,
  QueryType,
} from './query.ts';
export { defineSaga, SagaDefinition } from './saga.ts';
export type { SagaContext, SagaReaction, SagaStep } from './saga.ts';
export { CommandDecided, shardOf, SAGAS_TABLE, SagaStepped, VERSIONS_TABLE } from './records.ts';
export type { CommandDecidedData, CqrsTables, DecidedCommand, SagaSteppedData } from './records.ts';
export { Mediator } from './mediator.ts';
export type { CommandEnvelope, MediatorOptions } from './mediator.ts';
export {
  CatchUpProjection,
  defineProjection,
  MemoryReadModel,
  ProjectionDefinition,
  projectInline,
} from './projection.ts';
export type {
  CatchUpOptions,
  MemoryTransaction,
  ProjectionHandler,
  ProjectionStatus,
  ProjectionTarget,
} from './projection.ts';
export { LogFollower } from './log-follower.ts';
export type { LogFollowerOptions, LogFollowerState, LogPageHandler } from './log-follower.ts';
