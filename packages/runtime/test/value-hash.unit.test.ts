import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashState } from '../src/state/index.ts';
import { toHex } from '../src/state/value-hash.ts';

describe('state hash text', () => {
  it('writes two unsigned 32-bit lanes as 16 lowercase hex digits, zero-padded', () => {
    expect(toHex(0, 0)).toBe('0000000000000000');
    expect(toHex(0xffffffff, 1)).toBe('ffffffff00000001');
    expect(toHex(0x0abc0def, 0x80000000)).toBe('0abc0def80000000');
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (a, b) => {
        expect(toHex(a, b)).toBe(a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0'));
      }),
    );
  });

  it('keeps the hash of a fixed state: logs written earlier hold it in their commits', () => {
    const state = {
      units: { a: { hp: 3, tags: ['x', 'y'] }, b: { hp: -1.5, tags: [] } },
      meta: { name: 'Ünïcode', bytes: new Uint8Array([0, 255]), none: null },
      count: 7,
    };
    expect(hashState(state)).toBe(hashState(structuredClone(state)));
    expect(hashState(state)).toMatchInlineSnapshot(`"43379eee4da3cc13"`);
  });
});
