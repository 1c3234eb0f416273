import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defineComponent,
  defineEvent,
  EventSystem,
  input,
  MemoryStore,
  newEntityId,
  type Component,
  type Table,
} from '../src/index.ts';
import { KeySet, mergeKeys } from '../src/state/tables.ts';

// Queries against a reference that lists and filters the tables' keys, on tables that grow past
// 64 entries (tries, whose key sets carry what changed) and shrink back, with queries asked by
// listeners in the middle of ticks and by the caller between them.

interface Row {
  v: number;
}
interface World {
  a: Table<Row>;
  b: Table<Row>;
}
type Which = 'a' | 'b' | 'ab';

const Put = defineEvent<{ table: Which; v: number }>('q.Put', { entity: 'any' });
const Remove = defineEvent<{ table: Which }>('q.Remove', { entity: 'any' });
const Bump = defineEvent<{ table: Which }>('q.Bump', { entity: 'any' });
const A = defineComponent<Row>('a');
const B = defineComponent<Row>('b');

const tablesOf = (which: Which): ('a' | 'b')[] => (which === 'ab' ? ['a', 'b'] : [which]);

function querySystem(): EventSystem<World> {
  const system = new EventSystem<World>({
    seed: 3,
    store: new MemoryStore(),
    initialState: { a: {}, b: {} },
    events: [Put, Remove, Bump],
  });
  system.apply(Put, (d, e) => {
    for (const t of tablesOf(e.data.table)) d[t][e.entity] = { v: e.data.v };
  });
  system.apply(Remove, (d, e) => {
    for (const t of tablesOf(e.data.table)) delete d[t][e.entity];
  });
  system.apply(Bump, (d, e) => {
    for (const t of tablesOf(e.data.table)) {
      const row = d[t][e.entity];
      if (row !== undefined) row.v++;
    }
  });
  return system;
}

/** What each query should answer: the keys of its tables that all of them hold, sorted. */
function expected(state: World): Record<string, string[]> {
  const a = Object.keys(state.a);
  const b = Object.keys(state.b);
  return {
    a: [...a].sort(),
    b: [...b].sort(),
    ab: a.filter((id) => Object.hasOwn(state.b, id)).sort(),
  };
}

const POOL = Array.from({ length: 120 }, () => newEntityId());

const opArb = fc.record({
  kind: fc.constantFrom('put', 'put', 'put', 'remove', 'bump'),
  table: fc.constantFrom<Which>('a', 'b', 'ab'),
  // A run of neighbouring ids: bulk puts grow a table past 64 entries within a tick.
  first: fc.nat({ max: POOL.length - 1 }),
  count: fc.integer({ min: 1, max: 40 }),
});
// Each tick, and whether the caller queries after it: without, the next tick's listeners bring
// the result of the last one's up to date, two drafts' snapshots apart.
const ticksArb = fc.array(
  fc.record({
    ops: fc.array(opArb, { minLength: 1, maxLength: 6 }),
    queryAfter: fc.boolean(),
  }),
  { minLength: 1, maxLength: 12 },
);

