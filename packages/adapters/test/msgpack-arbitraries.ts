import fc from 'fast-check';
import type { StoredEnvelope } from '@causeway/runtime';

/**
 * Values for the fast msgpack writers' byte-for-byte tests: every msgpack format boundary
 * (fix, 8, 16, 32 and 64-bit integers, floats, -0, NaN, Infinity), ASCII and non-ASCII text,
 * binaries, dates, and arrays and maps on both sides of the 16-entry fix form.
 */
export const msgpackValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.integer(),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.maxSafeInteger(),
    fc.constantFrom(-0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 32 - 1, 2 ** 32, -32, -33),
    fc.constantFrom(-128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, Infinity, NaN),
    fc.double(),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 10 }),
    fc.string({ minLength: 30, maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.integer(), { minLength: 15, maxLength: 20 }),
    fc.dictionary(fc.string({ maxLength: 10 }), tie('value'), { maxKeys: 5 }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { minKeys: 15, maxKeys: 20 }),
  ),
})).value;

/** Envelopes whose payloads come from `data`, with every field over its full range. */
export function envelopeArbitrary(data: fc.Arbitrary<unknown>): fc.Arbitrary<StoredEnvelope> {
  return fc.record({
    id: fc.uuid({ version: 7 }),
    seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    tick: fc.integer({ min: 1, max: 2 ** 40 }),
    type: fc.string({ minLength: 1, maxLength: 300 }),
    version: fc.integer({ min: 1, max: 1000 }),
    entity: fc.uuid({ version: 7 }),
    data,
    at: fc.integer({ min: 0, max: 2 ** 45 }),
    causation: fc.option(fc.uuid({ version: 7 }), { nil: null }),
    correlation: fc.uuid({ version: 7 }),
    actor: fc.string({ unit: 'grapheme', maxLength: 30 }),
  });
}

/** A small fixed envelope with `data` as its payload, for example-based tests. */
export function sampleEnvelope(data: unknown): StoredEnvelope {
  return {
    id: 'a',
    seq: 1,
    tick: 1,
    type: 't',
    version: 1,
    entity: 'e',
    data,
    at: 0,
    causation: null,
    correlation: 'c',
    actor: 'x',
  };
}
