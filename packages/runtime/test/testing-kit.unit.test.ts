import {
  ErrorCodes,
  input,
  isUuidV7,
  MemoryStore,
  TimerScheduled,
  type Input,
} from '@causeway/runtime';
import { uuidV7Time } from '../src/ids/index.ts';
import {
  assertReplay,
  checkReplay,
  CrashingStore,
  type CrashingStoreOptions,
  eventArbitrary,
  expected,
  inputsArbitrary,
  type InputsSpec,
  ListenerSpecification,
  resumeScript,
  runScript,
  SpecificationError,
  type SpecificationOptions,
  testEntityId,
  type ReplayCheckOptions,
  type Script,
} from '@causeway/runtime/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeCountingWorld, makeDiceWorld, makeUuidWorld } from './fixtures/faulty.ts';
import {
  Bounced,
  ChildSpawned,
  makeWorld,
  Moved,
  Nudged,
  Spawned,
  WALL,
  worldScript,
} from './fixtures/world.ts';

const scripts = inputsArbitrary({
  create: [
    eventArbitrary(
      Spawned,
      fc.record({ x: fc.integer({ min: -5, max: 5 }), y: fc.integer({ min: -5, max: 5 }) }),
    ),
  ],
  update: [
    eventArbitrary(Moved, fc.record({ dx: fc.integer({ min: -8, max: 8 }), dy: fc.constant(0) })),
  ],
  actors: ['ada', 'bob'],
});

describe('testEntityId', () => {
  it('makes valid, distinct UUIDv7s at the given time', () => {
    const ids = [1, 2, 3].map((n) => testEntityId(n, 1_700_000_000_123, 0x3fffffff));

    expect(ids.every(isUuidV7)).toBe(true);
    expect(new Set(ids).size).toBe(3);
    expect(uuidV7Time(ids[0] as string)).toBe(1_700_000_000_123);
    expect(testEntityId(1)).toBe(testEntityId(1));
  });

  it.each<[string, () => string]>([
    ['a negative n (it made the id of n = 2^32 - 1)', () => testEntityId(-1)],
    ['an n of 2^32 (it made the id of n = 0)', () => testEntityId(2 ** 32)],
    ['a fractional n (it made the id of n = 1)', () => testEntityId(1.5)],
    ['an n of NaN', () => testEntityId(Number.NaN)],
    ['an at of NaN (it made a string that is no UUID)', () => testEntityId(1, Number.NaN)],
    ['an at past 2^48 - 1', () => testEntityId(1, 2 ** 48)],
    ['a negative at', () => testEntityId(1, -5)],
    ['a random past 30 bits', () => testEntityId(1, 0, 2 ** 30)],
    ['a negative random', () => testEntityId(1, 0, -1)],
  ])('refuses %s with CW_INVALID_ARGUMENT', (_what, make) => {
    expect(make).toThrow(expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }));
  });
});

describe('CrashingStore', () => {
  it.each<[string, () => unknown]>([
    [
      'a failAt of 0 (no write is number 0, so it never crashed)',
      () => new CrashingStore(new MemoryStore(), { failAt: 0 }),
    ],
    ['a negative failAt', () => new CrashingStore(new MemoryStore(), { failAt: -1 })],
    ['a fractional failAt', () => new CrashingStore(new MemoryStore(), { failAt: 1.5 })],
    ['a failAt of NaN', () => new CrashingStore(new MemoryStore(), { failAt: Number.NaN })],
    [
      'an unknown when',
      () => new CrashingStore(new MemoryStore(), { failAt: 1, when: 'during' as never }),
    ],
    ['an inner store that is not one', () => new CrashingStore(null as never)],
  ])('refuses %s with CW_INVALID_ARGUMENT', (_what, make) => {
    expect(make).toThrow(expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }));
  });
});

