import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertEntityId, TickIds, uuidV7Time } from '../src/ids/index.ts';
import { isUuidV7, newEntityId } from '../src/index.ts';
import { UuidReader, uuidToWords } from '../src/ids/uuid-words.ts';
import { TickRandom } from '../src/random/index.ts';
import { T0 } from './fixtures.ts';

function idsOf(seed: number, tick: number, at: number, n: number): string[] {
  const ids = new TickIds(at, tick, new TickRandom(seed, tick));
  return Array.from({ length: n }, () => ids.next());
}

describe('TickIds', () => {
  it('makes canonical UUIDv7s carrying the tick time', () => {
    for (const id of idsOf(1, 1, T0, 100)) {
      expect(isUuidV7(id)).toBe(true);
      expect(uuidV7Time(id)).toBe(T0);
    }
  });

  it('is monotonic within a tick and across ticks that share a millisecond', () => {
    const all = [...idsOf(1, 7, T0, 500), ...idsOf(1, 8, T0, 500), ...idsOf(1, 9, T0 + 1, 10)];
    const sorted = [...all].sort();
    expect(all).toEqual(sorted);
    expect(new Set(all).size).toBe(all.length);
  });

  it('moves to the next millisecond when a tick spends its counter', () => {
    const ids = new TickIds(T0, 1, new TickRandom(1, 1));
    let last = '';
    let outOfOrder = 0;
    for (let i = 0; i < (1 << 20) + 2; i++) {
      const id = ids.next();
      if (id <= last) outOfOrder++;
      last = id;
    }
    expect(outOfOrder).toBe(0);
    expect(uuidV7Time(last)).toBe(T0 + 1);
  });

  it('regenerates the same ids from the same seed, tick and time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 1e6 }),
        (seed, tick) => {
          expect(idsOf(seed, tick, T0, 20)).toEqual(idsOf(seed, tick, T0, 20));
        },
      ),
    );
  });

  it('makes the ids it always made, so that logs written before replay the same', () => {
    // Made by the generator as it was before ids were written flat; a replay compares them.
    const ids = new TickIds(1_700_000_000_000, 5, new TickRandom(7, 5));
    const made = new Map<number, string>();
    for (let i = 0; i <= 1 << 20; i++) {
      const id = ids.next();
      if ([0, 1, 65_535, 65_536, (1 << 20) - 1, 1 << 20].includes(i)) made.set(i, id);
    }

    expect(Object.fromEntries(made)).toEqual({
      0: '018bcfe5-6800-7000-8050-0000c7582a30',
      1: '018bcfe5-6800-7000-8050-0001bec19d91',
      65535: '018bcfe5-6800-7000-8050-ffff94a97e35',
      65536: '018bcfe5-6800-7000-8051-0000f119bacc',
      1048575: '018bcfe5-6800-7000-805f-ffff109bf7d1',
      1048576: '018bcfe5-6801-7000-8050-0000f16daff4',
    });
  });

  it('makes different ids from different seeds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (s1, s2) => {
          fc.pre(s1 !== s2);
          const a = idsOf(s1, 1, T0, 5);
          const b = idsOf(s2, 1, T0, 5);
          expect(a.some((id, i) => id !== b[i])).toBe(true);
        },
      ),
    );
  });
});

describe('assertEntityId', () => {
  it.each([
    ['a number', 42, 'CW_INVALID_ENTITY_ID'],
    ['a UUIDv4', '4b7c2a1e-3f4d-4e5f-8a9b-0c1d2e3f4a5b', 'CW_INVALID_ENTITY_ID'],
    ['an uppercase UUIDv7', '019B7640-0000-7000-8000-000000000001', 'CW_INVALID_ENTITY_ID'],
    ['a bad variant', '019b7640-0000-7000-c000-000000000001', 'CW_INVALID_ENTITY_ID'],
    ['free text', 'player-one', 'CW_INVALID_ENTITY_ID'],
  ])('rejects %s with a typed error', (_what, id, code) => {
    expect(() => assertEntityId(id, T0, 60_000)).toThrowError(
      expect.objectContaining({ code }) as Error,
    );
  });

  it('rejects an id from further in the future than the skew, naming how far ahead it is', () => {
    const ids = new TickIds(T0 + 120_000, 1, new TickRandom(1, 1));
    const future = ids.next();
    let error: unknown;
    try {
      assertEntityId(future, T0, 60_000);
    } catch (e) {
      error = e;
    }
    expect(error).toBeCausewayError('CW_ENTITY_ID_FROM_FUTURE');
    expect((error as Error).message).toContain('120000 ms ahead');
    expect(() => assertEntityId(future, T0, 180_000)).not.toThrow();
  });

  it('accepts the ids newEntityId() makes', () => {
    const id = newEntityId();
    expect(isUuidV7(id)).toBe(true);
    expect(() => assertEntityId(id, Date.now(), 60_000)).not.toThrow();
  });
});

