import { describe, expect, it } from 'vitest';
import { input, type EventSystem } from '../src/index.ts';
import { LogFollower, type LogPageHandler } from '../src/cqrs/index.ts';
import {
  counterSystem,
  CounterCreated,
  entityId,
  Incremented,
  T0,
  type Counters,
} from './fixtures.ts';

const a = entityId(1);

/** A counter system whose log holds a creation and `increments` increments, one tick each. */
async function counterLog(increments: number): Promise<EventSystem<Counters>> {
  const system = counterSystem();
  await system.tick([input(CounterCreated, a, { name: 'a' }, 'alice')], { at: T0 });
  for (let i = 1; i <= increments; i++) await increment(system, i);
  return system;
}

async function increment(system: EventSystem<Counters>, by: number): Promise<void> {
  await system.tick([input(Incremented, a, { by }, 'alice')], { at: T0 + by });
}

/** Every seq of the system's log, in order. */
async function seqsOf(system: EventSystem<Counters>): Promise<number[]> {
  return (await system.readEvents({ limit: 10_000 })).items.map((e) => e.seq);
}

/** A handler that records the seqs of every page it is given. */
function recorder(): { pages: number[][]; seqs: () => number[]; handle: LogPageHandler } {
  const pages: number[][] = [];
  return {
    pages,
    seqs: () => pages.flat(),
    handle: (events) => {
      pages.push(events.map((e) => e.seq));
      return Promise.resolve();
    },
  };
}

