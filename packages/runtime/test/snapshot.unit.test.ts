import {
  MemoryStore,
  rebuild,
  type EventStore,
  type EventSystem,
  type StoredEnvelope,
} from '@causeway/runtime';
import { runScript } from '@causeway/runtime/testing';
import { describe, expect, it } from 'vitest';
import { makeWorld, worldScript, type World } from './fixtures/world.ts';

const every2 = (store: EventStore): EventSystem<World> => makeWorld(store, { snapshotEvery: 2 });

async function snapshottedRun(): Promise<EventSystem<World>> {
  const system = every2(new MemoryStore());
  await runScript(system, worldScript());
  return system;
}

/** Copies a log's inputs, events and commits into a new memory store, without its snapshots. */
async function copyWithoutSnapshots(from: EventStore): Promise<MemoryStore> {
  const to = new MemoryStore();
  const header = await from.open();
  if (header === null) throw new Error('empty log');
  await to.open(header);
  await to.journal(await from.readInputs(0, 10_000));
  const events = (await from.readEvents({ limit: 10_000 })).items;
  for (const commit of await from.readCommits(0, 10_000)) {
    await to.commit(commit, events.slice(commit.firstSeq - 1, commit.lastSeq));
  }
  return to;
}

async function readLog(store: EventStore): Promise<unknown> {
  return {
    events: (await store.readEvents({ limit: 10_000 })).items,
    commits: await store.readCommits(0, 10_000),
  };
}

describe('snapshots', () => {
  it('are taken every snapshotEvery ticks', async () => {
    const live = await snapshottedRun();

    const ticks = [];
    for (let t = 1; t <= worldScript().length; t++)
      ticks.push((await live.store.latestSnapshot(t))?.tick ?? 0);

    expect(ticks).toEqual([0, 2, 2, 4, 4, 6, 6]);
  });

  it('rebuild from the latest snapshot equals rebuild from the start, on a copy without it', async () => {
    const live = await snapshottedRun();
    const copy = await copyWithoutSnapshots(live.store);
    expect(await copy.latestSnapshot()).toBeNull();

    const fromSnapshot = await rebuild(live.store, every2);
    const fromStart = await rebuild(copy, every2);

    expect(fromSnapshot.hash).toBe(fromStart.hash);
    expect(fromSnapshot.state).toEqual(fromStart.state);
    expect(fromSnapshot.hash).toBe(live.lastCommit?.hash);
  });

  it('rebuild to every tick is the same with and without snapshots', async () => {
    const live = await snapshottedRun();

    for (let tick = 0; tick <= worldScript().length; tick++) {
      const withSnapshots = await rebuild(live.store, every2, { tick });
      const without = await rebuild(live.store, every2, { tick, snapshots: false });

      expect(withSnapshots.hash, `tick ${tick}`).toBe(without.hash);
      expect(withSnapshots.state, `tick ${tick}`).toEqual(without.state);
    }
  });

  it('rebuild uses the snapshot: events before it are never read', async () => {
    const live = await snapshottedRun();
    const snapshot = await live.store.latestSnapshot();
    const reads: number[] = [];
    const watched: EventStore = Object.create(live.store, {
      readEvents: {
        value: (q?: { fromSeq?: number }) => {
          reads.push(q?.fromSeq ?? 1);
          return live.store.readEvents(q);
        },
      },
    }) as EventStore;

    const rebuilt = await rebuild(watched, every2);

    expect(rebuilt.hash).toBe(live.lastCommit?.hash);
    expect(Math.min(...reads)).toBeGreaterThan(snapshot?.lastSeq ?? 0);
  });

  it('a system reopened from a snapshot with timers pending continues exactly as one that never stopped', async () => {
    const script = worldScript();
    const uninterrupted = await snapshottedRun();
    const name = `snapshot-reopen-${String(script.length)}`;
    const first = every2(new MemoryStore({ name }));
    await runScript(first, script.slice(0, 4));
    await first.close();

    const second = every2(new MemoryStore({ name }));
    await runScript(second, script, 4);

    expect(await readLog(second.store)).toEqual(await readLog(uninterrupted.store));
    const woke = (await second.store.readEvents({ type: 'WokeUp' })).items as StoredEnvelope[];
    expect(woke.length).toBeGreaterThan(0);
  });
});
