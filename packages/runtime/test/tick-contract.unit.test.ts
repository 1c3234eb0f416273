import { describe, expect, it } from 'vitest';
import {
  defineEvent,
  input,
  MemoryStore,
  type CausewayError,
  type Envelope,
  type InputRecord,
  type ListenerContext,
  type Snapshot,
} from '../src/index.ts';
import {
  CounterCreated,
  counterSystem,
  entityId,
  Incremented,
  Noted,
  T0,
  type Counters,
} from './fixtures.ts';
import { CrashingStore } from '../src/testing/index.ts';

/** A memory store whose snapshot writes fail while `failing` is set. */
class FlakySnapshots extends MemoryStore {
  failing = true;
  override saveSnapshot(snapshot: Snapshot): Promise<void> {
    if (this.failing) return Promise.reject(new Error('disk full'));
    return super.saveSnapshot(snapshot);
  }
}

const created = input(CounterCreated, entityId(1), { name: 'a' }, 'alice');
const bump = input(Incremented, entityId(1), { by: 1 }, 'alice');

describe('the tick contract: snapshots', () => {
  it('resolves a committed tick whose snapshot failed and reports the failure apart', async () => {
    const store = new FlakySnapshots();
    const reported: CausewayError[] = [];
    const system = counterSystem({
      store,
      snapshotEvery: 1,
      onSnapshotError: (e) => reported.push(e),
    });

    const result = await system.tick([created], { at: T0 });

    expect(result.commit.tick).toBe(1);
    expect(result.snapshotError?.code).toBe('CW_STORE_UNAVAILABLE');
    expect(reported.map((e) => e.details['tick'])).toEqual([1]);
    expect(await store.lastCommit()).toMatchObject({ tick: 1 });
    expect(await store.lastInput()).toBe(1);
  });

  it('tries a failed snapshot again after the next tick', async () => {
    const store = new FlakySnapshots();
    const system = counterSystem({ store, snapshotEvery: 2 });
    await system.tick([created], { at: T0 });
    await system.tick([bump], { at: T0 });
    store.failing = false;

    const result = await system.tick([bump], { at: T0 });

    expect(result.snapshotError).toBeUndefined();
    expect((await store.latestSnapshot(3))?.tick).toBe(3);
  });

  it('writes a snapshot that was due but missing when the log is next opened', async () => {
    const store = new FlakySnapshots();
    const first = counterSystem({ store, snapshotEvery: 2 });
    await first.tick([created], { at: T0 });
    await first.tick([bump], { at: T0 });
    await first.tick([bump], { at: T0 });
    store.failing = false;

    const second = counterSystem({ store, snapshotEvery: 2 });
    await second.open();

    expect((await store.latestSnapshot(3))?.tick).toBe(3);
    expect(second.state.counters[entityId(1)]?.value).toBe(2);
  });
});

/** A memory store whose journal writes take the given delays in turn (ms), like real I/O. */
class SlowJournal extends MemoryStore {
  private calls = 0;
  constructor(private readonly delays: readonly number[]) {
    super();
  }
  override async journal(inputs: readonly InputRecord[]): Promise<void> {
    const delay = this.delays[this.calls++ % this.delays.length] ?? 0;
    await new Promise((resolve) => setTimeout(resolve, delay));
    return super.journal(inputs);
  }
}