/** Lets every pending promise and timer of a follower run (no timing is asserted). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

describe('LogFollower', () => {
  it('catches up on the committed log in pages, in order, before start resolves', async () => {
    const system = await counterLog(4);
    const seen = recorder();
    const follower = new LogFollower({ source: system, handle: seen.handle, batch: 2 });

    await follower.start(0);

    const all = await seqsOf(system);
    expect(seen.seqs()).toEqual(all);
    expect(seen.pages.every((p) => p.length <= 2)).toBe(true);
    expect(follower.position).toBe(all.at(-1));
    expect(follower.state).toBe('running');
    await follower.stop();
  });

  it('follows commits made after it caught up, each event once', async () => {
    const system = await counterLog(1);
    const seen = recorder();
    const follower = new LogFollower({ source: system, handle: seen.handle });
    await follower.start(0);

    await increment(system, 2);
    await increment(system, 3);
    await follower.waitFor(system.lastCommit?.lastSeq ?? 0);

    expect(seen.seqs()).toEqual(await seqsOf(system));
    await follower.stop();
  });

  it('handles nothing committed after stop()', async () => {
    const system = await counterLog(1);
    const seen = recorder();
    const follower = new LogFollower({ source: system, handle: seen.handle });
    await follower.start(0);
    const before = seen.seqs();

    await follower.stop();
    await increment(system, 2);
    await settle();

    expect(follower.state).toBe('stopped');
    expect(seen.seqs()).toEqual(before);
    expect(follower.position).toBe(before.at(-1));
  });

  it('handles nothing, and stays stopped, when stop() is called while it starts', async () => {
    const system = await counterLog(1);
    const seen = recorder();
    const follower = new LogFollower({ source: system, handle: seen.handle });

    const starting = follower.start(0);
    await follower.stop();
    await starting;
    await increment(system, 2);
    await settle();

    expect(follower.state).toBe('stopped');
    expect(seen.seqs()).toEqual([]);
  });

  it('reads a position it is given as a function once the source is open, and a stop() made before it answers wins', async () => {
    const system = await counterLog(2);
    const seen = recorder();
    const follower = new LogFollower({ source: system, handle: seen.handle });
    let answer: (seq: number) => void = () => undefined;
    let asked = false;

    const starting = follower.start(
      () =>
        new Promise<number>((resolve) => {
          asked = true;
          answer = resolve;
        }),
    );
    while (!asked) await settle();
    await follower.stop();
    answer(0);
    await starting;
    await increment(system, 3);
    await settle();

    expect(follower.state).toBe('stopped');
    expect(seen.seqs()).toEqual([]);

    await follower.start(() => Promise.resolve(0));
    expect(seen.seqs()).toEqual(await seqsOf(system));
    await follower.stop();
  });

  it('refuses a position read by its function that is not a seq, with CW_INVALID_ARGUMENT', async () => {
    const system = await counterLog(1);
    const follower = new LogFollower({ source: system, handle: recorder().handle });

    await expect(follower.start(() => Promise.resolve(Number.NaN))).rejects.toBeCausewayError(
      'CW_INVALID_ARGUMENT',
    );
    expect(follower.state).toBe('idle');
  });

  it('starts after the position it is given, handling only the events after it', async () => {
    const system = await counterLog(3);
    const all = await seqsOf(system);
    const from = all[1] as number;
    const seen = recorder();
    const follower = new LogFollower({ source: system, handle: seen.handle });

    await follower.start(from);

    expect(seen.seqs()).toEqual(all.filter((s) => s > from));
    await follower.stop();
  });

  it('refuses to start after a seq past the end of the log with CW_LOG_MISMATCH, handling nothing', async () => {
    // A position kept for another log (a store that was reset, a name two systems share)
    // would otherwise skip every event up to it without a word.
    const system = await counterLog(1);
    const last = system.lastCommit?.lastSeq ?? 0;
    const seen = recorder();
    const follower = new LogFollower({ source: system, handle: seen.handle });

    await expect(follower.start(last + 5)).rejects.toBeCausewayError('CW_LOG_MISMATCH');

    expect(follower.state).toBe('idle');
    await increment(system, 2);
    await settle();
    expect(seen.seqs()).toEqual([]);
  });

  it('goes on from its position when started again after stop()', async () => {
    const system = await counterLog(1);
    const seen = recorder();
    const follower = new LogFollower({ source: system, handle: seen.handle });
    await follower.start(0);
    await follower.stop();
    await increment(system, 2);

    await follower.start(follower.position);

    expect(seen.seqs()).toEqual(await seqsOf(system));
    await follower.stop();
  });

  it('stops failed at a page whose handler throws, and surfaces the error', async () => {
    const system = await counterLog(3);
    const all = await seqsOf(system);
    const bad = all[2] as number;
    const boom = new Error('cannot handle');
    const reported: unknown[] = [];
    const follower = new LogFollower({
      source: system,
      batch: 1,
      handle: (events) =>
        events[0]?.seq === bad ? Promise.reject(boom) : Promise.resolve(undefined),
      onError: (error) => reported.push(error),
    });

    await follower.start(0);

    expect(follower.state).toBe('failed');
    expect(follower.failure).toEqual({ error: boom });
    expect(follower.position).toBe(bad - 1);
    expect(reported).toEqual([boom]);
    await expect(follower.waitFor(all.at(-1) ?? 0)).rejects.toBe(boom);
  });

  it('still stops failed and rejects waits when its onError throws', async () => {
    const system = await counterLog(1);
    const boom = new Error('cannot handle');
    const follower = new LogFollower({
      source: system,
      handle: () => Promise.reject(boom),
      onError: () => {
        throw new Error('the logger is closed');
      },
    });

    await follower.start(0);

    expect(follower.state).toBe('failed');
    expect(follower.failure).toEqual({ error: boom });
    await expect(follower.waitFor(system.lastCommit?.lastSeq ?? 0)).rejects.toBe(boom);
  });

  it('rejects a pending waitFor when the handler fails', async () => {
    const system = await counterLog(0);
    const boom = new Error('cannot handle');
    const follower = new LogFollower({
      source: system,
      handle: (events) =>
        events.some((e) => e.type === 'Incremented') ? Promise.reject(boom) : Promise.resolve(),
    });
    await follower.start(0);
    const waiting = follower.waitFor((system.lastCommit?.lastSeq ?? 0) + 1);

    await increment(system, 1);

    await expect(waiting).rejects.toBe(boom);
  });

  it('keeps the part of a page the handler reported handled before it failed', async () => {
    const system = await counterLog(3);
    const all = await seqsOf(system);
    const follower = new LogFollower({
      source: system,
      handle: (events, handled) => {
        handled((events[0] as { seq: number }).seq);
        return Promise.reject(new Error('second event'));
      },
    });

    await follower.start(0);

    expect(follower.state).toBe('failed');
    expect(follower.position).toBe(all[0]);
  });

  it('resumes from its position once the handler is fixed', async () => {
    const system = await counterLog(3);
    const all = await seqsOf(system);
    let broken = true;
    const seen = recorder();
    const follower = new LogFollower({
      source: system,
      batch: 1,
      handle: (events, handled) =>
        broken && events[0]?.seq === all[2]
          ? Promise.reject(new Error('x'))
          : seen.handle(events, handled),
    });
    await follower.start(0);

    broken = false;
    await follower.resume();

    expect(follower.state).toBe('running');
    expect(follower.failure).toBeNull();
    expect(seen.seqs()).toEqual(all);
    await follower.stop();
  });

  it('retries after retryMs instead of failing, reporting each failure', async () => {
    const system = await counterLog(2);
    let failures = 1;
    const reported: unknown[] = [];
    const seen = recorder();
    const follower = new LogFollower({
      source: system,
      retryMs: 0,
      handle: (events, handled) =>
        failures-- > 0 ? Promise.reject(new Error('unreachable')) : seen.handle(events, handled),
      onError: (error) => reported.push(error),
    });
    await follower.start(0);

    await follower.waitFor(system.lastCommit?.lastSeq ?? 0);

    expect(follower.state).toBe('running');
    expect(reported).toHaveLength(1);
    expect(seen.seqs()).toEqual(await seqsOf(system));
    await follower.stop();
  });

  it('stops in failed despite retryMs on a failure its fatal test names, rejecting waits with it', async () => {
    const system = await counterLog(2);
    const reported: unknown[] = [];
    const broken = new Error('a bug in the handler');
    let calls = 0;
    const follower = new LogFollower({
      source: system,
      retryMs: 0,
      fatal: (error) => error === broken,
      handle: () => {
        calls++;
        return Promise.reject(broken);
      },
      onError: (error) => reported.push(error),
    });
    const waiting = follower.waitFor(system.lastCommit?.lastSeq ?? 0).catch((e: unknown) => e);

    await follower.start(0);
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(await waiting).toBe(broken);
    expect(follower.state).toBe('failed');
    expect(follower.failure).toEqual({ error: broken });
    expect(reported).toEqual([broken]);
    expect(calls).toBe(1);
  });

  it('rejects pending waits with the reason its owner gives', async () => {
    const system = await counterLog(0);
    const follower = new LogFollower({ source: system, handle: recorder().handle });
    await follower.start(0);
    const waiting = follower.waitFor((system.lastCommit?.lastSeq ?? 0) + 1);
    await follower.stop();

    follower.rejectWaiters(new Error('gone'));

    await expect(waiting).rejects.toThrow('gone');
  });

  it('refuses a handler that is not a function, a source that is not a system and an onError that is not a function', async () => {
    const system = await counterLog(0);
    const handle = recorder().handle;

    expect(() => new LogFollower({ source: system, handle: undefined as never })).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
    expect(() => new LogFollower({ source: {} as never, handle })).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
    expect(() => new LogFollower({ source: system, handle, onError: 'log' as never })).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
  });

  it('refuses a batch outside 1 to 10,000, a negative retryMs and a start before seq 0', async () => {
    const system = await counterLog(0);
    const handle = recorder().handle;

    expect(() => new LogFollower({ source: system, handle, batch: 0 })).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
    expect(() => new LogFollower({ source: system, handle, retryMs: -1 })).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
    await expect(new LogFollower({ source: system, handle }).start(-1)).rejects.toBeCausewayError(
      'CW_INVALID_ARGUMENT',
    );
  });

  it.each([
    ['undefined', undefined],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-1', -1],
    ['1.5', 1.5],
    ['"3"', '3'],
  ])('refuses to wait for %s, which is not a seq, instead of waiting forever', async (_l, seq) => {
    const system = await counterLog(1);
    const follower = new LogFollower({ source: system, handle: recorder().handle });
    await follower.start(0);

    await expect(follower.waitFor(seq as number)).rejects.toBeCausewayError('CW_INVALID_ARGUMENT');
    await follower.stop();
  });

  it('refuses a handled(seq) outside the page', async () => {
    const system = await counterLog(1);
    const follower = new LogFollower({
      source: system,
      handle: (events, handled) => {
        handled((events.at(-1)?.seq ?? 0) + 1);
        return Promise.resolve();
      },
    });

    await follower.start(0);

    expect(follower.state).toBe('failed');
    expect(follower.failure?.error).toBeCausewayError('CW_INVALID_ARGUMENT');
    expect(follower.position).toBe(0);
  });
});
