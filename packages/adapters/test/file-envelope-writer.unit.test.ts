import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  commitToTuple,
  encodeEnvelope,
  encodeValue,
  inputToTuple,
} from '@causeway/runtime/store-kit';
import type { InputRecord, StoredEnvelope, TickCommit } from '@causeway/runtime';
import { EnvelopeWriter } from '../src/file/envelope-writer.ts';
import type { RecordEncoders } from '../src/file/envelope-writer.ts';
import { frameSize, RecordKind, writeFrame } from '../src/file/records.ts';
import type { RecordKindValue } from '../src/file/records.ts';
import { envelopeArbitrary, msgpackValue, sampleEnvelope } from './msgpack-arbitraries.ts';

const envelope = envelopeArbitrary(msgpackValue);
const inputRecord: fc.Arbitrary<InputRecord> = fc.record({
  ino: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  type: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }),
  version: fc.integer({ min: 1, max: 1000 }),
  entity: fc.uuid({ version: 7 }),
  data: msgpackValue,
  actor: fc.string({ unit: 'grapheme', maxLength: 30 }),
});
const tickCommit: fc.Arbitrary<TickCommit> = fc.record({
  tick: fc.integer({ min: 1, max: 2 ** 40 }),
  at: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double({ min: 0, max: 2 ** 45 })),
  firstSeq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  lastSeq: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  lastInput: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  hash: fc.oneof(fc.stringMatching(/^[0-9a-f]{16}$/), fc.string({ unit: 'grapheme' })),
});

// The runtime's encoders, as the store passes them.
const runtimeEncoders: RecordEncoders = {
  event: (e) => encodeEnvelope(e),
  input: (i) => encodeValue(inputToTuple(i)),
  commit: (c) => encodeValue(commitToTuple(c)),
};

/** Records as the store framed them before the writer: the runtime's encoders, then framed. */
function reference(records: ReadonlyArray<readonly [RecordKindValue, Uint8Array]>): Uint8Array {
  const out = new Uint8Array(records.reduce((n, [, body]) => n + frameSize(body.length), 0));
  let at = 0;
  for (const [kind, body] of records) at = writeFrame(out, at, kind, body);
  return out;
}

const kindsOf = (writer: EnvelopeWriter) =>
  Array.from({ length: writer.recordCount }, (_, i) => writer.kind(i));
const sizesOf = (writer: EnvelopeWriter) =>
  Array.from({ length: writer.recordCount }, (_, i) => writer.size(i));

const inputRecords = (inputs: readonly InputRecord[]) =>
  inputs.map((i) => [RecordKind.Input, runtimeEncoders.input(i)] as const);
const tickRecords = (events: readonly StoredEnvelope[], commit: TickCommit) => [
  ...events.map((e) => [RecordKind.Event, encodeEnvelope(e)] as const),
  [RecordKind.Commit, runtimeEncoders.commit(commit)] as const,
];

describe('EnvelopeWriter', () => {
  it('frames every tick byte for byte as encodeEnvelope, encodeValue and writeFrame do', () => {
    const writer = new EnvelopeWriter(runtimeEncoders);
    fc.assert(
      fc.property(fc.array(envelope, { maxLength: 8 }), tickCommit, (events, commit) => {
        writer.clear();
        writer.frameTick(events, commit);
        expect(writer.framed()).toStrictEqual(reference(tickRecords(events, commit)));
        expect(kindsOf(writer)).toStrictEqual([
          ...events.map(() => RecordKind.Event),
          RecordKind.Commit,
        ]);
        expect(sizesOf(writer).reduce((n, size) => n + size, 0)).toBe(writer.length);
      }),
    );
  });

  it('frames every input byte for byte as encodeValue(inputToTuple) and writeFrame do', () => {
    const writer = new EnvelopeWriter(runtimeEncoders);
    fc.assert(
      fc.property(fc.array(inputRecord, { maxLength: 8 }), (inputs) => {
        writer.clear();
        writer.frameInputs(inputs);
        expect(writer.framed()).toStrictEqual(reference(inputRecords(inputs)));
        expect(kindsOf(writer)).toStrictEqual(inputs.map(() => RecordKind.Input));
      }),
    );
  });

  it('lays appends one after the other until cleared', () => {
    const writer = new EnvelopeWriter(runtimeEncoders);
    fc.assert(
      fc.property(
        fc.array(inputRecord, { minLength: 1, maxLength: 3 }),
        fc.array(envelope, { maxLength: 3 }),
        tickCommit,
        fc.uint8Array({ maxLength: 100 }),
        (inputs, events, commit, snapshot) => {
          writer.clear();
          writer.frameInputs(inputs);
          writer.frameTick(events, commit);
          writer.frameBody(RecordKind.Snapshot, snapshot);
          const records = [
            ...inputRecords(inputs),
            ...tickRecords(events, commit),
            [RecordKind.Snapshot, snapshot] as const,
          ];
          expect(writer.framed()).toStrictEqual(reference(records));
          expect(kindsOf(writer)).toStrictEqual(records.map(([kind]) => kind));
          expect(sizesOf(writer)).toStrictEqual(records.map(([, body]) => frameSize(body.length)));
        },
      ),
    );
    writer.clear();
    expect([writer.length, writer.recordCount]).toStrictEqual([0, 0]);
  });

  it('grows past its first buffer for a large tick', () => {
    const writer = new EnvelopeWriter(runtimeEncoders);
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
    const commit = { tick: 1, at: 0, firstSeq: 1, lastSeq: 2000, lastInput: 0, hash: 'h' };
    writer.frameTick(events, commit);
    expect(writer.framed()).toStrictEqual(reference(tickRecords(events, commit)));
  });

  it('leaves what was framed before an append whose fallback throws, and rethrows its error', () => {
    const refusing: RecordEncoders = {
      ...runtimeEncoders,
      event: () => {
        throw new Error('not plain data');
      },
    };
    const writer = new EnvelopeWriter(refusing);
    const inputs: InputRecord[] = [
      { ino: 1, type: 'T', version: 1, entity: 'e', data: { n: 1 }, actor: 'a' },
    ];
    writer.frameInputs(inputs);
    const before = writer.framed().slice();

    const commit = { tick: 1, at: 0, firstSeq: 1, lastSeq: 2, lastInput: 1, hash: 'h' };
    expect(() =>
      writer.frameTick([sampleEnvelope({ n: 1 }), sampleEnvelope({ f: () => 1 })], commit),
    ).toThrow('not plain data');

    expect(writer.framed()).toStrictEqual(before);
    expect(kindsOf(writer)).toStrictEqual([RecordKind.Input]);
    expect(sizesOf(writer)).toStrictEqual([before.length]);
  });
});
