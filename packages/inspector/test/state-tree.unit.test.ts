import { describe, expect, it } from 'vitest';
import { changedPaths, diffStates } from '../src/state-tree/state-diff.ts';
import { searchState } from '../src/state-tree/state-search.ts';
import {
  branchesToLoad,
  formatPath,
  pathFromKey,
  pathKey,
  previewOf,
  valueAt,
  visibleRows,
  windowsOf,
  MORE_KEY,
} from '../src/state-tree/tree-rows.ts';

const state = {
  name: { a1: 'Ada', b2: 'Bob' },
  position: { a1: { x: 1, y: 2 }, b2: { x: 5, y: 0 } },
  inventory: { a1: ['sword', 'key'] },
};

describe('state tree rows', () => {
  it('shows only the root children while nothing is open', () => {
    const rows = visibleRows(state, new Set());
    expect(rows.map((r) => r.key)).toEqual(['name', 'position', 'inventory']);
    expect(rows.map((r) => r.size)).toEqual([2, 2, 1]);
  });

  it('shows the children of open branches, indented one level deeper', () => {
    const open = new Set([pathKey(['position']), pathKey(['position', 'b2'])]);
    const rows = visibleRows(state, open);
    expect(rows.map((r) => [formatPath(r.path), r.depth])).toEqual([
      ['name', 0],
      ['position', 0],
      ['position.a1', 1],
      ['position.b2', 1],
      ['position.b2.x', 2],
      ['position.b2.y', 2],
      ['inventory', 0],
    ]);
  });

  it('keys array elements by number, as protocol paths carry them', () => {
    const rows = visibleRows(
      state,
      new Set([pathKey(['inventory']), pathKey(['inventory', 'a1'])]),
    );
    expect(rows.at(-1)?.path).toEqual(['inventory', 'a1', 1]);
    expect(valueAt(state, ['inventory', 'a1', 1])).toBe('key');
  });

  it('round-trips path keys, including keys that hold dots', () => {
    const path = ['files', 'a.b.c', 3];
    expect(pathFromKey(pathKey(path))).toEqual(path);
  });

  it('previews strings quoted, -0 signed and long arrays cut', () => {
    expect(previewOf('hi')).toBe('"hi"');
    expect(previewOf(-0)).toBe('-0');
    expect(previewOf(Array.from({ length: 10 }, (_, i) => i))).toBe('[0, 1, 2, 3, 4, 5, 6, 7, …]');
  });

  it('answers undefined for a path that does not exist', () => {
    expect(valueAt(state, ['position', 'zz', 'x'])).toBeUndefined();
  });
});

describe('branches the agent left out', () => {
  const truncatedState = {
    position: { a1: { $truncated: 'map', size: 2 }, b2: { $truncated: 'map', size: 2 } },
  };
  const open = new Set([pathKey(['position']), pathKey(['position', 'a1'])]);

  it('shows a left-out branch as a branch of its size, without children', () => {
    const rows = visibleRows(truncatedState, open);
    expect(rows.map((r) => [formatPath(r.path), r.kind, r.size, r.preview])).toEqual([
      ['position', 'object', 2, '{a1: {…}, b2: {…}}'],
      ['position.a1', 'object', 2, '{…}'],
      ['position.b2', 'object', 2, '{…}'],
    ]);
  });

  it('asks for the open ones that are not loaded yet', () => {
    expect(branchesToLoad(truncatedState, open, () => undefined)).toEqual([['position', 'a1']]);
  });

  it('shows a loaded branch in place of the left-out one', () => {
    const loaded = (key: string): unknown =>
      key === pathKey(['position', 'a1']) ? { x: 1, y: 2 } : undefined;
    const rows = visibleRows(truncatedState, open, loaded);
    expect(rows.map((r) => formatPath(r.path))).toEqual([
      'position',
      'position.a1',
      'position.a1.x',
      'position.a1.y',
      'position.b2',
    ]);
    expect(branchesToLoad(truncatedState, open, loaded)).toEqual([]);
  });
});