describe('Queries', () => {
  it('answers every query as listing and filtering the tables would, in ticks and between them', async () => {
    await fc.assert(
      fc.asyncProperty(ticksArb, async (ticks) => {
        const system = querySystem();
        const kept: { ids: readonly string[]; copy: string[] }[] = [];
        const check = (
          state: World,
          answer: (c: Component<string, Row>, d?: Component<string, Row>) => readonly string[],
        ) => {
          const want = expected(state);
          const got = { a: answer(A), b: answer(B), ab: answer(A, B) };
          expect(got).toEqual(want);
          for (const ids of Object.values(got)) {
            expect(Object.isFrozen(ids)).toBe(true);
            kept.push({ ids, copy: [...ids] });
          }
        };
        for (const t of [Put, Remove, Bump]) {
          system.subscribe(t, (_e, ctx) => {
            check(ctx.state, (c, d) => (d === undefined ? ctx.query(c) : ctx.query(c, d)));
          });
        }
        let at = Date.now();
        for (const { ops, queryAfter } of ticks) {
          const inputs = ops.flatMap((op) =>
            Array.from({ length: op.count }, (_, i) => {
              const id = POOL[(op.first + i) % POOL.length] as string;
              if (op.kind === 'put') return input(Put, id, { table: op.table, v: i }, 'q');
              if (op.kind === 'remove') return input(Remove, id, { table: op.table }, 'q');
              return input(Bump, id, { table: op.table }, 'q');
            }),
          );
          await system.tick(inputs, { at: ++at });
          if (queryAfter)
            check(system.state, (c, d) => (d === undefined ? system.query(c) : system.query(c, d)));
        }
        // A result handed out is never changed by a later one.
        for (const { ids, copy } of kept) expect(ids).toEqual(copy);
        await system.close();
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('returns the same result across commits that change only values of a large table', async () => {
    const system = querySystem();
    let at = Date.now();
    await system.tick(
      POOL.map((id, i) => input(Put, id, { table: 'ab', v: i }, 'q')),
      { at: ++at },
    );
    const before = system.query(A, B);

    await system.tick([input(Bump, POOL[3] as string, { table: 'ab' }, 'q')], { at: ++at });

    expect(system.state.a[POOL[3] as string]).toEqual({ v: 4 });
    expect(system.query(A, B)).toBe(before);
    await system.close();
  });

  it('brings a cached result up to date with the one entity a tick added', async () => {
    const system = querySystem();
    let at = Date.now();
    const ids = POOL.slice(0, 100);
    await system.tick(
      ids.map((id, i) => input(Put, id, { table: 'ab', v: i }, 'q')),
      { at: ++at },
    );
    const before = system.query(A, B);
    const added = POOL[110] as string;

    await system.tick([input(Put, added, { table: 'ab', v: 0 }, 'q')], { at: ++at });

    expect(system.query(A, B)).toEqual([...before, added].sort());
    expect(before).toEqual([...ids].sort());
    await system.close();
  });
});

describe('KeySet', () => {
  it('tells the keys added and removed between two sets, through their common set', () => {
    const base = new KeySet(null, [], [], false, ['k1', 'k2', 'k3']);
    const committed = new KeySet(base, ['k4'], ['k1'], false);
    const snapshotBefore = new KeySet(base, ['k5'], ['k2'], true);
    const snapshotAfter = new KeySet(committed, ['k6'], ['k3'], true);

    expect(committed.changesSince(base)).toEqual({ added: ['k4'], removed: ['k1'] });
    // base {k1,k2,k3} → snapshotBefore {k1,k3,k5}; → snapshotAfter {k2,k4,k6}.
    expect(snapshotAfter.changesSince(snapshotBefore)).toEqual({
      added: ['k2', 'k4', 'k6'],
      removed: ['k1', 'k3', 'k5'],
    });
    expect(snapshotAfter.changesSince(new KeySet(null, [], [], false))).toBeNull();
  });

  it('cancels a key added and removed again along the way', () => {
    const base = new KeySet(null, [], [], false, ['k1']);
    const added = new KeySet(base, ['k2'], [], false);
    const removed = new KeySet(added, [], ['k2'], false);

    expect(removed.changesSince(base)).toEqual({ added: [], removed: [] });
  });

  it('merges its sorted keys from the last sorted set before it', () => {
    const base = new KeySet(null, [], [], false, ['b', 'd', 'f']);
    const next = new KeySet(base, ['a', 'e', 'g'], ['d'], false);
    const root = [] as never;

    expect(next.sorted(root)).toEqual(['a', 'b', 'e', 'f', 'g']);
    expect(Object.isFrozen(next.sorted(root))).toBe(true);
  });
});

describe('mergeKeys', () => {
  it('adds and removes keys at either end and in the middle', () => {
    expect(mergeKeys(['b', 'c', 'e'], ['a', 'd', 'f'], ['c'])).toEqual(['a', 'b', 'd', 'e', 'f']);
    expect(mergeKeys([], ['a'], [])).toEqual(['a']);
    expect(mergeKeys(['a', 'b'], [], ['a', 'b'])).toEqual([]);
  });
});