async function liveTicks(delays: readonly number[]): Promise<readonly unknown[]> {
  const store = new SlowJournal(delays);
  const system = counterSystem({ store, clock: () => T0 });
  for (let turn = 0; turn < 3; turn++) {
    const sends =
      turn === 0
        ? [system.send(input(CounterCreated, entityId(1), { name: 'a' }, 'alice'))]
        : [1, 2, 3].map((by) => system.send(input(Incremented, entityId(1), { by }, 'alice')));
    await Promise.all(sends);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  const commits = await store.readCommits(0, 100);
  await system.close();
  return commits;
}

describe('the tick contract: writes whose acknowledgement was lost', () => {
  const a = entityId(1);
  const create = input(CounterCreated, a, { name: 'a' }, 'alice');

  it('resolves a tick whose commit landed though the store call failed, and runs the next tick after it', async () => {
    const log = new MemoryStore();
    // Write 1 journals the input, write 2 commits the tick.
    const system = counterSystem({
      store: new CrashingStore(log, { failAt: 2, when: 'after-write' }),
    });

    const first = await system.tick([create], { at: T0 });
    const second = await system.tick([input(Incremented, a, { by: 2 }, 'alice')], { at: T0 + 1 });

    expect(first.commit.tick).toBe(1);
    expect(second.commit.tick).toBe(2);
    expect((await log.readCommits(0, 10)).map((c) => c.tick)).toEqual([1, 2]);
    expect(system.state.counters[a]?.value).toBe(2);
  });

  it('keeps inputs whose journal landed though the store call failed, running each once', async () => {
    const log = new MemoryStore();
    const system = counterSystem({
      store: new CrashingStore(log, { failAt: 1, when: 'after-write' }),
    });

    const result = await system.tick([create], { at: T0 });
    await system.tick([input(Incremented, a, { by: 2 }, 'alice')], { at: T0 + 1 });

    expect(result.events.map((e) => e.type)).toEqual(['CounterCreated']);
    expect((await log.readInputs(0, 10)).map((i) => i.ino)).toEqual([1, 2]);
    expect(system.state.counters[a]?.value).toBe(2);
  });

  it('refuses an accept that conflicts with another system’s journal write, rather than taking that write for its own', async () => {
    const log = new MemoryStore();
    const first = counterSystem({ store: log });
    const second = counterSystem({ store: log });
    await first.tick([create], { at: T0 });
    await second.tick([input(Incremented, a, { by: 1 }, 'alice')], { at: T0 + 1 });

    const outcome = first.accept([input(Incremented, a, { by: 5 }, 'alice')]);

    await expect(outcome).rejects.toBeCausewayError('CW_APPEND_CONFLICT');
    expect((await log.readInputs(0, 10)).map((i) => i.data)).toEqual([{ name: 'a' }, { by: 1 }]);
  });
});

describe('the tick contract: live mode', () => {
  it('commits one tick per turn of sends, whatever the journal’s timing', async () => {
    const quick = await liveTicks([0]);
    const slow = await liveTicks([5, 0, 9, 1]);

    expect(quick).toHaveLength(3);
    expect(slow).toEqual(quick);
  });
});

describe('the tick contract: program errors', () => {
  const Unregistered = defineEvent<{ text: string }, 'Unregistered'>('Unregistered', {
    entity: 'existing',
  });
  const listeners: [string, string, (e: Envelope, ctx: ListenerContext<Counters>) => void][] = [
    [
      'an unregistered type emitted',
      'CW_UNKNOWN_EVENT_TYPE',
      (e, ctx) => ctx.emit(Unregistered, e.entity, { text: 'x' }),
    ],
    [
      'an invalid payload emitted',
      'CW_INVALID_PAYLOAD',
      (e, ctx) => ctx.emit(Noted, e.entity, { text: undefined as unknown as string }),
    ],
    [
      'a strict-mode catch',
      'CW_NONDETERMINISM',
      () => {
        Math.random();
      },
    ],
  ];

  it.each(listeners)(
    'halts the system in development mode on %s, committing nothing',
    async (_what, code, listener) => {
      const system = counterSystem({ mode: 'development', strict: true });
      system.subscribe(CounterCreated, function buggy(e, ctx) {
        listener(e, ctx);
      });

      const outcome = system.tick([created], { at: T0 });

      await expect(outcome).rejects.toMatchObject({
        code: 'CW_LISTENER_FAILED',
        details: { listener: 'buggy', code },
      });
      expect(system.lastCommit).toBeNull();
      expect(system.halted?.code).toBe('CW_LISTENER_FAILED');
    },
  );

  it.each(listeners)(
    'isolates %s in production mode and lists it in the tick result',
    async (_what, code, listener) => {
      const system = counterSystem({ mode: 'production', strict: true });
      system.subscribe(CounterCreated, function buggy(e, ctx) {
        listener(e, ctx);
      });

      const result = await system.tick([created], { at: T0 });

      expect(result.failures).toEqual([
        expect.objectContaining({
          seq: 2,
          listener: 'buggy',
          programError: true,
          error: expect.objectContaining({ code }) as unknown,
        }),
      ]);
    },
  );

  it('lists an ordinary listener failure in the tick result without halting', async () => {
    const system = counterSystem({ mode: 'development' });
    system.subscribe(CounterCreated, function picky() {
      throw new Error('not today');
    });

    const result = await system.tick([created], { at: T0 });

    expect(result.failures).toMatchObject([
      { listener: 'picky', programError: false, error: { message: 'not today' } },
    ]);
    expect(system.halted).toBeNull();
  });
});