describe('TickRandom', () => {
  it('draws floats in [0, 1) and depends only on seed and tick', () => {
    const a = new TickRandom(3, 4);
    const b = new TickRandom(3, 4);
    const c = new TickRandom(3, 5);
    const da = Array.from({ length: 50 }, () => a.float());
    const db = Array.from({ length: 50 }, () => b.float());
    const dc = Array.from({ length: 50 }, () => c.float());
    expect(da).toEqual(db);
    expect(da).not.toEqual(dc);
    expect(da.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws the numbers it always drew for a seed and tick, so old logs replay the same', () => {
    const draws = (seed: number, tick: number) => {
      const r = new TickRandom(seed, tick);
      return Array.from({ length: 4 }, () => r.u32());
    };

    expect(draws(0, 0)).toEqual([591558436, 2737234123, 107644106, 1338548054]);
    expect(draws(42, 1)).toEqual([3630469325, 2634159764, 2459760945, 2970818951]);
    expect(draws(0xffffffff, 123456)).toEqual([4134170691, 388431286, 616876204, 3028744263]);
  });
});

describe('UUIDs as words', () => {
  const words128 = fc.tuple(fc.integer(), fc.integer(), fc.integer(), fc.integer());
  const hex32 = (w: number) => (w >>> 0).toString(16).padStart(8, '0');
  const canonical = ([a, b, c, d]: number[]) => {
    const [x, y, z] = [hex32(b as number), hex32(c as number), hex32(d as number)];
    return `${hex32(a as number)}-${x.slice(0, 4)}-${x.slice(4)}-${y.slice(0, 4)}-${y.slice(4)}${z}`;
  };

  it('keeps the 128 bits of every canonical UUID and gives the same string back', () => {
    // One reader for every run: a head it kept from an earlier id must not leak into this one.
    const reader = new UuidReader();
    fc.assert(
      fc.property(words128, words128, (bits, other) => {
        const id = canonical(bits);
        // An id after it with the same first two words: in half the runs the same head (its
        // third word's high half too) and another tail, in the others another third word.
        const third = other[0] % 2 === 0 ? bits[2] ^ (other[2] & 0xffff) : other[2];
        const sibling = canonical([bits[0], bits[1], third, other[3]]);
        const words = new Int32Array(10);
        expect(uuidToWords(id, words, 2)).toBe(true);
        expect(uuidToWords(sibling, words, 6)).toBe(true);
        expect([...words.slice(2, 6)]).toEqual(bits.map((w) => w | 0));
        expect(reader.read(words, 2)).toBe(id);
        expect(reader.read(words, 6)).toBe(sibling);
      }),
    );
  });

  it('refuses a string that is not a UUID in canonical lowercase form, writing nothing', () => {
    const id = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    const changed = (at: number, to: string) => id.slice(0, at) + to + id.slice(at + 1);
    const refused = [
      id.toUpperCase(),
      changed(0, 'g'),
      changed(35, 'G'),
      changed(10, ' '),
      changed(8, '0'),
      changed(23, '_'),
      changed(20, 'é'),
      `${id}0`,
      id.slice(1),
      '',
      'not an id',
    ];
    for (const bad of refused) {
      const words = Int32Array.of(7, 7, 7, 7);
      expect(uuidToWords(bad, words, 0), bad).toBe(false);
      expect([...words]).toEqual([7, 7, 7, 7]);
    }
  });
});
