import { CausewayError, ErrorCodes } from '../errors/index.ts';
import { KeySet, largeTableKeys, mergeKeys, type LargeTableKeys } from './tables.ts';

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
  /** For each of the query's tables: its key set when it is a large table, else the table. */
  readonly tokens: readonly unknown[];
  readonly ids: readonly string[];
}

/**
 * Results kept for each query: a tick's listeners query the draft as it is then, and the next
 * tick's queries are brought up to date from the commit's result, not from the draft's.
 */
const KEPT_RESULTS = 2;

/**
 * Finds the entities that have every one of a set of components. Results are sorted by id
 * (UUIDv7 ids sort by creation time), so iterating them is deterministic whatever order the
 * tables were filled in, and frozen.
 *
 * A query's result depends only on which entities its tables hold, not on their values. For a
 * large table (more than 64 entries) that is its key set, which commits that change only values
 * keep: the cached result holds across them. A commit that adds or removes entities links its
 * key set to the one before with the keys it changed, and the cached result is brought up to
 * date from those keys alone. Small tables are compared by identity and scanned again when they
 * changed (a scan of at most 64 keys).
 */
export class Queries {
  private readonly cache = new Map<string, CachedQuery[]>();

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
    const large = tables.map((t) => largeTableKeys(t));
    const tokens = tables.map((t, i) => large[i]?.keySet ?? t);
    const kept = this.cache.get(key) ?? [];
    let found: CachedQuery | undefined = kept.find((e) => sameTokens(e.tokens, tokens));
    if (found === undefined) {
      let ids: readonly string[] | null = null;
      for (const entry of kept) {
        ids = updated(entry, tables, large, tokens);
        if (ids !== null) break;
      }
      found = { tokens, ids: ids ?? computed(tables, large) };
    }
    this.cache.set(key, [found, ...kept.filter((e) => e !== found)].slice(0, KEPT_RESULTS));
    return found.ids;
  }
}

function sameTokens(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Whether the query's `i`th table holds `id`. */
function holds(
  tables: readonly Record<string, unknown>[],
  large: readonly (LargeTableKeys | undefined)[],
  i: number,
  id: string,
): boolean {
  return large[i]?.holds(id) ?? Object.hasOwn(tables[i] as object, id);
}

/**
 * The result of `entry`'s query for tables that hold what they held then but for the keys that
 * their key sets say changed since; null when a table that changed is not a large table whose
 * key set links back to the one `entry` was computed on.
 */
function updated(
  entry: CachedQuery,
  tables: readonly Record<string, unknown>[],
  large: readonly (LargeTableKeys | undefined)[],
  tokens: readonly unknown[],
): readonly string[] | null {
  if (entry.tokens.length !== tokens.length) return null;
  const changed = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const then = entry.tokens[i];
    if (then === tokens[i]) continue;
    const table = large[i];
    if (table === undefined || !(then instanceof KeySet)) return null;
    const changes = table.keySet.changesSince(then);
    if (changes === null) return null;
    for (const id of changes.added) changed.add(id);
    for (const id of changes.removed) changed.add(id);
  }
  const add: string[] = [];
  const remove: string[] = [];
  for (const id of [...changed].sort()) {
    let inAll = true;
    for (let i = 0; i < tables.length && inAll; i++) inAll = holds(tables, large, i, id);
    const was = sortedHas(entry.ids, id);
    if (inAll && !was) add.push(id);
    else if (!inAll && was) remove.push(id);
  }
  if (add.length === 0 && remove.length === 0) return entry.ids;
  return Object.freeze(mergeKeys(entry.ids, add, remove));
}

/** The query's result from scratch: the smallest table's keys, in order, that all tables hold. */
function computed(
  tables: readonly Record<string, unknown>[],
  large: readonly (LargeTableKeys | undefined)[],
): readonly string[] {
  const size = (i: number): number => large[i]?.count ?? Object.keys(tables[i] as object).length;
  let smallest = 0;
  for (let i = 1; i < tables.length; i++) if (size(i) < size(smallest)) smallest = i;
  const keys = large[smallest]?.sortedKeys() ?? Object.keys(tables[smallest] as object).sort();
  // A large table's sorted keys are frozen already, and shared.
  if (tables.length === 1) return Object.isFrozen(keys) ? keys : Object.freeze(keys);
  const ids: string[] = [];
  for (const id of keys) {
    let inAll = true;
    for (let i = 0; i < tables.length && inAll; i++)
      if (i !== smallest) inAll = holds(tables, large, i, id);
    if (inAll) ids.push(id);
  }
  return Object.freeze(ids);
}

/** Whether the sorted `ids` hold `id` (a binary search). */
function sortedHas(ids: readonly string[], id: string): boolean {
  let low = 0;
  let high = ids.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = ids[mid] as string;
    if (at === id) return true;
    if (at < id) low = mid + 1;
    else high = mid - 1;
  }
  return false;
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
