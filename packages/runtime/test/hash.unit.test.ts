import { Encoder, ExtData } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defineEvent,
  EventSystem,
  hashState,
  input,
  MAX_PAYLOAD_LIMITS,
  newEntityId,
  uuidV7Time,
  type Table,
} from '../src/index.ts';
import { hashValue } from '../src/state/index.ts';

// The hash before the streaming hasher: FNV-style lanes over the canonical msgpack bytes.
const canonical = new Encoder({ sortKeys: true, ignoreUndefined: false });

// The canonical form writes what plain msgpack conflates with another value as extension 0 of
// one byte: undefined (0), -0 (1), an array hole (2). Every other value is encoded as is.
function withMarks(value: unknown): unknown {
  if (value === undefined) return new ExtData(0, Uint8Array.of(0));
  if (Object.is(value, -0)) return new ExtData(0, Uint8Array.of(1));
  if (Array.isArray(value))
    return Array.from(value.keys(), (i) =>
      i in value ? withMarks(value[i]) : new ExtData(0, Uint8Array.of(2)),
    );
  if (typeof value !== 'object' || value === null) return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withMarks(v)]));
}

function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function encodedHash(value: unknown): [number, number] {
  const bytes = canonical.encode(withMarks(value));
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (const x of bytes) {
    a = Math.imul(a ^ x, 0x9e3779b1);
    b = Math.imul(b ^ x, 0x85ebca77);
  }
  return [fmix(a ^ bytes.length), fmix(b ^ (bytes.length * 0x27d4eb2f))];
}

const edgeNumbers = fc.constantFrom(
  0,
  -0,
  1,
  -1,
  0x7f,
  0x80,
  0xff,
  0x100,
  0xffff,
  0x10000,
  0xffffffff,
  0x100000000,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  -0x20,
  -0x21,
  -0x80,
  -0x81,
  -0x8000,
  -0x8001,
  -0x80000000,
  -0x80000001,
  Number.MIN_SAFE_INTEGER,
  0.5,
  -1.25,
  1e300,
  Number.NaN,
  Number.POSITIVE_INFINITY,
);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    edgeNumbers,
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 5 }),
    fc.string({ minLength: 30, maxLength: 300 }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('value'), { maxLength: 20 }),
    fc.sparseArray(tie('value'), { maxLength: 20 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 20 }),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 4 }),
  ),
}));

describe('hashValue', () => {
  it('hashes every value as its canonical msgpack encoding hashes', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(hashValue(v)).toEqual(encodedHash(v));
      }),
      { numRuns: 3000 },
    );
  });

  it('hashes long arrays, big maps and long strings as their encoding hashes', () => {
    const big: Record<string, number> = {};
    for (let i = 0; i < 70_000; i++) big[`k${i}`] = i;
    for (const v of [Array.from({ length: 70_000 }, (_, i) => i), big, 'x'.repeat(70_000)])
      expect(hashValue(v)).toEqual(encodedHash(v));
  });
});

describe('the state hash', () => {
  it('hashes a state holding a payload as deeply nested as the raised limits let it be', async () => {
    const Put = defineEvent<{ v: unknown }>('hash.DeepPut', { entity: 'new' });
    const system = new EventSystem<{ rows: Table<unknown> }>({
      seed: 1,
      limits: { maxDepth: MAX_PAYLOAD_LIMITS.maxDepth },
      initialState: { rows: {} },
    });
    system.apply(Put, (draft, e) => {
      draft.rows[e.entity] = e.data.v;
    });
    // The payload `{ v: deep }` is one level more than `deep`: exactly the limit.
    let deep: unknown = 0;
    for (let i = 1; i < MAX_PAYLOAD_LIMITS.maxDepth; i++) deep = [deep];
    const id = newEntityId();

    await system.tick([input(Put, id, { v: deep }, 'test')], { at: Date.now() });

    expect(system.state.rows[id]).toEqual(deep);
    expect(system.lastCommit?.hash).toBe(hashState(system.state));
  });
});

describe('the state hash of values plain msgpack conflates', () => {
  // More entries than a plain table holds (64): committed, the table is a trie whose entries
  // carry their own hashes.
  function tableWith(entry: unknown): Record<string, unknown> {
    const table: Record<string, unknown> = { odd: entry };
    for (let i = 0; i < 70; i++) table[`k${i}`] = { n: i };
    return table;
  }

  function sparse(): unknown[] {
    const list: unknown[] = [1];
    list[2] = 3;
    return list;
  }

  const lookAlikes: [string, unknown, unknown][] = [
    ['undefined and null', undefined, null],
    ['-0 and 0', -0, 0],
    ['a hole and undefined', sparse(), [1, undefined, 3]],
    ['a key holding undefined and no key', { a: undefined }, {}],
    ['an ASCII-less entry holding undefined and null', { é: undefined }, { é: null }],
  ];

  for (const [name, one, other] of lookAlikes) {
    it(`tells ${name} apart, as a top-level value, in a plain table and in a large table`, () => {
      expect(hashState({ v: one })).not.toBe(hashState({ v: other }));
      expect(hashState({ t: { e: one } })).not.toBe(hashState({ t: { e: other } }));
      const large = (entry: unknown): object =>
        new EventSystem({ seed: 1, initialState: { t: tableWith(entry) } }).state;
      expect(Object.keys((large(one) as { t: object }).t)[0]).toBe('k0'); // sorted: a trie
      expect(hashState(large(one))).not.toBe(hashState(large(other)));
      // A large table hashes as the plain table of the same entries.
      expect(hashState(large(one))).toBe(hashState({ t: tableWith(one) }));
    });
  }

  it('commits another hash for an applier writing undefined than for one writing null', async () => {
    const Set = defineEvent<{ n: number }>('hash.Set', { entity: 'new' });
    // The same entities in both runs: only the value written differs.
    const ids = Array.from({ length: 70 }, () => newEntityId()).sort();
    const run = async (value: null | undefined): Promise<string | undefined> => {
      const system = new EventSystem<{ rows: Table<{ v: null | undefined }> }>({
        seed: 1,
        initialState: { rows: {} },
      });
      system.apply(Set, (draft, e) => {
        draft.rows[e.entity] = { v: value };
      });
      await system.tick(
        ids.map((id, n) => input(Set, id, { n }, 'test')),
        { at: uuidV7Time(ids.at(-1) as string) },
      );
      // The hash kept incrementally through the tick is the one a fresh hasher computes.
      expect(system.lastCommit?.hash).toBe(hashState(system.state));
      return system.lastCommit?.hash;
    };

    expect(await run(undefined)).not.toBe(await run(null));
  });
});
