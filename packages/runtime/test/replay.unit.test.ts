import {
  assertNoDivergence,
  ErrorCodes,
  firstDivergence,
  formatDivergence,
  isCausewayError,
  MemoryStore,
  rebuild,
  reexecute,
  type DivergenceOptions,
  type EventStore,
  type RebuildOptions,
  type StoredEnvelope,
} from '@causeway/runtime';
import { diffValues } from '../src/replay/index.ts';
import { CrashingStore, resumeScript, runScript } from '@causeway/runtime/testing';
import { describe, expect, it } from 'vitest';
import {
  Bounced,
  makeWorld,
  Moved,
  Nudged,
  WALL,
  worldScript,
  type World,
} from './fixtures/world.ts';
import type { EventSystem } from '@causeway/runtime';

async function liveRun(
  make: (store: EventStore) => EventSystem<World> = makeWorld,
): Promise<EventSystem<World>> {
  const system = make(new MemoryStore());
  await runScript(system, worldScript());
  return system;
}

async function readLog(store: EventStore): Promise<{ events: StoredEnvelope[]; hashes: string[] }> {
  const events = [...(await store.readEvents({ limit: 10_000 })).items];
  const hashes = (await store.readCommits(0, 10_000)).map((c) => c.hash);
  return { events, hashes };
}

/** The world, but its bounce listener puts things one step further from the wall. */
function makeDriftingWorld(store: EventStore): EventSystem<World> {
  const system = makeWorld(store);
  system.subscribe(Moved, function drift(e, ctx) {
    const p = ctx.state.position[e.entity];
    if (p !== undefined && p.x > WALL) ctx.emit(Bounced, e.entity, { x: WALL - 1 });
  });
  return system;
}

describe('rebuild', () => {
  it('rebuilds the live state and hash from the log', async () => {
    const live = await liveRun();

    const rebuilt = await rebuild(live.store, makeWorld);

    expect(rebuilt.hash).toBe(live.lastCommit?.hash);
    expect(rebuilt.state).toEqual(live.state);
    expect(rebuilt.tick).toBe(worldScript().length);
  });

  it('rebuilds the state as it was after an earlier tick', async () => {
    const live = await liveRun();
    const third = (await live.store.readCommits(2, 1))[0];

    const rebuilt = await rebuild(live.store, makeWorld, { tick: 3 });

    expect(rebuilt.tick).toBe(3);
    expect(rebuilt.hash).toBe(third?.hash);
  });

  it('refuses a tick the log does not have', async () => {
    const live = await liveRun();

    await expect(rebuild(live.store, makeWorld, { tick: 99 })).rejects.toBeCausewayError(
      ErrorCodes.InvalidArgument,
    );
  });

  it.each([NaN, 1.5, -1, '2', null])(
    'refuses a tick of %s, which is no committed tick, with CW_INVALID_ARGUMENT',
    async (tick) => {
      const live = await liveRun();

      await expect(
        rebuild(live.store, makeWorld, { tick: tick as unknown as number }),
      ).rejects.toBeCausewayError(ErrorCodes.InvalidArgument);
    },
  );

  it('refuses snapshots that are not a boolean, and options that are not an object', async () => {
    const live = await liveRun();

    await expect(
      rebuild(live.store, makeWorld, { snapshots: 'no' as unknown as boolean }),
    ).rejects.toBeCausewayError(ErrorCodes.InvalidArgument);
    await expect(
      rebuild(live.store, makeWorld, null as unknown as RebuildOptions),
    ).rejects.toBeCausewayError(ErrorCodes.InvalidArgument);
  });

  it('refuses a makeSystem whose system does not read the store it is given, rather than returning the initial state', async () => {
    const live = await liveRun();
    const ownStore = (): EventSystem<World> => makeWorld(new MemoryStore());

    const error = await rebuild(live.store, ownStore).catch((e: unknown) => e);

    expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
    expect((error as Error).message).toMatch(/at tick 0 where the log .* is at tick 7/);
  });

  it('refuses a makeSystem that returns no system with CW_INVALID_ARGUMENT', async () => {
    const live = await liveRun();
    const nothing = (() => undefined) as unknown as typeof makeWorld;

    await expect(rebuild(live.store, nothing)).rejects.toBeCausewayError(
      ErrorCodes.InvalidArgument,
    );
    await expect(reexecute(live.store, nothing)).rejects.toBeCausewayError(
      ErrorCodes.InvalidArgument,
    );
  });

  it('refuses to rebuild a store that holds no log with CW_LOG_EMPTY, writing nothing', async () => {
    const store = new MemoryStore();

    await expect(rebuild(store, makeWorld)).rejects.toBeCausewayError(ErrorCodes.LogEmpty);
    expect(await store.lastCommit()).toBeNull();
    expect(await store.lastInput()).toBe(0);
  });
});

