import {
  GraphQLError,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLOutputType,
} from 'graphql';
import {
  CausewayError,
  ErrorCodes,
  isCausewayError,
  type AnyEventType,
  type Envelope,
  type EventSystem,
} from '@causeway/runtime';
import {
  command,
  isCommandRejected,
  type AnyCommandType,
  type Mediator,
  type PayloadOf,
  type ResultOf,
} from '@causeway/runtime/cqrs';
import type { Principal } from './auth.ts';

/** What every resolver gets: the authenticated principal, the mediator and this request's loaders. */
export interface GraphqlContext<S extends object = Record<string, unknown>, L = unknown> {
  readonly principal: Principal;
  readonly mediator: Mediator<S>;
  /** DataLoaders made for this request only (so batching and caching never cross requests). */
  readonly loaders: L;
}

/**
 * A GraphQL error with a stable `extensions.code`. A Causeway error keeps its code, except an
 * ownership refusal, which becomes `CW_FORBIDDEN` (with the runtime's code as `reason`);
 * anything else is `INTERNAL_SERVER_ERROR` without its message.
 */
export function toGraphqlError(err: unknown): GraphQLError {
  if (err instanceof GraphQLError) return err;
  if (isCausewayError(err)) {
    const reason = isCommandRejected(err) ? err.reason : err.code;
    const code = err.code === ErrorCodes.EntityNotOwned ? ErrorCodes.Forbidden : err.code;
    return new GraphQLError(err.message, { extensions: { code, reason }, originalError: err });
  }
  return new GraphQLError('Internal server error.', {
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

/** Options of {@link commandField}. */
export interface CommandFieldOptions<C extends AnyCommandType, Args, S extends object, L> {
  readonly command: C;
  readonly type: GraphQLOutputType;
  readonly args: GraphQLFieldConfigArgumentMap;
  readonly description?: string;
  /** The entity the command is about. */
  readonly entity: (args: Args, ctx: GraphqlContext<S, L>) => string;
  readonly payload: (args: Args, ctx: GraphqlContext<S, L>) => PayloadOf<C>;
  /** The client's command id (a UUIDv7), so a retried mutation is idempotent. */
  readonly id?: (args: Args) => string | null | undefined;
  /** The entity version the client decided against (optimistic concurrency). */
  readonly expectedVersion?: (args: Args) => number | null | undefined;
  /** Turns the command's result into the field's value. Default: the result itself. */
  readonly resolve?: (result: ResultOf<C>, args: Args, ctx: GraphqlContext<S, L>) => unknown;
}

/**
 * A mutation field that sends a command as the authenticated principal and resolves when its
 * tick commits; a rejection becomes a GraphQL error whose `extensions.code` is the rejection's
 * code (`CW_COMMAND_REJECTED` with the application's `reason`, `CW_STALE_VERSION`,
 * `CW_FORBIDDEN`…).
 */
export function commandField<
  C extends AnyCommandType,
  Args = Record<string, unknown>,
  S extends object = Record<string, unknown>,
  L = unknown,
>(
  options: CommandFieldOptions<C, Args, S, L>,
): GraphQLFieldConfig<unknown, GraphqlContext<S, L>, Args> {
  return {
    type: options.type,
    args: options.args,
    ...(options.description === undefined ? {} : { description: options.description }),
    async resolve(_source, args, ctx) {
      try {
        const id = options.id?.(args) ?? undefined;
        const expectedVersion = options.expectedVersion?.(args) ?? undefined;
        const result = (await ctx.mediator.send(
          command(options.command, options.entity(args, ctx), options.payload(args, ctx), {
            actor: ctx.principal.id,
            ...(id === undefined ? {} : { id }),
            ...(expectedVersion === undefined ? {} : { expectedVersion }),
          }),
        )) as ResultOf<C>;
        return options.resolve === undefined ? result : options.resolve(result, args, ctx);
      } catch (err) {
        throw toGraphqlError(err);
      }
    },
  };
}

/** Options of {@link committedEvents}. */
export interface CommittedEventsOptions {
  /**
   * The most events kept for a reader that has not taken them yet. Past it the iterator ends
   * with `CW_SLOW_CONSUMER` and stops listening, so a subscriber that never reads cannot grow
   * the server's memory without bound. Default 10,000.
   */
  readonly maxQueued?: number;
}

/**
 * The events of `types` as each tick commits them, as an async iterator (for subscriptions).
 * Its `return()` stops listening.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` for a `maxQueued` that is not a positive integer;
 *   its `next()` rejects with `CW_SLOW_CONSUMER` once more than `maxQueued` events wait.
 */
export function committedEvents(
  system: EventSystem<object>,
  types: readonly AnyEventType[],
  options: CommittedEventsOptions = {},
): AsyncIterableIterator<Envelope> {
  const maxQueued = options.maxQueued ?? 10_000;
  if (!Number.isSafeInteger(maxQueued) || maxQueued < 1) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `maxQueued must be a positive integer, got ${String(maxQueued)}.`,
      { maxQueued },
    );
  }
  const names = new Set(types.map((t) => t.name));
  let queue: Envelope[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  let overflow: CausewayError | null = null;
  const off = system.onCommit((result) => {
    if (overflow !== null) return;
    for (const e of result.events) if (names.has(e.type)) queue.push(e);
    if (queue.length > maxQueued) {
      overflow = new CausewayError(
        ErrorCodes.SlowConsumer,
        `The subscription fell more than ${maxQueued} event${maxQueued === 1 ? '' : 's'} behind the log and was ended. Read its events as they come, or subscribe again and catch up from the log.`,
        { maxQueued },
      );
      queue = [];
      off();
    }
    if (queue.length > 0 || overflow !== null) wake?.();
  });
  const iterator: AsyncIterableIterator<Envelope> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async next() {
      while (queue.length === 0 && !done && overflow === null)
        await new Promise<void>((r) => (wake = r));
      wake = null;
      if (done) return { done: true, value: undefined };
      if (overflow !== null) {
        done = true;
        throw overflow;
      }
      return { done: false, value: queue.shift() as Envelope };
    },
    return() {
      done = true;
      off();
      wake?.();
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  return iterator;
}

/** Why a subscription's stream ended, carried to its field's `resolve` as a last item. */
class StreamFailure {
  constructor(readonly error: unknown) {}
}

/** Options of {@link eventSubscription}. */
export interface EventSubscriptionOptions<Args, S extends object, L> {
  readonly type: GraphQLOutputType;
  readonly events: readonly AnyEventType[];
  readonly args?: GraphQLFieldConfigArgumentMap;
  /** Which events this subscriber may and wants to see (check ownership here). */
  readonly filter?: (event: Envelope, args: Args, ctx: GraphqlContext<S, L>) => boolean;
  /** The value sent for an event. Default: the envelope. */
  readonly resolve?: (event: Envelope, args: Args, ctx: GraphqlContext<S, L>) => unknown;
  /** See {@link CommittedEventsOptions.maxQueued}. Default 10,000. */
  readonly maxQueued?: number;
}

/** A subscription field pushing committed events live. */
export function eventSubscription<
  Args = Record<string, unknown>,
  S extends object = Record<string, unknown>,
  L = unknown,
>(
  options: EventSubscriptionOptions<Args, S, L>,
): GraphQLFieldConfig<unknown, GraphqlContext<S, L>, Args> {
  return {
    type: options.type,
    ...(options.args === undefined ? {} : { args: options.args }),
    subscribe(_source, args, ctx) {
      const events = committedEvents(
        ctx.mediator.system as EventSystem<object>,
        options.events,
        options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued },
      );
      const filter = options.filter;
      let ended = false;
      // A failure of the stream (a subscriber too far behind) is yielded as a last item, which
      // `resolve` turns into the event's GraphQL error: the client gets its code, and then the
      // stream completes, where a stream that threw was cut with no reason given.
      const stream: AsyncIterableIterator<Envelope | StreamFailure> = {
        [Symbol.asyncIterator]() {
          return stream;
        },
        async next() {
          if (ended) return { done: true, value: undefined };
          try {
            for (;;) {
              const n = await events.next();
              if (n.done === true || filter === undefined || filter(n.value, args, ctx)) return n;
            }
          } catch (error) {
            ended = true;
            return { done: false, value: new StreamFailure(error) };
          }
        },
        return() {
          ended = true;
          return events.return?.() ?? Promise.resolve({ done: true, value: undefined });
        },
      };
      return stream;
    },
    resolve(source, args, ctx) {
      if (source instanceof StreamFailure) throw toGraphqlError(source.error);
      // The source of a subscription field is what its iterator yielded: an envelope.
      const event = source as Envelope;
      return options.resolve === undefined ? event : options.resolve(event, args, ctx);
    },
  };
}
