import {
  defineEvent,
  EventSystem,
  input,
  MemoryStore,
  rebuild,
  type EventStore,
  type Table,
} from '@causeway/runtime';
import { testEntityId } from '@causeway/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachInspector, type AttachedInspector } from '../src/agent/index.ts';
import { InspectorClient, type SocketConstructor } from '../src/client/index.ts';

// A state whose tables are far larger than one `stateAt` page and than the runtime's plain
// tables (64 entries): the agent's states go through the runtime's tries, and its answers page.

const ENTITIES = 1500;
const START = Date.UTC(2026, 0, 1);

interface Shop {
  items: Table<{ stock: number; tags: string[] }>;
}

const Stocked = defineEvent<{ stock: number }>('Stocked', { entity: 'new' });
const Sold = defineEvent<{ count: number }>('Sold', { entity: 'existing' });

const item = (n: number): string => testEntityId(n, START);

function makeShop(store: EventStore): EventSystem<Shop> {
  const system = new EventSystem<Shop>({
    seed: 5,
    store,
    initialState: { items: {} },
    events: [Stocked, Sold],
  });
  system.apply(Stocked, (draft, e) => {
    draft.items[e.entity] = { stock: e.data.stock, tags: ['new'] };
  });
  system.apply(Sold, (draft, e) => {
    const found = draft.items[e.entity];
    if (found === undefined) return;
    found.stock -= e.data.count;
    found.tags.push(`sold ${e.data.count}`);
  });
  return system;
}

let system: EventSystem<Shop>;
let inspector: AttachedInspector;
let client: InspectorClient;

beforeAll(async () => {
  system = makeShop(new MemoryStore());
  let at = START;
  for (let from = 1; from <= ENTITIES; from += 500) {
    const inputs = Array.from({ length: 500 }, (_, i) =>
      input(Stocked, item(from + i), { stock: 100 + i }, 'clerk'),
    );
    await system.tick(inputs, { at: (at += 1000) });
  }
  for (let t = 0; t < 12; t++) {
    const inputs = Array.from({ length: 250 }, (_, i) =>
      input(Sold, item(1 + ((t * 250 + i * 7) % ENTITIES)), { count: 1 + (i % 3) }, 'clerk'),
    );
    await system.tick(inputs, { at: (at += 1000) });
  }
  // Checkpoints every 700 events: states between them are replayed on a draft of the nearest.
  inspector = await attachInspector(system, {
    makeSystem: makeShop,
    print: () => undefined,
    checkpointEvery: 700,
  });
  await inspector.service.history?.settled();
  client = await InspectorClient.connect(inspector.wsUrl, {
    WebSocket: WebSocket as unknown as SocketConstructor,
  });
});

afterAll(async () => {
  client.close();
  await inspector.close();
  await system.close();
});