describe('reexecute', () => {
  it('reproduces every event and hash of a deterministic run from its inputs alone', async () => {
    const live = await liveRun();

    const check = await reexecute(live.store, makeWorld);

    expect(check).toEqual({
      ok: true,
      ticks: worldScript().length,
      events: live.lastCommit?.lastSeq,
    });
  });

  it('reports the first tick, event, fields and state paths where changed listeners diverge', async () => {
    const live = await liveRun();

    const check = await reexecute(live.store, makeDriftingWorld);

    expect(check.ok).toBe(false);
    if (check.ok) return;
    const d = check.divergence;
    expect(d.tick).toBe(3);
    expect(d.reason).toBe('hash');
    expect(d.sides).toEqual(['stored', 're-executed']);
    expect(d.event?.a?.type).not.toBe(d.event?.b?.type ?? '');
    expect(d.seq).toBe(d.event?.seq);
    const a = worldScript()[0]?.inputs[0]?.entity as string;
    expect(d.state).toEqual({
      ok: true,
      paths: expect.arrayContaining([{ path: `position.${a}.x`, a: WALL, b: WALL - 1 }]) as unknown,
    });
  });

  it('finds no divergence in what an unnamed listener emits, however many systems the process made before', async () => {
    const withArrow = (store: EventStore): EventSystem<World> => {
      const system = makeWorld(store);
      system.subscribe(Moved, (e, ctx) => {
        if (e.data.dx > 0) ctx.emit(Nudged, e.entity, { by: 0 });
      });
      return system;
    };
    const live = await liveRun(withArrow);

    const check = await reexecute(live.store, withArrow);

    expect(check.ok).toBe(true);
  });

  it('refuses a system made with another seed', async () => {
    const live = await liveRun();

    await expect(reexecute(live.store, (s) => makeWorld(s, { seed: 1 }))).rejects.toBeCausewayError(
      ErrorCodes.LogMismatch,
    );
  });
});