describe('branches the agent sent part of', () => {
  // What `stateAt` answers with width 2 for a table of 5 entities and a list of 4 tags.
  const answer = {
    units: { u1: { hp: 1 }, u2: { hp: 2 } },
    tags: ['a', 'b'],
  };
  const windows = windowsOf([], answer, [
    { path: ['units'], offset: 0, shown: 2, size: 5 },
    { path: ['tags'], offset: 0, shown: 2, size: 4 },
  ]);
  const open = new Set([pathKey(['units']), pathKey(['tags'])]);

  it('draws the entries sent and a row that says how many are left', () => {
    const rows = visibleRows(answer, open, undefined, (key) => windows.get(key));
    expect(rows.map((r) => formatPath(r.path))).toEqual([
      'units',
      'units.u1',
      'units.u2',
      `units.${MORE_KEY}`,
      'tags',
      'tags.0',
      'tags.1',
      `tags.${MORE_KEY}`,
    ]);
    expect(rows.filter((r) => r.more !== undefined).map((r) => r.preview)).toEqual([
      '3 more of 5',
      '2 more of 4',
    ]);
    const more = rows.find((r) => r.more !== undefined);
    expect(more?.more).toEqual({ branch: ['units'], remaining: 3 });
  });

  it('numbers a later page of an array from its offset', () => {
    const page = windowsOf(
      ['tags'],
      ['c', 'd'],
      [{ path: ['tags'], offset: 2, shown: 2, size: 4 }],
    );
    expect(page.get(pathKey(['tags']))?.entries).toEqual([
      [2, 'c'],
      [3, 'd'],
    ]);
  });

  it('draws every entry and no row of more once all are fetched', () => {
    const whole = new Map(windows);
    whole.set(pathKey(['units']), {
      size: 3,
      entries: [
        ['u1', { hp: 1 }],
        ['u2', { hp: 2 }],
        ['u3', { hp: 3 }],
      ],
    });
    const rows = visibleRows(answer, new Set([pathKey(['units'])]), undefined, (key) =>
      whole.get(key),
    );
    expect(rows.map((r) => formatPath(r.path))).toEqual([
      'units',
      'units.u1',
      'units.u2',
      'units.u3',
      'tags',
    ]);
  });
});

describe('state search', () => {
  it('finds keys and values case-insensitively and opens their ancestors', () => {
    const result = searchState(state, 'BOB');
    expect(result.matches).toEqual([{ path: ['name', 'b2'], on: 'value' }]);
    expect([...changedPaths(result.matches.map((m) => m.path)).within]).toEqual([
      pathKey(['name']),
    ]);
  });

  it('matches numbers by their text', () => {
    expect(searchState(state, '5').matches.map((m) => m.path)).toEqual([['position', 'b2', 'x']]);
  });

  it('stops at the limit and says so', () => {
    const result = searchState(state, 'a1', 2);
    expect(result.matches).toHaveLength(2);
    expect(result.truncated).toBe(true);
  });

  it('matches nothing for an empty query', () => {
    expect(searchState(state, '  ').matches).toEqual([]);
  });
});

describe('state diff', () => {
  it('lists the leaf paths that changed, were added or removed', () => {
    const after = {
      ...state,
      name: { a1: 'Ada', c3: 'Cy' },
      position: { ...state.position, a1: { x: 2, y: 2 } },
    };
    expect(diffStates(state, after)).toEqual([
      { path: ['name', 'c3'], existedBefore: false, existsAfter: true, after: 'Cy' },
      { path: ['name', 'b2'], existedBefore: true, before: 'Bob', existsAfter: false },
      {
        path: ['position', 'a1', 'x'],
        existedBefore: true,
        before: 1,
        existsAfter: true,
        after: 2,
      },
    ]);
  });

  it('skips subtrees shared by both states without walking them', () => {
    const shared = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('a shared subtree was walked');
        },
      },
    );
    expect(diffStates({ big: shared, n: 1 }, { big: shared, n: 2 })).toEqual([
      { path: ['n'], existedBefore: true, before: 1, existsAfter: true, after: 2 },
    ]);
  });

  it('indexes changed paths and every ancestor holding one', () => {
    const index = changedPaths([['position', 'a1', 'x']]);
    expect(index.exact.has(pathKey(['position', 'a1', 'x']))).toBe(true);
    expect(index.within.has(pathKey(['position']))).toBe(true);
    expect(index.within.has(pathKey(['position', 'a1']))).toBe(true);
    expect(index.within.has(pathKey(['name']))).toBe(false);
  });
});
