import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '@causeway/runtime';
import type { StoredEnvelope } from '@causeway/runtime';
import { EnvelopeWriter } from '../src/file/envelope-writer.ts';
import { frameSize, RecordKind, writeFrame } from '../src/file/records.ts';

const plain: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
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

const envelope: fc.Arbitrary<StoredEnvelope> = fc.record({
  id: fc.uuid({ version: 7 }),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  tick: fc.integer({ min: 1, max: 2 ** 40 }),
  type: fc.string({ minLength: 1, maxLength: 300 }),
  version: fc.integer({ min: 1, max: 1000 }),
  entity: fc.uuid({ version: 7 }),
  data: plain,
  at: fc.integer({ min: 0, max: 2 ** 45 }),
  causation: fc.option(fc.uuid({ version: 7 }), { nil: null }),
  correlation: fc.uuid({ version: 7 }),
  actor: fc.string({ unit: 'grapheme', maxLength: 30 }),
});

/** The frames as the store made them before the writer: each `encodeEnvelope`, then framed. */
function reference(events: readonly StoredEnvelope[], last: Uint8Array): Uint8Array {
  const bodies = events.map((e) => encodeEnvelope(e));
  const out = new Uint8Array(
    bodies.reduce((n, b) => n + frameSize(b.length), 0) + frameSize(last.length),
  );
  let at = 0;
  for (const b of bodies) at = writeFrame(out, at, RecordKind.Event, b);
  writeFrame(out, at, RecordKind.Commit, last);
  return out;
}

describe('EnvelopeWriter', () => {
  it('frames every tick byte for byte as encodeEnvelope and writeFrame do', () => {
    const writer = new EnvelopeWriter();
    fc.assert(
      fc.property(
        fc.array(envelope, { maxLength: 8 }),
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        (events, last) => {
          const { frames, records } = writer.frameTick(
            events,
            { kind: RecordKind.Commit, body: last },
            (e) => encodeEnvelope(e),
          );
          expect(frames).toStrictEqual(reference(events, last));
          expect(records.map((r) => r.kind)).toStrictEqual([
            ...events.map(() => RecordKind.Event),
            RecordKind.Commit,
          ]);
          expect(records.reduce((n, r) => n + r.size, 0)).toBe(frames.length);
        },
      ),
    );
  });

  it('grows past its first buffer for a large tick', () => {
    const writer = new EnvelopeWriter();
    const events = Array.from({ length: 2000 }, (_, i): StoredEnvelope => ({
      id: `id-${i}`,
      seq: i + 1,
      tick: 1,
      type: 'Large',
      version: 1,
      entity: 'e',
      data: { text: 'x'.repeat(100), n: i },
      at: 0,
      causation: null,
      correlation: `id-${i}`,
      actor: 'a',
    }));
    const last = new Uint8Array([0x90]);
    const { frames } = writer.frameTick(events, { kind: RecordKind.Commit, body: last }, (e) =>
      encodeEnvelope(e),
    );
    expect(frames).toStrictEqual(reference(events, last));
  });

  it('hands an event it cannot encode to the fallback, whose error reaches the caller', () => {
    const writer = new EnvelopeWriter();
    const bad: StoredEnvelope = {
      id: 'a',
      seq: 1,
      tick: 1,
      type: 't',
      version: 1,
      entity: 'e',
      data: { f: () => 1 },
      at: 0,
      causation: null,
      correlation: 'a',
      actor: 'x',
    };
    expect(() =>
      writer.frameTick([bad], { kind: RecordKind.Commit, body: new Uint8Array([0x90]) }, (e) =>
        encodeEnvelope(e),
      ),
    ).toThrow();
  });
});
