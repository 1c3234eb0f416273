import { MemoryStore, rebuild, type EventSystem, type TickCommit } from '@causeway/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachInspector, type AttachedInspector } from '../src/agent/index.ts';
import { InspectorClient, type SocketConstructor } from '../src/client/index.ts';
import { isInspectorError, type Pushes } from '../src/protocol/index.ts';
import {
  counter,
  makeSystem,
  Milestone,
  runTicks,
  START,
  type Counters,
} from './fixtures/counter-app.ts';

const quiet = (): void => undefined;
const TICKS = 120;

let system: EventSystem<Counters>;
let inspector: AttachedInspector;
let client: InspectorClient;

function connect(url: string): Promise<InspectorClient> {
  return InspectorClient.connect(url, { WebSocket: WebSocket as unknown as SocketConstructor });
}

beforeAll(async () => {
  system = makeSystem(new MemoryStore());
  await runTicks(system, 1, TICKS);
  inspector = await attachInspector(system, {
    makeSystem,
    print: quiet,
    checkpointEvery: 50,
    compareWith: ['memory:'],
    openOther: () => Promise.resolve(divergentStore()),
  });
  await inspector.service.history?.settled();
  client = await connect(inspector.wsUrl);
});

afterAll(async () => {
  client.close();
  await inspector.close();
  await system.close();
});

let divergent: MemoryStore | null = null;
function divergentStore(): MemoryStore {
  if (divergent === null) throw new Error('the divergent store is made by its test');
  return divergent;
}

