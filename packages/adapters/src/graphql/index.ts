/**
 * `@causeway/adapters/graphql`: a GraphQL schema kit over a mediator's commands and read models
 * (Relay connections, command mutations, live subscriptions) and a server on `node:http` with
 * graphql-http and graphql-sse, authenticated with JWTs (jose), with depth and cost limits.
 * Only this entry loads graphql.
 *
 * @packageDocumentation
 */
export { TokenVerifier } from './auth.ts';
export type { GraphqlAuth, Principal, PublicKeyAuth, SecretAuth } from './auth.ts';
export { commandField, committedEvents, eventSubscription, toGraphqlError } from './fields.ts';
export type {
  CommandFieldOptions,
  CommittedEventsOptions,
  EventSubscriptionOptions,
  GraphqlContext,
} from './fields.ts';
export { measure, queryLimitsRule } from './limits.ts';
export type { QueryLimits } from './limits.ts';
export { connectionArgs, connectionType, cursorOf, PageInfoType, toConnection } from './relay.ts';
export type { Connection, ConnectionArgs } from './relay.ts';
export { graphqlRequestListener, serveGraphql } from './server.ts';
export type { GraphqlServer, GraphqlServerOptions } from './server.ts';