describe('firstDivergence', () => {
  it('finds no divergence between two peers fed the same ticks', async () => {
    const a = await liveRun();
    const b = await liveRun();

    const check = await firstDivergence(a, b.store);

    expect(check).toEqual({ ok: true, ticks: worldScript().length, events: a.lastCommit?.lastSeq });
  });

  it('reports the first differing tick with both envelopes, the differing fields and the state paths', async () => {
    const a = await liveRun();
    const b = await liveRun(makeDriftingWorld);

    const check = await firstDivergence(a, b, {
      makeSystem: makeWorld,
      sides: ['peer a', 'peer b'],
    });

    expect(check.ok).toBe(false);
    if (check.ok) return;
    const d = check.divergence;
    expect(d.tick).toBe(3);
    expect(d.commits.a?.hash).not.toBe(d.commits.b?.hash);
    expect(d.event?.fields).toContain('data');
    const entity = worldScript()[0]?.inputs[0]?.entity as string;
    expect(d.state?.ok && d.state.paths).toContainEqual({
      path: `position.${entity}.x`,
      a: WALL,
      b: WALL - 1,
    });
    const report = formatDivergence(d);
    expect(report).toContain('Divergence at tick 3');
    expect(report).toContain(`position.${entity}.x: peer a 10, peer b 9`);
    expect(report).toContain(`seq ${String(d.seq)}`);
  });

  it('reports a tick that one log lacks', async () => {
    const a = await liveRun();
    const b = makeWorld(new MemoryStore());
    await runScript(b, worldScript().slice(0, 4));

    const check = await firstDivergence(a, b);

    expect(check.ok === false && check.divergence).toMatchObject({
      reason: 'missing-tick',
      tick: 5,
      commits: { b: null },
    });
  });

  it('says plainly which log is empty when one side holds no tick', async () => {
    const live = await liveRun();
    const options = { makeSystem: makeWorld, sides: ['live', 'backup'] as const };

    const emptyB = await firstDivergence(live, new MemoryStore(), options);
    const emptyA = await firstDivergence(new MemoryStore(), live, options);

    expect(emptyB.ok === false && emptyB.divergence.error).toBe(
      'the log of backup is empty: it holds no committed tick',
    );
    const report = emptyB.ok ? '' : formatDivergence(emptyB.divergence);
    expect(report).toMatch(
      /^Divergence at tick 1: the log of backup is empty: it holds no committed tick\.\n/,
    );
    expect(report).toContain('  backup: no tick (empty log)');
    expect(report).toContain(
      'State after tick 1 not compared: the log of backup is empty, so there is no state to compare.',
    );
    expect(report).not.toContain('side b');
    expect(emptyA.ok ? '' : formatDivergence(emptyA.divergence)).toMatch(
      /^Divergence at tick 1: the log of live is empty: it holds no committed tick\.\n/,
    );
  });

  it('says where the shorter log ends when one side lacks a tick', async () => {
    const a = await liveRun();
    const b = makeWorld(new MemoryStore());
    await runScript(b, worldScript().slice(0, 4));

    const check = await firstDivergence(a, b);

    expect(check.ok ? '' : formatDivergence(check.divergence)).toMatch(
      /^Divergence at tick 5: the log of b ends at tick 4\.\n/,
    );
  });

  it('refuses a side that is neither a store nor a system with CW_INVALID_ARGUMENT', async () => {
    const store = new MemoryStore();

    await expect(firstDivergence(null as unknown as MemoryStore, store)).rejects.toBeCausewayError(
      'CW_INVALID_ARGUMENT',
    );
    await expect(firstDivergence(store, {} as MemoryStore)).rejects.toBeCausewayError(
      'CW_INVALID_ARGUMENT',
    );
    await expect(
      firstDivergence(store, store, { sides: 'ab' as unknown as [string, string] }),
    ).rejects.toBeCausewayError('CW_INVALID_ARGUMENT');
  });

  it('refuses a store or makeSystem of the wrong kind in rebuild and reexecute with CW_INVALID_ARGUMENT', async () => {
    const notAStore = undefined as unknown as MemoryStore;
    const notAFunction = 5 as unknown as () => never;

    await expect(rebuild(notAStore, notAFunction)).rejects.toBeCausewayError('CW_INVALID_ARGUMENT');
    await expect(reexecute(notAStore, notAFunction)).rejects.toBeCausewayError(
      'CW_INVALID_ARGUMENT',
    );
    await expect(reexecute(new MemoryStore(), notAFunction)).rejects.toBeCausewayError(
      'CW_INVALID_ARGUMENT',
    );
  });

  it('refuses options that are not an object with CW_INVALID_ARGUMENT', async () => {
    const store = new MemoryStore();

    await expect(
      firstDivergence(store, store, null as unknown as DivergenceOptions<World>),
    ).rejects.toBeCausewayError(ErrorCodes.InvalidArgument);
  });

  it('assertNoDivergence throws CW_DIVERGENCE with the readable report', async () => {
    const a = await liveRun();
    const b = await liveRun(makeDriftingWorld);

    const error = await assertNoDivergence(a, b, { makeSystem: makeWorld }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeCausewayError(ErrorCodes.Divergence);
    expect((error as Error).message).toMatch(/^Divergence at tick 3: the state hashes differ\./);
  });
});

describe('queue rebuilding after a crash', () => {
  // Snapshots every 2 ticks, so saveSnapshot is among the writes that crash.
  const makeSnapshottingWorld = (store: EventStore): EventSystem<World> =>
    makeWorld(store, { snapshotEvery: 2 });

  for (const when of ['before-write', 'after-write'] as const) {
    it(`ends with the uninterrupted log whichever write crashes (${when})`, async () => {
      const script = worldScript();
      const operations = new Set<string>();
      const uninterrupted = await readLog((await liveRun()).store);
      let crashes = 0;
      for (let k = 1; ; k++) {
        const log = new MemoryStore();
        const crashing = new CrashingStore(log, { failAt: k, when });
        const first = makeSnapshottingWorld(crashing);

        const ran = await runScript(first, script).then(
          () => true,
          (err: unknown) => {
            expect(isCausewayError(err)).toBe(true);
            return false;
          },
        );
        if (ran && crashing.crashed === null) break;
        crashes++;
        operations.add(String(crashing.crashed));
        await resumeScript(makeSnapshottingWorld, log, script);

        expect(await readLog(log), `crash at write ${k} (${String(crashing.crashed)})`).toEqual(
          uninterrupted,
        );
      }
      expect(crashes).toBeGreaterThanOrEqual(script.length);
      expect([...operations].sort()).toEqual(['commit', 'journal', 'saveSnapshot']);
    });
  }
});

describe('diffValues', () => {
  it('lists differing paths in sorted order with both values, absent keys as undefined', () => {
    const a = { position: { p1: { x: 1, y: 2 } }, tags: ['a', 'b'], bytes: new Uint8Array([1]) };
    const b = {
      position: { p1: { x: 1, y: 3 }, p2: { x: 0, y: 0 } },
      tags: ['a'],
      bytes: new Uint8Array([1]),
    };

    expect(diffValues(a, b)).toEqual([
      { path: 'position.p1.y', a: 2, b: 3 },
      { path: 'position.p2', a: undefined, b: { x: 0, y: 0 } },
      { path: 'tags.1', a: 'b', b: undefined },
    ]);
  });

  it('gives a key absent on one side as undefined there, not what objects inherit', () => {
    const a = { words: { constructor: 1 } };
    const b = { words: { hasOwnProperty: 3 } };

    expect(diffValues(a, b)).toEqual([
      { path: 'words.constructor', a: 1, b: undefined },
      { path: 'words.hasOwnProperty', a: undefined, b: 3 },
    ]);
  });

  it('finds undefined against null, -0 against 0 and a hole against undefined', () => {
    const holey: unknown[] = [1];
    holey.length = 2;

    expect(
      diffValues({ u: undefined, z: -0, h: holey }, { u: null, z: 0, h: [1, undefined] }),
    ).toEqual([
      { path: 'h.1', a: undefined, b: undefined },
      { path: 'u', a: undefined, b: null },
      { path: 'z', a: -0, b: 0 },
    ]);
  });

  it('finds nothing between equal values, and stops at the limit', () => {
    expect(diffValues({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toEqual([]);
    expect(diffValues([1, 2, 3], [4, 5, 6], 2)).toHaveLength(2);
  });
});
