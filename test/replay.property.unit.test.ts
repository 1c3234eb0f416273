/**
 * Property-based replay: over generated input scripts, a run replays (live = rebuild =
 * re-execute), stays in lockstep with a second peer, and recovers from a crash at a random
 * write to the same log; snapshots change nothing; and the kit catches each kind of
 * nondeterminism with a report naming the tick (and, for divergences, the state path).
 *
 * 1,000 generated runs per property in CI, 200 locally. On failure fast-check prints the seed
 * and path to reproduce it (`fc.assert(property, { seed, path })`) and our report below it.
 */
import { rebuild, type EventStore, type EventSystem } from '@causeway/runtime';
import {
  assertReplay,
  eventArbitrary,
  inputsArbitrary,
  runScript,
  type Script,
} from '@causeway/runtime/testing';
import { MemoryStore } from '@causeway/runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FileAdded,
  FileTagged,
  FileUntagged,
  makeTags,
  TagSampled,
  type Tags,
} from './replay-app.ts';

const numRuns = process.env['CI'] !== undefined ? 1000 : 200;
const timeout = 120_000;

const tag = fc.constantFrom('red', 'green', 'blue', 'draft', 'final');
const scripts = inputsArbitrary({
  create: [eventArbitrary(FileAdded, fc.record({ name: fc.string({ maxLength: 8 }) }))],
  update: [
    eventArbitrary(FileTagged, fc.record({ tag })),
    eventArbitrary(FileUntagged, fc.record({ tag })),
  ],
  actors: ['ada', 'bob', 'cy'],
  maxTicks: 8,
  maxInputsPerTick: 4,
  maxGapMs: 1500,
});

describe('replay properties', () => {
  it(
    'a run replays, stays in lockstep and recovers from a crash at any write',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          scripts,
          fc.nat(),
          fc.constantFrom('before-write' as const, 'after-write' as const),
          (script, crashAt, crashWhen) => assertReplay(makeTags, script, { crashAt, crashWhen }),
        ),
        { numRuns },
      );
    },
    timeout,
  );

  it(
    'rebuilding to any tick from snapshots equals rebuilding from the start',
    async () => {
      await fc.assert(
        fc.asyncProperty(scripts, fc.nat(), async (script, pick) => {
          const live = makeTags(new MemoryStore());
          await runScript(live, script);
          const tick = pick % (script.length + 1);

          const fromSnapshot = await rebuild(live.store, makeTags, { tick });
          const fromStart = await rebuild(live.store, makeTags, { tick, snapshots: false });

          expect(fromSnapshot.hash).toBe(fromStart.hash);
          expect(fromSnapshot.state).toEqual(fromStart.state);
        }),
        { numRuns },
      );
    },
    timeout,
  );
});

// --- The kit catches what it must -------------------------------------------------------------

function withListener(
  extra: (system: EventSystem<Tags>) => void,
): (store: EventStore) => EventSystem<Tags> {
  return (store) => {
    const system = makeTags(store);
    extra(system);
    return system;
  };
}

const readsMathRandom = withListener((system) => {
  system.subscribe(FileTagged, function shuffleWithMathRandom(e, ctx) {
    if (Math.random() < 2) ctx.emit(FileUntagged, e.entity, { tag: e.data.tag });
  });
});

const callsRandomUuid = withListener((system) => {
  system.subscribe(FileAdded, function labelWithRandomUuid(e, ctx) {
    ctx.emit(FileTagged, e.entity, { tag: crypto.randomUUID() });
  });
});

let tagsSeen = 0;
const keepsOutsideState = withListener((system) => {
  system.subscribe(FileTagged, function countTagsOutside(e, ctx) {
    tagsSeen += 1;
    ctx.emit(TagSampled, e.entity, { weight: tagsSeen });
  });
});

async function failureOf(make: (store: EventStore) => EventSystem<Tags>): Promise<{
  report: string;
  error: Error;
}> {
  const details = await fc.check(
    fc.asyncProperty(scripts, (script: Script) => assertReplay(make, script)),
    { numRuns: 200, seed: 42 },
  );
  expect(details.failed).toBe(true);
  return { report: fc.defaultReportMessage(details) ?? '', error: details.errorInstance as Error };
}

describe('the kit catches nondeterminism', () => {
  it(
    'a listener that reads Math.random: strict mode, naming the listener and the tick',
    async () => {
      const { report, error } = await failureOf(readsMathRandom);

      expect(report).toMatch(/seed: 42, path: "[\d:]+"/);
      expect(error.message).toMatch(
        /Replay check "nondeterminism" failed: listener "shuffleWithMathRandom" was stopped by strict mode in tick \d+/,
      );
      expect(error.message).toContain('called Math.random()');
    },
    timeout,
  );

  it(
    'a listener that calls crypto.randomUUID(): strict mode, naming the listener and the tick',
    async () => {
      const { error } = await failureOf(callsRandomUuid);

      expect(error.message).toMatch(
        /listener "labelWithRandomUuid" was stopped by strict mode in tick \d+/,
      );
      expect(error.message).toContain('called crypto.randomUUID()');
    },
    timeout,
  );

  it(
    'a listener that keeps state outside the system: a divergence naming the tick and the state path',
    async () => {
      const { report, error } = await failureOf(keepsOutsideState);

      expect(report).toMatch(/seed: 42, path: "[\d:]+"/);
      expect(error.message).toMatch(/Replay check "(lockstep|reexecute)" failed/);
      expect(error.message).toMatch(/Divergence at tick \d+: the state hashes differ\./);
      expect(error.message).toMatch(/ {4}sampled\.[0-9a-f-]{36}: live \d+, peer \d+/);
    },
    timeout,
  );
});
