import {
  GraphQLError,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { ErrorCodes } from '@causeway/runtime';

/** Limits that refuse abusive queries before they run. */
export interface QueryLimits {
  /** Deepest field nesting allowed. Default 10. */
  readonly depth?: number;
  /**
   * Most fields a query may resolve: each field costs 1, times the `first` (page size) of every
   * list field above it (a variable `first` counts as `defaultPage`). Default 5,000.
   */
  readonly cost?: number;
  /** What a `first` given by a variable counts as. Default 100. */
  readonly defaultPage?: number;
}

/** Depth and cost of one selection set, following fragments. */
export function measure(
  selection: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  defaultPage: number,
): { depth: number; cost: number } {
  const walk = (set: SelectionSetNode, multiplier: number, seen: ReadonlySet<string>) => {
    let depth = 0;
    let cost = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value.startsWith('__')) continue;
        cost += multiplier;
        if (s.selectionSet !== undefined) {
          const inner = walk(s.selectionSet, multiplier * pageOf(s, defaultPage), seen);
          depth = Math.max(depth, inner.depth + 1);
          cost += inner.cost;
        } else depth = Math.max(depth, 1);
      } else {
        let inner: SelectionSetNode | undefined;
        if (s.kind === Kind.INLINE_FRAGMENT) inner = s.selectionSet;
        else if (!seen.has(s.name.value)) inner = fragments.get(s.name.value)?.selectionSet;
        if (inner === undefined) continue;
        const next =
          s.kind === Kind.FRAGMENT_SPREAD
            ? new Set([...seen, s.name.value])
            : (seen as Set<string>);
        const r = walk(inner, multiplier, next);
        depth = Math.max(depth, r.depth);
        cost += r.cost;
      }
    }
    return { depth, cost };
  };
  return walk(selection, 1, new Set());
}

function pageOf(field: FieldNode, defaultPage: number): number {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (first === undefined) return 1;
  if (first.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  return defaultPage;
}

/** A validation rule refusing operations past the depth or cost limit (`CW_QUERY_TOO_COMPLEX`). */
export function queryLimitsRule(limits: QueryLimits = {}): ValidationRule {
  const maxDepth = limits.depth ?? 10;
  const maxCost = limits.cost ?? 5000;
  const defaultPage = limits.defaultPage ?? 100;
  return (context) => ({
    OperationDefinition(node) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const d of context.getDocument().definitions)
        if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
      const { depth, cost } = measure(node.selectionSet, fragments, defaultPage);
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
