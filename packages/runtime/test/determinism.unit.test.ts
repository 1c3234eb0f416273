import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '@causeway/runtime/store-kit';
import { input, type Input } from '../src/index.ts';
import { CounterCreated, counterSystem, entityId, Incremented, Noted, T0 } from './fixtures.ts';

type Step = { kind: 'create'; n: number } | { kind: 'inc'; n: number; by: number };

const scriptArb = fc.array(
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('create' as const), n: fc.integer({ min: 0, max: 20 }) }),
      fc.record({
        kind: fc.constant('inc' as const),
        n: fc.integer({ min: 0, max: 20 }),
        by: fc.integer({ min: -5, max: 5 }),
      }),
    ),
    { maxLength: 6 },
  ),
  { minLength: 1, maxLength: 8 },
);

/** Runs a script on a fresh system; returns every committed envelope encoded, and the hashes. */
async function run(
  seed: number,
  script: Step[][],
): Promise<{ bytes: string[]; hashes: string[]; ids: string[] }> {
  const system = counterSystem({ seed });
  // Listeners that use every source of determinism: ids, randomness, time, timers.
  system.subscribe(Incremented, function auditor(e, ctx) {
    if (ctx.random() < 0.5) ctx.emit(Noted, e.entity, { text: `at ${ctx.now} ${ctx.create()}` });
    if (e.data.by > 3) ctx.schedule(5, Noted, e.entity, { text: 'later' });
  });
  const created = new Set<number>();
  const hashes: string[] = [];
  let at = T0;
  for (const tick of script) {
    const inputs: Input[] = [];
    for (const step of tick) {
      if (step.kind === 'create' && !created.has(step.n)) {
        created.add(step.n);
        inputs.push(input(CounterCreated, entityId(step.n), { name: `c${step.n}` }, 'alice'));
      } else if (step.kind === 'inc' && created.has(step.n)) {
        inputs.push(input(Incremented, entityId(step.n), { by: step.by }, 'alice'));
      }
    }
    at += 3;
    hashes.push((await system.tick(inputs, { at })).commit.hash);
  }
  const page = await system.store.readEvents({ limit: 10_000 });
  return {
    bytes: page.items.map((e) => Buffer.from(encodeEnvelope(e)).toString('hex')),
    hashes,
    ids: page.items.map((e) => e.id),
  };
}

describe('determinism', () => {
  it('gives identical logs, byte for byte, and identical tick hashes for the same seed and inputs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0xffffffff }), scriptArb, async (seed, script) => {
        const [a, b] = [await run(seed, script), await run(seed, script)];
        expect(b.bytes).toEqual(a.bytes);
        expect(b.hashes).toEqual(a.hashes);
      }),
      { numRuns: 100 },
    );
  });

  it('gives different ids for different seeds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        scriptArb,
        async (s1, s2, script) => {
          fc.pre(s1 !== s2);
          const [a, b] = [await run(s1, script), await run(s2, script)];
          fc.pre(a.ids.length > 0);
          expect(a.ids.every((id, i) => id !== b.ids[i])).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});
