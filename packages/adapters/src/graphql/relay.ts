import {
  GraphQLBoolean,
  GraphQLError,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfigArgumentMap,
} from 'graphql';
import { ErrorCodes } from '@causeway/runtime';

/** Relay-style paging arguments. */
export interface ConnectionArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

/** A Relay-style page of items. */
export interface Connection<T> {
  readonly edges: readonly { readonly cursor: string; readonly node: T }[];
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
    readonly endCursor: string | null;
  };
  readonly totalCount: number;
}

/** The `first` and `after` arguments of a connection field. */
export const connectionArgs: GraphQLFieldConfigArgumentMap = {
  first: { type: GraphQLInt, description: 'Page size (default 20, at most 100).' },
  after: { type: GraphQLString, description: 'The cursor of the edge to start after.' },
};

/** The cursor of an item with this key: opaque to clients, stable across requests. */
export function cursorOf(key: string): string {
  return Buffer.from(`cw:${key}`, 'utf8').toString('base64url');
}

function keyOfCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('cw:')) {
    throw new GraphQLError(`The cursor ${JSON.stringify(cursor)} was not made by this server.`, {
      extensions: { code: ErrorCodes.InvalidArgument },
    });
  }
  return text.slice(3);
}

/**
 * One page of `items` (sorted by `keyOf`, ascending): the `first` items whose key comes after
 * the `after` cursor's.
 *
 * @throws GraphQLError `CW_INVALID_ARGUMENT` for a `first` outside 0…`maxPage` or a foreign cursor.
 */
export function toConnection<T>(
  items: readonly T[],
  args: ConnectionArgs,
  keyOf: (item: T) => string,
  options: { readonly defaultPage?: number; readonly maxPage?: number } = {},
): Connection<T> {
  const maxPage = options.maxPage ?? 100;
  const first = args.first ?? options.defaultPage ?? 20;
  if (!Number.isInteger(first) || first < 0 || first > maxPage) {
    throw new GraphQLError(`first must be an integer from 0 to ${maxPage}, got ${first}.`, {
      extensions: { code: ErrorCodes.InvalidArgument },
    });
  }
  let start = 0;
  if (args.after != null) {
    const after = keyOfCursor(args.after);
    start = items.findIndex((item) => keyOf(item) > after);
    if (start === -1) start = items.length;
  }
  const page = items.slice(start, start + first);
  const edges = page.map((node) => ({ cursor: cursorOf(keyOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: start + first < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: items.length,
  };
}

/** The Relay `PageInfo` type (one per schema). */
export const PageInfoType = new GraphQLObjectType({
  name: 'PageInfo',
  fields: {
    hasNextPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    hasPreviousPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    startCursor: { type: GraphQLString },
    endCursor: { type: GraphQLString },
  },
});

/** The `<Node>Connection` type (with `<Node>Edge`) of a node type. */
export function connectionType(node: GraphQLObjectType): GraphQLObjectType {
  const edge = new GraphQLObjectType({
    name: `${node.name}Edge`,
    fields: {
      cursor: { type: new GraphQLNonNull(GraphQLString) },
      node: { type: new GraphQLNonNull(node) },
    },
  });
  return new GraphQLObjectType({
    name: `${node.name}Connection`,
    fields: {
      edges: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(edge))) },
      pageInfo: { type: new GraphQLNonNull(PageInfoType) },
      totalCount: { type: new GraphQLNonNull(GraphQLInt) },
    },
  });
}
