import type { Immutable } from 'immer';
import { CausewayError, ErrorCodes } from '../errors/index.ts';

/** A declared query: a name, its parameters' type and its result's type. Made by {@link defineQuery}. */
export interface QueryType<Name extends string = string, Params = unknown, Result = unknown> {
  readonly name: Name;
  /** Phantom fields carrying the types; always `undefined` at run time. */
  readonly __params?: (params: Params) => Params;
  readonly __result?: (result: Result) => Result;
}

/** Any query type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- phantom parameters; `any` lets every QueryType be assigned here
export type AnyQueryType = QueryType<string, any, any>;

/** The parameters' type of a query type. */
export type ParamsOf<Q> = Q extends AnyQueryType
  ? NonNullable<Q['__params']> extends (params: infer P) => unknown
    ? P
    : never
  : never;
/** The result type of a query type. */
export type QueryResultOf<Q> = Q extends AnyQueryType
  ? NonNullable<Q['__result']> extends (result: infer R) => unknown
    ? R
    : never
  : never;

const namePattern = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

/**
 * Declares a query over read models.
 *
 * @example
 * ```ts
 * const AccountById = defineQuery<{ id: string }, Account | null>('AccountById');
 * ```
 * @throws CausewayError `CW_INVALID_ARGUMENT` for a bad name.
 */
export function defineQuery<Params, Result, const Name extends string = string>(
  name: Name,
): QueryType<Name, Params, Result> {
  if (!namePattern.test(name)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `Query name ${JSON.stringify(name)} is not valid: use 1-128 letters, digits, "_", ".", ":" or "-", starting with a letter.`,
      { name },
    );
  }
  return Object.freeze({ name });
}

/** What a query handler reads: the system's state (inline read models) after the last commit. */
export interface QueryContext<S extends object> {
  readonly state: Immutable<S>;
}

/**
 * Answers a query from read models: inline ones in `ctx.state`, catch-up ones from their own
 * store (close over it). May be asynchronous: queries run outside the loop.
 */
export type QueryHandler<Q extends AnyQueryType, S extends object = Record<string, unknown>> = (
  params: ParamsOf<Q>,
  ctx: QueryContext<S>,
) => QueryResultOf<Q> | Promise<QueryResultOf<Q>>;
