import { childrenOf, isBranch, kindOf, previewOf, type StatePath } from './tree-rows.ts';

import type { StateMatch } from '../protocol/index.ts';

export type { StateMatch };

/** What a search over the state found. */
export interface StateSearchResult {
  readonly matches: readonly StateMatch[];
  /** True when the search stopped at the limit: more nodes match. */
  readonly truncated: boolean;
}

/**
 * Searches a state for a text, case-insensitively, in keys and in primitive values (strings,
 * numbers, booleans, null), depth first in the state's own order, stopping after `limit`
 * matches. An empty query matches nothing.
 */
export function searchState(root: unknown, query: string, limit = 1000): StateSearchResult {
  const needle = query.trim().toLowerCase();
  const matches: StateMatch[] = [];
  if (needle === '') return { matches, truncated: false };
  let truncated = false;
  const found = (path: StatePath, on: StateMatch['on']): boolean => {
    if (matches.length >= limit) {
      truncated = true;
      return false;
    }
    matches.push({ path, on });
    return true;
  };
  const visit = (value: unknown, path: StatePath): boolean => {
    for (const [key, child] of childrenOf(value)) {
      const childPath = [...path, key];
      const kind = kindOf(child);
      if (String(key).toLowerCase().includes(needle)) {
        if (!found(childPath, 'key')) return false;
      } else if (!isBranch(kind) && kind !== 'bytes' && kind !== 'other') {
        const text = kind === 'string' ? (child as string) : previewOf(child);
        if (text.toLowerCase().includes(needle) && !found(childPath, 'value')) return false;
      }
      if (isBranch(kind) && !visit(child, childPath)) return false;
    }
    return true;
  };
  visit(root, []);
  return { matches, truncated };
}
