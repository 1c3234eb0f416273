import { CausewayError, ErrorCodes } from '../errors/index.ts';

/**
 * A component: a named table in the state, keyed by entity id. The state of a system is a
 * plain object whose tables are its components (ECS-style normalisation).
 */
export interface Component<Name extends string = string, T = unknown> {
  readonly name: Name;
  /** Phantom field carrying `T`; always `undefined` at run time. */
  readonly __value?: T;
}

/** The table type of a component: entity id → value. */
export type Table<T> = Record<string, T>;

/** The value type of a component. */
export type ValueOf<C> = C extends Component<string, infer T> ? T : never;

/**
 * Declares a component. Its name is the state key of its table.
 *
 * @example
 * ```ts
 * const Position = defineComponent<{ x: number; y: number }>('position');
 * interface World { position: Table<{ x: number; y: number }> }
 * ```
 */
export function defineComponent<T, const Name extends string = string>(
  name: Name,
): Component<Name, T> {
  if (typeof name !== 'string' || name === '') {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `A component needs a non-empty name, got ${JSON.stringify(name)}.`,
      { name },
    );
  }
  return Object.freeze({ name });
}

interface CachedQuery {
  tables: unknown[];
  ids: readonly string[];
}

/**
 * Finds the entities that have every one of a set of components. Results are sorted by id
 * (UUIDv7 ids sort by creation time), so iterating them is deterministic whatever order the
 * tables were filled in. Results are cached per query and recomputed only when one of the
 * query's tables changed identity (immer gives a changed table a new identity), by scanning
 * the smallest of them.
 */
export class Queries {
  private readonly cache = new Map<string, CachedQuery>();

  /** Ids of the entities that have all of `components` in `state`. */
  query(state: object, components: readonly Component[]): readonly string[] {
    if (components.length === 0) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        'A query needs at least one component.',
        {},
      );
    }
    const key = components.map((c) => c.name).join('\u0000');
    const tables = components.map((c) => tableOf(state, c));
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.tables.every((t, i) => t === tables[i])) return cached.ids;
    let smallest = tables[0] as Record<string, unknown>;
    for (const t of tables) if (Object.keys(t).length < Object.keys(smallest).length) smallest = t;
    const ids: string[] = [];
    for (const id in smallest) {
      if (tables.every((t) => Object.hasOwn(t, id))) ids.push(id);
    }
    ids.sort();
    const frozen = Object.freeze(ids);
    this.cache.set(key, { tables, ids: frozen });
    return frozen;
  }
}

function tableOf(state: object, component: Component): Record<string, unknown> {
  const table = (state as Record<string, unknown>)[component.name];
  if (table === undefined) return {};
  if (typeof table !== 'object' || table === null) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `State key "${component.name}" holds a ${typeof table}, not a component table; a component's key must hold an object keyed by entity id.`,
      { component: component.name },
    );
  }
  return table as Record<string, unknown>;
}
