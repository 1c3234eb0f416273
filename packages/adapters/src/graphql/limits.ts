import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { CausewayError, ErrorCodes } from '@causeway/runtime';

/** Limits that refuse abusive queries before they run. */
export interface QueryLimits {
  /** Deepest field nesting allowed (introspection fields aside). Default 10. */
  readonly depth?: number;
  /**
   * Most fields a query may resolve: each field costs 1 (`__typename` and introspection fields
   * included, aliases each counted), times the page size of every list field above it. A page
   * size is the `first` argument: a literal counts as itself, a variable as `defaultPage`, and
   * an omitted `first` as the argument's default in the schema, else `defaultPage`.
   * Default 5,000.
   */
  readonly cost?: number;
  /** What a `first` given by a variable, or omitted without a default, counts as. Default 100. */
  readonly defaultPage?: number;
  /** Most tokens a query's text may have; parsing stops past it. Default 20,000. */
  readonly tokens?: number;
  /** Largest request body read, in bytes; a larger one gets HTTP 413. Default 1 MiB. */
  readonly bodyBytes?: number;
  /**
   * Most graphql-sse stream reservations (single-connection mode: a `PUT` to the stream path) one
   * principal may hold at once; one more gets HTTP 429. A reservation is held until its event
   * stream closes. Default 8.
   */
  readonly streamReservations?: number;
}

/** The largest each limit may be set to: a body is read into memory whole, so up to 1 GiB. */
const LIMIT_MAX: Readonly<Record<keyof QueryLimits, number>> = {
  depth: Number.MAX_SAFE_INTEGER,
  cost: Number.MAX_SAFE_INTEGER,
  defaultPage: Number.MAX_SAFE_INTEGER,
  tokens: Number.MAX_SAFE_INTEGER,
  bodyBytes: 1 << 30,
  streamReservations: Number.MAX_SAFE_INTEGER,
};

/**
 * Checks a server's `limits`: each one given is an integer from 1 to its maximum. A limit that
 * is `NaN`, a string or 0 would otherwise switch its check off (no comparison is true against
 * `NaN`) or refuse every request.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming the limit and the value given.
 */
export function checkQueryLimits(limits: QueryLimits | undefined): void {
  if (limits === undefined) return;
  if (typeof limits !== 'object' || limits === null) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `limits must be an object of numbers ({ depth, cost, defaultPage, tokens, bodyBytes, streamReservations }), got ${limits === null ? 'null' : typeof limits}.`,
      {},
    );
  }
  for (const name of Object.keys(LIMIT_MAX) as (keyof QueryLimits)[]) {
    const value: unknown = limits[name];
    if (value === undefined) continue;
    const max = LIMIT_MAX[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `limits.${name} must be an integer from 1 to ${max}, got ${typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? typeof value)}. Leave it out for its default.`,
        { limit: name, max },
      );
    }
  }
}

/**
 * Depth and cost of one selection set, following fragments. With the schema and the type the
 * selection is on (`root`), an omitted `first` counts as its argument's default (else
 * `defaultPage`); without them, only a `first` written in the query counts.
 */
export function measure(
  selection: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  defaultPage: number,
  schema?: GraphQLSchema,
  root?: GraphQLNamedType,
): { depth: number; cost: number } {
  // A fragment's measure at multiplier 1, by name (and whether it is inside introspection): a
  // fragment's cost grows with the multiplier it is spread under and its depth does not, so it
  // is walked once however often it is spread. Walking it at every spread made a 1 KB query
  // whose fragments each spread the one before twice cost 2^n walks (minutes of blocked loop).
  const measured = new Map<string, { depth: number; cost: number }>();
  const walk = (
    set: SelectionSetNode,
    type: GraphQLNamedType | undefined,
    multiplier: number,
    seen: ReadonlySet<string>,
    introspection: boolean,
  ) => {
    let depth = 0;
    let cost = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        cost += multiplier;
        const name = s.name.value;
        // Introspection is bounded in depth by graphql-js's own rule, not by ours (the standard
        // introspection query nests deeper than an application's queries); it still costs.
        const inIntrospection = introspection || name.startsWith('__');
        const field = fieldOf(type, name);
        if (s.selectionSet !== undefined) {
          const inner = walk(
            s.selectionSet,
            field === undefined ? undefined : getNamedType(field.type),
            multiplier * pageOf(s, field, defaultPage),
            seen,
            inIntrospection,
          );
          if (!inIntrospection) depth = Math.max(depth, inner.depth + 1);
          cost += inner.cost;
        } else if (!inIntrospection) depth = Math.max(depth, 1);
      } else if (s.kind === Kind.FRAGMENT_SPREAD) {
        const name = s.name.value;
        if (seen.has(name)) continue;
        const key = `${introspection ? 'i' : 'q'}:${name}`;
        let unit = measured.get(key);
        if (unit === undefined) {
          const fragment = fragments.get(name);
          if (fragment === undefined) continue;
          const on = schema?.getType(fragment.typeCondition.name.value);
          unit = walk(fragment.selectionSet, on, 1, new Set([...seen, name]), introspection);
          measured.set(key, unit);
        }
        depth = Math.max(depth, unit.depth);
        cost += unit.cost * multiplier;
      } else {
        const condition = s.typeCondition;
        const on = condition === undefined ? type : schema?.getType(condition.name.value);
        const r = walk(s.selectionSet, on, multiplier, seen, introspection);
        depth = Math.max(depth, r.depth);
        cost += r.cost;
      }
    }
    return { depth, cost };
  };
  return walk(selection, schema === undefined ? undefined : root, 1, new Set(), false);
}

function fieldOf(
  type: GraphQLNamedType | undefined,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (type === undefined || !(isObjectType(type) || isInterfaceType(type))) return undefined;
  return type.getFields()[name];
}

function pageOf(
  node: FieldNode,
  field: GraphQLField<unknown, unknown> | undefined,
  defaultPage: number,
): number {
  const first = node.arguments?.find((a) => a.name.value === 'first');
  if (first === undefined) {
    // An omitted `first` still pages: by the argument's default, or the server's own.
    const declared = field?.args.find((a) => a.name === 'first');
    if (declared === undefined) return 1;
    const value = declared.defaultValue;
    return typeof value === 'number' && Number.isFinite(value) ? Math.max(1, value) : defaultPage;
  }
  if (first.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  return defaultPage;
}

/** A validation rule refusing operations past the depth or cost limit (`CW_QUERY_TOO_COMPLEX`). */
export function queryLimitsRule(limits: QueryLimits = {}): ValidationRule {
  checkQueryLimits(limits);
  const maxDepth = limits.depth ?? 10;
  const maxCost = limits.cost ?? 5000;
  const defaultPage = limits.defaultPage ?? 100;
  return (context) => ({
    OperationDefinition(node) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const d of context.getDocument().definitions)
        if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
      const schema = context.getSchema();
      const root = schema.getRootType(node.operation) ?? undefined;
      const { depth, cost } = measure(node.selectionSet, fragments, defaultPage, schema, root);
      if (depth > maxDepth || cost > maxCost) {
        context.reportError(
          new GraphQLError(
            `The query is too complex: depth ${depth} (limit ${maxDepth}), cost ${cost} (limit ${maxCost}). Ask for fewer nested fields or smaller pages (first).`,
            {
              nodes: [node],
              extensions: { code: ErrorCodes.QueryTooComplex, depth, cost, maxDepth, maxCost },
            },
          ),
        );
      }
    },
  });
}
