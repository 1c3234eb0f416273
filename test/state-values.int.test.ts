/**
 * A state holding what payloads cannot (`undefined`, `-0`, array holes), written by appliers:
 * a system reopened from its snapshot — on the memory store and on the file store — holds the
 * same values as the live run (`Object.is`, own keys, holes) under the same hash, in small
 * (plain) tables, large (trie) tables and top-level values alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defineEvent,
  EventSystem,
  hashState,
  input,
  MemoryStore,
  newEntityId,
  type EventStore,
  type Table,
} from '@causeway/runtime';
import { FileStore } from '@causeway/adapters/file';
import { afterEach, describe, expect, it } from 'vitest';

interface Odd {
  note: string | undefined;
  zero: number;
  list: (number | undefined)[];
  present?: undefined;
}

interface Odds {
  small: Table<Odd>;
  large: Table<Odd>;
  top: number | null | undefined;
  zero: number;
}

const Added = defineEvent<{ n: number }, 'values.Added'>('values.Added', { entity: 'new' });

// More entities than a plain table holds (64): the large table is a trie.
const LARGE = 70;

function odd(n: number): Odd {
  // A hole at index 1 (written by extending the array, as an applier might), an explicit
  // undefined at 2, a -0 made by arithmetic, and a key that is present but undefined.
  const list: (number | undefined)[] = [n];
  list[2] = undefined;
  list[3] = -0 * n;
  return { note: undefined, zero: -0, list, present: undefined };
}

function makeSystem(store: EventStore): EventSystem<Odds> {
  const system = new EventSystem<Odds>({
    seed: 5,
    store,
    // `zero` starts at 1: immer keeps a 0 that -0 is written over (its draft compares with ===).
    initialState: { small: {}, large: {}, top: null, zero: 1 },
    snapshotEvery: 0,
  });
  system.apply(Added, (draft, e) => {
    draft.large[e.entity] = odd(e.data.n);
    if (e.data.n < 3) draft.small[e.entity] = odd(e.data.n);
    draft.top = undefined;
    draft.zero = -0;
  });
  return system;
}

async function liveRun(store: EventStore): Promise<EventSystem<Odds>> {
  const system = makeSystem(store);
  await system.open();
  const inputs = Array.from({ length: LARGE }, (_, n) =>
    input(Added, newEntityId(), { n: n + 1 }, 'test'),
  );
  await system.tick(inputs, { at: Date.now() });
  await system.snapshot();
  return system;
}

/** Everything about a value an applier or listener can tell apart, as a comparable list. */
function facts(value: unknown, path = '$', out: string[] = []): string[] {
  if (typeof value !== 'object' || value === null) {
    out.push(`${path} ${Object.is(value, -0) ? '-0' : String(value)}`);
    return out;
  }
  const keys = Object.keys(value);
  out.push(`${path} keys ${keys.join(',')}`);
  for (const key of keys) facts((value as Record<string, unknown>)[key], `${path}.${key}`, out);
  return out;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe('a state holding undefined, -0 and array holes', () => {
  const stores: [string, () => Promise<() => EventStore>][] = [
    [
      'memory',
      () => {
        // A named memory log outlives the store object that closed, as a file does.
        const name = `values-${newEntityId()}`;
        return Promise.resolve(() => new MemoryStore({ name }));
      },
    ],
    [
      'file',
      async () => {
        const dir = await mkdtemp(join(tmpdir(), 'cw-values-'));
        closers.push(() => rm(dir, { recursive: true, force: true }));
        return () => new FileStore({ dir, durability: 'none' });
      },
    ],
  ];

  for (const [name, place] of stores) {
    it(`reopens from its snapshot on the ${name} store with the live run's values and hash`, async () => {
      const open = await place();
      const live = await liveRun(open());
      const liveFacts = facts(live.state);
      const liveHash = live.lastCommit?.hash;
      await live.close();
      const [id] = Object.keys(live.state.small);

      const reopened = makeSystem(open());
      await reopened.open();
      closers.push(() => reopened.close());

      expect(await reopened.store.latestSnapshot()).not.toBeNull();
      const entry = reopened.state.small[id as string] as Odd;
      const large = reopened.state.large[id as string] as Odd;
      for (const value of [entry, large]) {
        expect(value.note).toBe(undefined);
        expect(Object.is(value.zero, -0)).toBe(true);
        expect('present' in value).toBe(true);
        expect(1 in value.list).toBe(false);
        expect(2 in value.list).toBe(true);
        expect(Object.is(value.list[3], -0)).toBe(true);
      }
      expect(reopened.state.top).toBe(undefined);
      expect(Object.is(reopened.state.zero, -0)).toBe(true);
      expect(facts(reopened.state)).toEqual(liveFacts);
      expect(reopened.lastCommit?.hash).toBe(liveHash);
      expect(hashState(reopened.state)).toBe(liveHash);
    });
  }
});