describe('inputsArbitrary', () => {
  it('refuses a spec without create types with CW_INVALID_ARGUMENT', () => {
    expect(() => inputsArbitrary({ create: [] })).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
  });

  it('refuses a create type declared existing, or an update type declared new, whose scripts every system would refuse', () => {
    const spawn = eventArbitrary(Spawned, fc.record({ x: fc.integer(), y: fc.integer() }));
    const move = eventArbitrary(Moved, fc.record({ dx: fc.integer(), dy: fc.integer() }));

    expect(() => inputsArbitrary({ create: [move] })).toBeCausewayError(ErrorCodes.InvalidArgument);
    expect(() => inputsArbitrary({ create: [spawn], update: [spawn] })).toBeCausewayError(
      ErrorCodes.InvalidArgument,
    );
  });

  it.each([
    ['spec', null],
    ['create', { create: 'Spawned' }],
    ['actors', { actors: [''] }],
    ['start', { start: -5 }],
    ['maxTicks', { maxTicks: 0 }],
    ['maxInputsPerTick', { maxInputsPerTick: -1 }],
    ['maxGapMs', { maxGapMs: 1.5 }],
  ])(
    'refuses a wrong %s with CW_INVALID_ARGUMENT, not a TypeError or a fast-check error',
    (_, patch) => {
      const spawn = eventArbitrary(Spawned, fc.record({ x: fc.integer(), y: fc.integer() }));
      const spec = patch === null ? null : { create: [spawn], ...patch };

      expect(() => inputsArbitrary(spec as unknown as InputsSpec)).toBeCausewayError(
        ErrorCodes.InvalidArgument,
      );
    },
  );

  it('makes valid scripts: fresh UUIDv7 entities, updates by the owner after the create, times in order', () => {
    fc.assert(
      fc.property(scripts, (script) => {
        const owners = new Map<string, string>();
        let last = -Infinity;
        for (const step of script) {
          expect(step.at).toBeGreaterThanOrEqual(last);
          last = step.at;
          for (const i of step.inputs) {
            expect(isUuidV7(i.entity)).toBe(true);
            if (i.type === Spawned) {
              expect(owners.has(i.entity)).toBe(false);
              expect(uuidV7Time(i.entity)).toBe(step.at);
              owners.set(i.entity, i.actor as string);
            } else expect(owners.get(i.entity)).toBe(i.actor);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is reproducible from a seed', () => {
    const a = fc.sample(scripts, { seed: 7, numRuns: 5 });
    const b = fc.sample(scripts, { seed: 7, numRuns: 5 });

    expect(a).toEqual(b);
  });
});

describe('CrashingStore', () => {
  it('refuses options that are not an object with CW_INVALID_ARGUMENT', () => {
    expect(
      () => new CrashingStore(new MemoryStore(), null as unknown as CrashingStoreOptions),
    ).toBeCausewayError(ErrorCodes.InvalidArgument);
  });

  it('counts writes and fails the chosen one without writing it', async () => {
    const log = new MemoryStore();
    const crashing = new CrashingStore(log, { failAt: 3 });
    const system = makeWorld(crashing);

    const error = await runScript(system, worldScript()).catch((e: unknown) => e);

    expect(error).toBeCausewayError(ErrorCodes.StoreUnavailable);
    expect(crashing.writes).toBe(3);
    expect(crashing.crashed).toBe('journal');
    expect(await log.lastInput()).toBe(1);
  });
});

describe('checkReplay', () => {
  it('passes a deterministic world: live, rebuild, lockstep, re-execution and crash recovery agree', async () => {
    const result = await checkReplay(makeWorld, worldScript(), { crashAt: 5 });

    expect(result).toMatchObject({ ok: true, ticks: worldScript().length });
  });

  it('catches a listener that reads Math.random, naming it and the tick', async () => {
    const result = await checkReplay(makeDiceWorld, worldScript());

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.check).toBe('nondeterminism');
    expect(result.failure.tick).toBe(2);
    expect(result.failure.message).toContain('listener "shakeWithMathRandom"');
    expect(result.failure.message).toContain('in tick 2');
    expect(result.failure.message).toContain('called Math.random()');
  });

  it('catches a listener that calls crypto.randomUUID()', async () => {
    const result = await checkReplay(makeUuidWorld, worldScript());

    expect(result.ok === false && result.failure).toMatchObject({
      check: 'nondeterminism',
      tick: 1,
      message: expect.stringContaining('called crypto.randomUUID()') as unknown,
    });
  });

  it('catches a listener that keeps state outside the system, by lockstep, with the tick and state path', async () => {
    const result = await checkReplay(makeCountingWorld, worldScript());

    expect(result.ok).toBe(false);
    if (result.ok) return;
    const entity = worldScript()[0]?.inputs[0]?.entity as string;
    expect(result.failure.check).toBe('lockstep');
    expect(result.failure.tick).toBe(2);
    expect(result.failure.divergence?.event?.fields).toEqual(['data']);
    expect(result.failure.message).toContain('Divergence at tick 2');
    expect(result.failure.message).toContain(`nudges.${entity}`);
  });

  it('assertReplay throws CW_NONDETERMINISM or CW_DIVERGENCE with the report', async () => {
    const strictError = await assertReplay(makeDiceWorld, worldScript()).catch((e: unknown) => e);
    const divergence = await assertReplay(makeCountingWorld, worldScript()).catch(
      (e: unknown) => e,
    );

    expect(strictError).toBeCausewayError(ErrorCodes.Nondeterminism);
    expect(divergence).toBeCausewayError(ErrorCodes.Divergence);
    expect((divergence as Error).message).toContain('Replay check "lockstep" failed');
    await expect(assertReplay(makeWorld, worldScript())).resolves.toBeUndefined();
  });

  it('passes an empty script, checking the initial state alone', async () => {
    const result = await checkReplay(makeWorld, []);

    expect(result).toMatchObject({ ok: true, ticks: 0, events: 0 });
  });

  it('refuses a makeSystem, script or option of the wrong kind with CW_INVALID_ARGUMENT', async () => {
    const nothing = (() => undefined) as unknown as typeof makeWorld;
    const wrongOptions: unknown[] = [
      null,
      { crashAt: -1 },
      { crashAt: 1.5 },
      { crashAt: Number.NaN },
      { strict: 'no' },
      { allowProgramErrors: 1 },
      { crashWhen: 'never' },
    ];

    await expect(
      checkReplay(null as unknown as typeof makeWorld, worldScript()),
    ).rejects.toBeCausewayError(ErrorCodes.InvalidArgument);
    await expect(checkReplay(nothing, worldScript())).rejects.toBeCausewayError(
      ErrorCodes.InvalidArgument,
    );
    await expect(checkReplay(makeWorld, null as unknown as Script)).rejects.toBeCausewayError(
      ErrorCodes.InvalidArgument,
    );
    await expect(
      checkReplay(makeWorld, [{ at: 1 } as unknown as Script[number]]),
    ).rejects.toBeCausewayError(ErrorCodes.InvalidArgument);
    for (const options of wrongOptions) {
      await expect(
        checkReplay(makeWorld, worldScript(), options as ReplayCheckOptions),
      ).rejects.toBeCausewayError(ErrorCodes.InvalidArgument);
    }
  });

  it('does not fail a deterministic run for a violation in a check started beside it', async () => {
    const [deterministic, dice] = await Promise.all([
      checkReplay(makeWorld, worldScript()),
      checkReplay(makeDiceWorld, worldScript()),
    ]);

    expect(deterministic.ok).toBe(true);
    expect(dice.ok === false && dice.failure.check).toBe('nondeterminism');
  });

  it('reports a script the live run refuses', async () => {
    const entity = testEntityId(1);
    const script: Script = [
      { at: 1_700_000_000_000, inputs: [input(Moved, entity, { dx: 1, dy: 0 }, 'ada')] },
    ];

    const result = await checkReplay(makeWorld, script);

    expect(result.ok === false && result.failure).toMatchObject({
      check: 'live',
      tick: 1,
      message: expect.stringContaining('does not exist') as unknown,
    });
  });
});

describe('ListenerSpecification', () => {
  const spec = ListenerSpecification.for(makeWorld);
  const ada = testEntityId(1);
  const spawn: Input = input(Spawned, ada, { x: 1, y: 0 }, 'ada');

  it('given history, when an input arrives, then the listeners emit these events', async () => {
    await spec
      .given([spawn])
      .when(input(Moved, ada, { dx: 20, dy: 0 }, 'ada'))
      .then([
        expected(Bounced, ada, { x: WALL }, 'bounce'),
        expected(Nudged, ada, { by: 0 }, 'count'),
      ]);
  });

  it('fails with both sequences when the events differ', async () => {
    const error = await spec
      .given([spawn])
      .when(input(Moved, ada, { dx: 1, dy: 0 }, 'ada'))
      .then([expected(Bounced, ada, { x: WALL })])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SpecificationError);
    expect((error as SpecificationError).message).toContain('0.type: expected "Bounced"');
  });

  it('checks the state after the input', async () => {
    await spec
      .given([])
      .when(input(Spawned, ada, { x: 2, y: 0 }, 'ada'))
      .thenState((state) => {
        expect(state.position[ada]).toEqual({ x: 2, y: 0 });
        expect(Object.values(state.children)).toEqual([ada]);
      });
  });

  it('checks a rejected input by its code', async () => {
    await spec.given([spawn]).when(spawn).thenRejects(ErrorCodes.EntityExists);
    await expect(
      spec
        .given([spawn])
        .when(input(Moved, ada, { dx: 1, dy: 0 }, 'ada'))
        .thenRejects(ErrorCodes.EntityExists),
    ).rejects.toThrow(/was accepted/);
  });

  it('fails when strict mode stopped a listener, even though the tick committed', async () => {
    const error = await ListenerSpecification.for(makeDiceWorld)
      .given([spawn])
      .when(input(Moved, ada, { dx: 1, dy: 0 }, 'ada'))
      .then([])
      .catch((e: unknown) => e);

    expect((error as Error).message).toContain(
      'strict mode stopped listener "shakeWithMathRandom"',
    );
  });

  it('refuses a makeSystem, options or time of the wrong kind with CW_INVALID_ARGUMENT when made', () => {
    expect(() => ListenerSpecification.for(null as unknown as typeof makeWorld)).toBeCausewayError(
      ErrorCodes.InvalidArgument,
    );
    expect(() =>
      ListenerSpecification.for(makeWorld, null as unknown as SpecificationOptions),
    ).toBeCausewayError(ErrorCodes.InvalidArgument);
    expect(() =>
      ListenerSpecification.for(makeWorld, { at: '5' as unknown as number }),
    ).toBeCausewayError(ErrorCodes.InvalidArgument);
  });

  it('includes builtin events such as a scheduled timer', async () => {
    const bob = testEntityId(2);

    await spec
      .given([])
      .when(input(Spawned, bob, { x: 4, y: 0 }, 'bob'))
      .then([
        expected(TimerScheduled, bob),
        expected(ChildSpawned, undefined, { parent: bob }, 'wakeLater'),
        expected(Nudged),
      ]);
  });
});

describe('runScript and resumeScript', () => {
  it.each([-1, 1.5, Number.NaN, 8])(
    'refuses a from of %s outside the script with CW_INVALID_ARGUMENT',
    async (from) => {
      const system = makeWorld(new MemoryStore());

      await expect(runScript(system, worldScript(), from)).rejects.toBeCausewayError(
        ErrorCodes.InvalidArgument,
      );
      expect(system.lastCommit).toBeNull();
    },
  );

  it('refuses a script that is not an array of steps with CW_INVALID_ARGUMENT', async () => {
    const notAScript = { at: 1, inputs: [] } as unknown as Script;

    await expect(runScript(makeWorld(new MemoryStore()), notAScript)).rejects.toBeCausewayError(
      ErrorCodes.InvalidArgument,
    );
    await expect(resumeScript(makeWorld, new MemoryStore(), notAScript)).rejects.toBeCausewayError(
      ErrorCodes.InvalidArgument,
    );
  });
});
