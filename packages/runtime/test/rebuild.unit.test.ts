import { describe, expect, it } from 'vitest';
import {
  defineEvent,
  EventSystem,
  input,
  MemoryStore,
  newEntityId,
  type Table,
} from '../src/index.ts';
import { snakeEvents, snakeSystem, type Snakes } from './fixtures/snakes.ts';

interface Shelf {
  items: Table<{ n: number }>;
  copies: Table<{ n: number }>;
}

const Placed = defineEvent<{ n: number }, 'rebuild.Placed'>('rebuild.Placed', { entity: 'new' });
const Copied = defineEvent<Record<string, never>, 'rebuild.Copied'>('rebuild.Copied', {
  entity: 'existing',
});
const Bumped = defineEvent<Record<string, never>, 'rebuild.Bumped'>('rebuild.Bumped', {
  entity: 'existing',
});

/**
 * Appliers that reach past their tick: they alias an object, and keep the payload (which the
 * live tick's end freezes) unless `copy`.
 */
function shelf(store: MemoryStore, snapshotEvery = 0, copy = false): EventSystem<Shelf> {
  const system = new EventSystem<Shelf>({
    seed: 4,
    store,
    snapshotEvery,
    initialState: { items: {}, copies: {} },
  });
  system.apply(Placed, (draft, e) => {
    draft.items[e.entity] = copy ? { n: e.data.n } : e.data;
  });
  system.apply(Copied, (draft, e) => {
    const item = draft.items[e.entity];
    if (item !== undefined) draft.copies[e.entity] = item;
  });
  system.apply(Bumped, (draft, e) => {
    const item = draft.items[e.entity];
    if (item !== undefined) item.n += 1;
  });
  return system;
}

async function writeLog(name: string, snapshotEvery = 0, copy = false): Promise<string> {
  const system = shelf(new MemoryStore({ name }), snapshotEvery, copy);
  const id = newEntityId();
  let at = Date.now();
  await system.tick([input(Placed, id, { n: 1 }, 'a')], { at: at++ });
  await system.tick([input(Copied, id, {}, 'a')], { at: at++ });
  await system.tick([input(Bumped, id, {}, 'a'), input(Bumped, id, {}, 'a')], { at: at++ });
  await system.tick([input(Bumped, id, {}, 'a')], { at: at++ });
  const hash = system.lastCommit?.hash ?? '';
  await system.close();
  return hash;
}

describe('rebuild', () => {
  for (const copy of [false, true]) {
    it(`rebuilds the live state of appliers that alias an object across ticks (payload ${copy ? 'copied' : 'kept'})`, async () => {
      const name = `rebuild-alias-${Math.random()}`;
      const hash = await writeLog(name, 0, copy);
      const reader = shelf(new MemoryStore({ name }), 0, copy);
      await reader.open();
      expect(reader.lastCommit?.hash).toBe(hash);
      const [id] = Object.keys(reader.state.items);
      expect(reader.state.items[id as string]).toEqual({ n: 4 });
      expect(reader.state.copies[id as string]).toEqual({ n: 1 });
      await reader.close();
    });
  }

  it('keeps the logged payload of an event whose applier put it into the state when a later applier of the tick changes that state', async () => {
    const name = `rebuild-payload-${Math.random()}`;
    const system = shelf(new MemoryStore({ name }));
    const id = newEntityId();
    await system.tick([input(Placed, id, { n: 1 }, 'a'), input(Bumped, id, {}, 'a')], {
      at: Date.now(),
    });
    const hash = system.lastCommit?.hash;
    await system.close();

    const reader = shelf(new MemoryStore({ name }));
    await reader.open();

    expect((await reader.readEvents({ type: Placed.name })).items[0]?.data).toEqual({ n: 1 });
    expect(reader.lastCommit?.hash).toBe(hash);
    expect(reader.state.items[id]).toEqual({ n: 2 });
    await reader.close();
  });

  it('keeps the logged payload of an emitted event whose array an applier put into the state and a later applier of the tick grew', async () => {
    const Joined = defineEvent<Record<string, never>>('rebuild.Joined', { entity: 'new' });
    const { Spawned, Grew } = snakeEvents('rebuild', 'existing');
    const make = (store: MemoryStore): EventSystem<Snakes> => {
      const system = snakeSystem({ Spawned, Grew }, store);
      system.subscribe(Joined, function spawn(e, ctx) {
        ctx.emit(Spawned, e.entity, { body: [1] });
        ctx.emit(Grew, e.entity, { cell: 2 });
      });
      return system;
    };
    const name = `rebuild-emitted-payload-${Math.random()}`;
    const live = make(new MemoryStore({ name }));
    await live.tick([input(Joined, newEntityId(), {}, 'a')], { at: Date.now() });
    await live.close();

    const reader = make(new MemoryStore({ name }));
    await reader.open();

    expect((await reader.readEvents({ type: Spawned.name })).items[0]?.data).toEqual({
      body: [1],
    });
    expect(reader.lastCommit).toEqual(live.lastCommit);
    await reader.close();
  });

  it('rebuilds, without copying payloads, a log whose appliers grow an array a payload put into the state in an earlier tick', async () => {
    const events = snakeEvents('rebuild.long');
    const { Spawned, Grew } = events;
    const make = (store: MemoryStore): EventSystem<Snakes> => snakeSystem(events, store);
    const name = `rebuild-long-alias-${Math.random()}`;
    const live = make(new MemoryStore({ name }));
    // Past 64 entries, so the table is a trie the rebuild drafts over many ticks at once.
    const ids = Array.from({ length: 80 }, () => newEntityId());
    const at = Date.now();
    await live.tick(
      ids.map((id) => input(Spawned, id, { body: [0] }, 'a')),
      { at },
    );
    for (let t = 1; t <= 3; t++)
      await live.tick(
        ids.map((id) => input(Grew, id, { cell: t }, 'a')),
        { at: at + t },
      );
    await live.close();

    const reader = make(new MemoryStore({ name }));
    await reader.open();

    expect(reader.lastCommit).toEqual(live.lastCommit);
    expect(reader.state.snakes[ids[5] as string]).toEqual({ body: [0, 1, 2, 3] });
    expect((await reader.readEvents({ type: Spawned.name, limit: 1 })).items[0]?.data).toEqual({
      body: [0],
    });
    await reader.close();
  });

  it('rebuilds from a snapshot the same way', async () => {
    const name = `rebuild-snapshot-${Math.random()}`;
    const hash = await writeLog(name, 2);
    const reader = shelf(new MemoryStore({ name }));
    await reader.open();
    expect(reader.lastCommit?.hash).toBe(hash);
    await reader.close();
  });
});