describe('the inspector agent over a live system', () => {
  it('greets with the protocol version and the live mode', () => {
    expect(client.hello).toEqual({ protocol: 1, mode: 'live', store: system.store.description });
  });

  it('summarises the log: counts, types, seed and indexing', async () => {
    const summary = await client.call('summary', {});
    expect(summary.ticks).toBe(TICKS);
    expect(summary.events).toBe(system.lastCommit?.lastSeq);
    expect(summary.inputs).toBe(3 + TICKS - 1);
    expect(summary.seed).toBe(42);
    expect(summary.types.map((t) => t.name)).toContain('Milestone');
    expect(summary.entities).toBe(3);
    expect(summary.indexedSeq).toBe(summary.events);
  });

  it('pages events by type with a cursor until the end', async () => {
    const seen: number[] = [];
    let cursor: number | undefined;
    do {
      const page = await client.call('events', {
        filter: { type: 'Milestone' },
        limit: 5,
        ...(cursor === undefined ? {} : { cursor }),
      });
      seen.push(...page.events.map((e) => e.seq));
      expect(page.events.every((e) => e.type === 'Milestone')).toBe(true);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    const all = await system.readEvents({ type: 'Milestone', limit: 10_000 });
    expect(seen).toEqual(all.items.map((e) => e.seq));
  });

  it('filters events by entity, actor, tick range and text inside payloads', async () => {
    const byEntity = await client.call('events', { filter: { entity: counter(2) }, limit: 1000 });
    expect(byEntity.events.length).toBeGreaterThan(0);
    expect(byEntity.events.every((e) => e.entity === counter(2))).toBe(true);
    const byActor = await client.call('events', { filter: { actor: 'milestones' }, limit: 1000 });
    expect(byActor.events.every((e) => e.type === 'Milestone')).toBe(true);
    const byTicks = await client.call('events', { filter: { fromTick: 10, toTick: 12 } });
    expect(byTicks.events.map((e) => e.tick).sort()).toEqual(expect.arrayContaining([10, 11, 12]));
    expect(byTicks.events.every((e) => e.tick >= 10 && e.tick <= 12)).toBe(true);
    const byText = await client.call('events', { filter: { text: 'PASSED 50' }, limit: 1000 });
    expect(byText.events.length).toBeGreaterThan(0);
    expect(
      byText.events.every((e) => (e.data as { note: string }).note.includes('passed 50')),
    ).toBe(true);
  });

  it('gives an event with its causation chain to the input and its consequences', async () => {
    const milestone = (await client.call('events', { filter: { type: 'Milestone' }, limit: 1 }))
      .events[0];
    expect(milestone).toBeDefined();
    const detail = await client.call('event', { seq: milestone?.seq ?? 0 });
    expect(detail.causes).toHaveLength(1);
    expect(detail.causes[0]?.type).toBe('Incremented');
    expect(detail.causes[0]?.causation).toBeNull();
    const input = await client.call('event', { seq: detail.causes[0]?.seq ?? 0 });
    expect(input.consequences.map((n) => n.event.seq)).toEqual([milestone?.seq]);
  });

  it('serves the state at a seq equal to the rebuilt state at that tick', async () => {
    const commits = await client.call('commits', { afterTick: 76, limit: 1 });
    const commit = commits.commits[0] as TickCommit;
    const state = await client.call('stateAt', { seq: commit.lastSeq });
    const rebuilt = await rebuild(system.store, makeSystem, { tick: commit.tick });
    expect(state.value).toEqual(rebuilt.state);
    const value = await client.call('stateAt', {
      seq: commit.lastSeq,
      path: ['counters', counter(1), 'value'],
    });
    expect(value.value).toBe(rebuilt.state.counters[counter(1)]?.value);
  });

  it('truncates maps below the asked depth', async () => {
    const state = await client.call('stateAt', { seq: 10, depth: 1 });
    expect(state.value).toEqual({
      counters: { $truncated: 'map', size: 3 },
      milestones: expect.objectContaining({ $truncated: 'map' }) as unknown,
    });
  });

  it('gives the patches and inverse patches of an event', async () => {
    const page = await client.call('events', {
      filter: { type: 'Incremented', entity: counter(1) },
      limit: 1,
    });
    const seq = page.events[0]?.seq ?? 0;
    const patches = await client.call('patches', { seq });
    expect(patches.patches).toEqual([
      {
        op: 'replace',
        path: ['counters', counter(1), 'value'],
        value: expect.any(Number) as unknown,
      },
    ]);
    expect(patches.inverse).toEqual([
      { op: 'replace', path: ['counters', counter(1), 'value'], value: 0 },
    ]);
  });

  it('lists every change of a path with the value before and after', async () => {
    const path = ['counters', counter(3), 'value'];
    const history = await client.call('pathHistory', { path, limit: 1000 });
    const increments = await system.readEvents({
      type: 'Incremented',
      entity: counter(3),
      limit: 10_000,
    });
    const [created, ...changes] = history.changes;
    expect(created).toMatchObject({ type: 'CounterCreated', existedBefore: false, after: 0 });
    expect(changes.map((c) => c.seq)).toEqual(increments.items.map((e) => e.seq));
    let value = 0;
    for (const change of changes) {
      expect(change.before).toBe(value);
      value = change.after as number;
    }
    expect(value).toBe(system.state.counters[counter(3)]?.value);
  });

  it('pages a path history with a cursor', async () => {
    const path = ['counters', counter(1)];
    const first = await client.call('pathHistory', { path, limit: 4 });
    expect(first.changes).toHaveLength(4);
    expect(first.changes[0]?.existedBefore).toBe(false);
    const second = await client.call('pathHistory', { path, limit: 4, cursor: first.next ?? 0 });
    expect(second.changes[0]?.seq).toBeGreaterThan(first.changes[3]?.seq ?? Infinity);
    expect(second.changes[0]?.before).toEqual(first.changes[3]?.after);
  });

  it('gives an entity history with all its components over time', async () => {
    const history = await client.call('entityHistory', { entity: counter(2), limit: 1000 });
    const last = history.versions[history.versions.length - 1];
    expect(last?.components).toEqual({
      counters: system.state.counters[counter(2)],
      milestones: system.state.milestones[counter(2)],
    });
    expect(history.versions[0]?.type).toBe('CounterCreated');
  });

  it('pages tick commits with their hashes', async () => {
    const page = await client.call('commits', { afterTick: 0, limit: 50 });
    expect(page.commits.map((c) => c.tick)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(page.next).toBe(50);
    const stored = await system.store.readCommits(0, 50);
    expect(page.commits).toEqual(stored);
  });

  it('pushes new commits to a following client', async () => {
    const tails: Pushes['tail'][] = [];
    const got = new Promise<void>((resolve) => {
      client.on('tail', (data) => {
        tails.push(data);
        if (data.commits.some((c) => c.tick === TICKS + 2)) resolve();
      });
    });
    await client.call('follow', {});
    await runTicks(system, TICKS + 1, TICKS + 2);
    await got;
    await client.call('unfollow', {});
    expect(tails.flatMap((t) => t.commits.map((c) => c.tick))).toEqual([TICKS + 1, TICKS + 2]);
    expect(tails.every((t) => t.skipped === 0)).toBe(true);
  });

  it('verifies the log by re-executing it, with progress pushes', async () => {
    const progress: number[] = [];
    const stop = client.on('verifyProgress', (p) => progress.push(p.ticks));
    const result = await client.call('verify', {});
    stop();
    expect(result).toEqual({ ok: true, ticks: TICKS + 2, events: expect.any(Number) as unknown });
    expect(progress).toContain(100);
  });

  it('compares with another log and names the first divergent tick, event and paths', async () => {
    divergent = new MemoryStore();
    const other = makeSystem(divergent);
    await runTicks(other, 1, 30);
    await other.tick(
      [
        {
          type: (await import('./fixtures/counter-app.ts')).Incremented,
          entity: counter(1),
          data: { by: 100 },
          actor: 'user1',
        },
      ],
      { at: START + 31_000 },
    );
    const result = await client.call('compare', { other: 'memory:' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.divergence.tick).toBe(31);
    expect(result.divergence.event?.data.map((d) => d.path)).toContain('by');
    expect(result.divergence.state?.ok).toBe(true);
  });

  it('lists listener runs per tick from the activities log', async () => {
    const { ticks } = await client.call('activities', { fromTick: 100, toTick: 110 });
    expect(ticks.map((t) => t.tick)).toEqual(Array.from({ length: 11 }, (_, i) => 100 + i));
    expect(ticks.every((t) => t.runs.every((r) => r.listener === 'milestones'))).toBe(true);
  });

  it('answers bad params, unknown seqs and missing features with typed errors', async () => {
    const errors = await Promise.all([
      client.call('stateAt', { seq: -1 }).catch((e: unknown) => e),
      client.call('event', { seq: 10_000_000 }).catch((e: unknown) => e),
      client.call('exportTest', { fromInput: 1, toInput: 2 }).catch((e: unknown) => e),
      client.call('pathHistory', { path: [] }).catch((e: unknown) => e),
    ]);
    expect(errors.map((e) => (isInspectorError(e) ? e.code : e))).toEqual([
      'bad-params',
      'not-found',
      'unavailable',
      'bad-params',
    ]);
  });

  it('lists the milestone events the listener emitted in the log', async () => {
    const page = await client.call('events', { filter: { type: Milestone.name }, limit: 1000 });
    expect(page.events.length).toBe(
      (await system.readEvents({ type: 'Milestone', limit: 10_000 })).items.length,
    );
  });
});

describe('a long comparison', () => {
  it('lets the app’s event loop turn while it reads two memory logs', async () => {
    // Arrange: two equal logs of 5,000 ticks in memory stores, which answer reads without
    // ever leaving the microtask queue.
    const mine = makeSystem(new MemoryStore());
    await runTicks(mine, 1, 5000);
    const peer = new MemoryStore();
    const writer = makeSystem(peer);
    await runTicks(writer, 1, 5000);
    const long = await attachInspector(mine, {
      print: quiet,
      compareWith: ['memory:'],
      openOther: () => Promise.resolve(peer),
    });
    let turns = 0;
    const turn = (): void => {
      turns++;
      if (pending) setImmediate(turn);
    };
    let pending = true;
    setImmediate(turn);
    // Act
    const result = await long.service.call('compare', { other: 'memory:' }, () => undefined);
    pending = false;
    const turnsDuring = turns;
    await long.close();
    await mine.close();
    // Assert
    expect(result).toMatchObject({ ok: true, ticks: 5000 });
    expect(turnsDuring).toBeGreaterThan(0);
  });
});

describe('closing the inspector while a long request runs', () => {
  it('stops a verify in flight with unavailable, and the app goes on', async () => {
    // Arrange
    const app = makeSystem(new MemoryStore());
    await runTicks(app, 1, 5000);
    const detached = await attachInspector(app, { makeSystem, print: quiet });
    const verifying = detached.service
      .call('verify', {}, () => undefined)
      .catch((err: unknown) => err);
    // Act: detach once the re-execution is under way.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await detached.close();
    const outcome = await verifying;
    await runTicks(app, 5001, 5002);
    // Assert
    expect(isInspectorError(outcome, 'unavailable')).toBe(true);
    expect((outcome as Error).message).toContain('closed');
    expect(app.lastCommit?.tick).toBe(5002);
    await app.close();
  });
});
