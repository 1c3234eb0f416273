import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '@causeway/runtime/store-kit';
import type { StoredEnvelope } from '@causeway/runtime';
import { EnvelopeWriter } from '../src/file/envelope-writer.ts';
import { frameSize, RecordKind, writeFrame } from '../src/file/records.ts';
import { envelopeArbitrary, msgpackValue, sampleEnvelope } from './msgpack-arbitraries.ts';

const envelope = envelopeArbitrary(msgpackValue);

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
    const bad: StoredEnvelope = sampleEnvelope({ f: () => 1 });
    expect(() =>
      writer.frameTick([bad], { kind: RecordKind.Commit, body: new Uint8Array([0x90]) }, (e) =>
        encodeEnvelope(e),
      ),
    ).toThrow();
  });
});
