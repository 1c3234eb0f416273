import type { StateChange } from '../protocol/index.ts';
import { ancestorsOf, childrenOf, kindOf, pathKey, type StatePath } from './tree-rows.ts';

export type { StateChange };

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * For two maps, the keys whose entries may differ (the others are the same on both sides), or
 * undefined to compare them key by key: the agent answers it from the runtime's tables.
 */
export type ChangedKeys = (before: object, after: object) => readonly string[] | undefined;

/**
 * The leaf-most paths where two states differ, in the order of `after` (then paths only in
 * `before`), at most `limit` of them. Shared structure (the same object on both sides, as
 * immer keeps it) is skipped without a walk, so diffing two neighbouring states costs what
 * changed between them; with `changedKeys`, maps it answers for compare only those keys.
 */
export function diffStates(
  before: unknown,
  after: unknown,
  limit = 500,
  changedKeys?: ChangedKeys,
): StateChange[] {
  const out: StateChange[] = [];
  const walk = (a: unknown, b: unknown, path: StatePath): void => {
    if (out.length >= limit || Object.is(a, b)) return;
    const ka = kindOf(a);
    const kb = kindOf(b);
    const keys =
      ka === 'object' && kb === 'object' ? changedKeys?.(a as object, b as object) : undefined;
    if (keys !== undefined) {
      const left = a as Record<string, unknown>;
      const right = b as Record<string, unknown>;
      for (const key of keys) {
        const had = Object.hasOwn(left, key);
        const has = Object.hasOwn(right, key);
        if (had && has) walk(left[key], right[key], [...path, key]);
        else if (out.length < limit && has)
          out.push({
            path: [...path, key],
            existedBefore: false,
            existsAfter: true,
            after: right[key],
          });
        else if (out.length < limit && had)
          out.push({
            path: [...path, key],
            existedBefore: true,
            before: left[key],
            existsAfter: false,
          });
      }
      return;
    }
    if (ka === kb && (ka === 'object' || ka === 'array')) {
      const left = new Map(childrenOf(a));
      for (const [key, value] of childrenOf(b)) {
        if (left.has(key)) walk(left.get(key), value, [...path, key]);
        else if (out.length < limit)
          out.push({ path: [...path, key], existedBefore: false, existsAfter: true, after: value });
        left.delete(key);
      }
      for (const [key, value] of left) {
        if (out.length < limit)
          out.push({
            path: [...path, key],
            existedBefore: true,
            before: value,
            existsAfter: false,
          });
      }
      return;
    }
    if (ka === 'bytes' && kb === 'bytes' && bytesEqual(a as Uint8Array, b as Uint8Array)) return;
    out.push({ path, existedBefore: true, before: a, existsAfter: true, after: b });
  };
  walk(before, after, []);
  return out;
}

/** Lookup of changed paths for highlighting: the paths themselves and every ancestor of one. */
export interface ChangedPaths {
  /** Path keys of the changed paths. */
  readonly exact: ReadonlySet<string>;
  /** Path keys of nodes that contain a changed path. */
  readonly within: ReadonlySet<string>;
}

/** Builds the {@link ChangedPaths} lookup for a list of changed paths. */
export function changedPaths(paths: Iterable<StatePath>): ChangedPaths {
  const exact = new Set<string>();
  const within = new Set<string>();
  for (const path of paths) {
    exact.add(pathKey(path));
    for (const ancestor of ancestorsOf(path)) within.add(pathKey(ancestor));
  }
  return { exact, within };
}