describe('the inspector over a state of large tables', () => {
  it('serves the state after a tick equal to the rebuilt state, at every tick', async () => {
    const commits = await client.call('commits', { limit: 100 });
    expect(commits.commits.length).toBe(15);
    for (const commit of commits.commits) {
      const served = await client.call('stateAt', { seq: commit.lastSeq });
      const rebuilt = await rebuild(system.store, makeShop, { tick: commit.tick });
      expect(served.windows).toEqual([]);
      expect(served.value).toEqual(rebuilt.state);
    }
  });

  it('serves states between checkpoints and ticks, and each event patches', async () => {
    const whole = await client.call('stateAt', { seq: 2100 });
    const before = await client.call('stateAt', { seq: 2099 });
    const patches = await client.call('patches', { seq: 2100 });
    const event = await client.call('event', { seq: 2100 });
    const id = event.event.entity;
    expect(patches.patches.length).toBeGreaterThan(0);
    for (const patch of patches.patches) expect(patch.path.slice(0, 2)).toEqual(['items', id]);
    const after = (whole.value as Shop).items[id];
    const was = (before.value as Shop).items[id];
    expect(after?.stock).toBe((was?.stock ?? 0) - (event.event.data as { count: number }).count);
  });

  it('pages a wide table: every page in the state order, together the whole table', async () => {
    const seq = 2500;
    const whole = (await client.call('stateAt', { seq, path: ['items'] })).value as Shop['items'];
    const keys = Object.keys(whole);
    expect(keys.length).toBe(ENTITIES);
    const first = await client.call('stateAt', { seq, depth: 4, width: 200 });
    expect(first.windows).toEqual([{ path: ['items'], offset: 0, shown: 200, size: ENTITIES }]);
    const seen: [string, unknown][] = Object.entries((first.value as Shop).items);
    while (seen.length < ENTITIES) {
      const page = await client.call('stateAt', {
        seq,
        path: ['items'],
        depth: 3,
        width: 200,
        offset: seen.length,
      });
      const window = page.windows[0];
      expect(window).toEqual({
        path: ['items'],
        offset: seen.length,
        shown: Math.min(200, ENTITIES - seen.length),
        size: ENTITIES,
      });
      seen.push(...Object.entries(page.value as Shop['items']));
    }
    expect(seen.map(([key]) => key)).toEqual(keys);
    expect(Object.fromEntries(seen)).toEqual(whole);
  });

  it('cuts arrays inside the entries too, and counts what it left out', async () => {
    const id = item(8);
    const value = (await client.call('stateAt', { seq: 4500, path: ['items', id, 'tags'] }))
      .value as string[];
    expect(value.length).toBeGreaterThan(2);
    const cut = await client.call('stateAt', {
      seq: 4500,
      path: ['items', id],
      width: 2,
    });
    expect(cut.windows).toEqual([
      { path: ['items', id, 'tags'], offset: 0, shown: 2, size: value.length },
    ]);
    const rest = await client.call('stateAt', {
      seq: 4500,
      path: ['items', id, 'tags'],
      width: 2,
      offset: 2,
    });
    expect([...(cut.value as { tags: string[] }).tags, ...(rest.value as string[])]).toEqual(
      value.slice(0, 4),
    );
    // Past the end: nothing, and the window says where the end is.
    const past = await client.call('stateAt', {
      seq: 4500,
      path: ['items'],
      width: 5,
      offset: 10 ** 6,
    });
    expect(past.value).toEqual({});
    expect(past.windows).toEqual([{ path: ['items'], offset: ENTITIES, shown: 0, size: ENTITIES }]);
  });

  it('searches the state in the agent and sends only the entries holding a match', async () => {
    const id = item(777);
    const found = await client.call('searchState', { seq: 4500, query: id.slice(-12) });
    expect(found.matches).toEqual([{ path: ['items', id], on: 'key' }]);
    expect(found.truncated).toBe(false);
    const whole = (await client.call('stateAt', { seq: 4500, path: ['items', id] })).value;
    expect(found.state).toEqual({ items: { [id]: whole } });
    // A value shared by many entries: every match, in the state's order, up to the limit.
    const many = await client.call('searchState', { seq: 4500, query: 'sold 2', limit: 5 });
    expect(many.matches).toHaveLength(5);
    expect(many.truncated).toBe(true);
    const keys = Object.keys(
      (await client.call('stateAt', { seq: 4500, path: ['items'] })).value as object,
    );
    const order = many.matches.map((m) => keys.indexOf(m.path[1] as string));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const match of many.matches) {
      expect(match.on).toBe('value');
      expect(match.path.slice(0, 3)).toEqual(['items', match.path[1], 'tags']);
    }
    expect(Object.keys((many.state as Shop).items)).toEqual([
      ...new Set(many.matches.map((m) => m.path[1] as string)),
    ]);
    // The table's name alone: its size, not its entries.
    const byName = await client.call('searchState', { seq: 4500, query: 'ITEMS' });
    expect(byName.state).toEqual({ items: { $truncated: 'map', size: ENTITIES } });
  });

  it('diffs two states in the agent, as a client diffing them whole would', async () => {
    const diff = await client.call('diffStates', { seq: 2600, base: 2300, limit: 1000 });
    const before = (await client.call('stateAt', { seq: 2300 })).value as Shop;
    const after = (await client.call('stateAt', { seq: 2600 })).value as Shop;
    expect(diff.truncated).toBe(false);
    expect(diff.changes.length).toBeGreaterThan(100);
    for (const change of diff.changes) {
      const [, id, field] = change.path as [string, string, string, number?];
      const was = before.items[id];
      const is = after.items[id];
      if (field === 'stock') {
        expect(change).toEqual({
          path: ['items', id, 'stock'],
          existedBefore: true,
          before: was?.stock,
          existsAfter: true,
          after: is?.stock,
        });
      } else {
        expect(change, JSON.stringify(change)).toMatchObject({ existedBefore: false });
        expect(change.after).toBe(is?.tags[change.path[3] as number]);
      }
    }
    const changedIds = new Set(diff.changes.map((c) => c.path[1]));
    for (const [id, value] of Object.entries(after.items))
      expect(changedIds.has(id)).toBe(JSON.stringify(value) !== JSON.stringify(before.items[id]));
    const cut = await client.call('diffStates', { seq: 2600, base: 2300, limit: 3 });
    expect(cut).toEqual({
      seq: 2600,
      base: 2300,
      changes: diff.changes.slice(0, 3),
      truncated: true,
    });
    await expect(client.call('diffStates', { seq: 2600, base: 10 ** 9 })).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('refuses a width of 0 and a negative offset with the field named', async () => {
    await expect(client.call('stateAt', { seq: 1, width: 0 })).rejects.toMatchObject({
      code: 'bad-params',
      message: expect.stringContaining('width') as unknown,
    });
    await expect(client.call('stateAt', { seq: 1, offset: -1 })).rejects.toMatchObject({
      code: 'bad-params',
      message: expect.stringContaining('offset') as unknown,
    });
  });
});
