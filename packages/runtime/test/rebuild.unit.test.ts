import { describe, expect, it } from 'vitest';
import {
  defineEvent,
  EventSystem,
  input,
  MemoryStore,
  newEntityId,
  type Table,
} from '../src/index.ts';

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

  it('rebuilds from a snapshot the same way', async () => {
    const name = `rebuild-snapshot-${Math.random()}`;
    const hash = await writeLog(name, 2);
    const reader = shelf(new MemoryStore({ name }));
    await reader.open();
    expect(reader.lastCommit?.hash).toBe(hash);
    await reader.close();
  });
});
