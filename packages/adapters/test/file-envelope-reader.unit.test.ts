import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '@causeway/runtime/store-kit';
import type { StoredEnvelope } from '@causeway/runtime';
import { EnvelopeReader } from '../src/file/envelope-reader.ts';
import { crc32c } from '../src/file/crc32c.ts';
import { envelopeArbitrary, sampleEnvelope } from './msgpack-arbitraries.ts';

const plain: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ minLength: 30, maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__'),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

const envelope = envelopeArbitrary(plain);

describe('EnvelopeReader', () => {
  it("decodes every envelope exactly as the runtime's decodeEnvelope does", () => {
    const reader = new EnvelopeReader();
    fc.assert(
      fc.property(fc.array(envelope, { minLength: 1, maxLength: 8 }), (envelopes) => {
        // Several records in one span, as the store reads them, at odd offsets.
        const bodies = envelopes.map((e) => encodeEnvelope(e));
        const span = new Uint8Array(bodies.reduce((n, b) => n + b.length + 3, 0));
        const starts: number[] = [];
        let at = 0;
        for (const b of bodies) {
          at += 3;
          starts.push(at);
          span.set(b, at);
          at += b.length;
        }
        bodies.forEach((b, i) => {
          const start = starts[i] as number;
          expect(reader.decode(span, start, start + b.length)).toStrictEqual(decodeEnvelope(b));
        });
      }),
    );
  });

  it('decodes events whose correlation is their id and whose strings repeat, as decodeEnvelope does', () => {
    const reader = new EnvelopeReader();
    const word = fc.constantFrom('ams-1', 'customer-00042', 'SKU-0001-BLUE-XL', 'zürich', '😀 ok');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(envelope, fc.boolean(), word), { minLength: 1, maxLength: 12 }),
        fc.uuid({ version: 7 }),
        (items, entity) => {
          // Every record reuses one span, as the store's reused read buffer does.
          const span = new Uint8Array(4096);
          for (const [e, rooted, w] of items) {
            const event = { ...e, entity, correlation: rooted ? e.id : e.correlation, data: { w } };
            const body = encodeEnvelope(event);
            span.set(body, 5);
            expect(reader.decode(span, 5, 5 + body.length)).toStrictEqual(decodeEnvelope(body));
          }
        },
      ),
    );
  });

  it('returns binary data as a Uint8Array that does not share the read buffer', () => {
    const reader = new EnvelopeReader();
    const e: StoredEnvelope = sampleEnvelope({ bytes: new Uint8Array([1, 2, 3]) });
    const span = encodeEnvelope(e);
    const decoded = reader.decode(span, 0, span.length).data as { bytes: Uint8Array };
    span.fill(0);
    expect(decoded.bytes).toStrictEqual(new Uint8Array([1, 2, 3]));
  });

  it('gives every id its own string when more ids repeat than its tables first hold', () => {
    const reader = new EnvelopeReader();
    const ids = Array.from(
      { length: 30_000 },
      (_, i) => `0190a1b2-c3d4-7000-8000-${String(i).padStart(12, '0')}`,
    );
    const span = new Uint8Array(4096);
    // Each id is read three times, the rounds far apart, while the tables grow.
    for (let round = 0; round < 3; round++) {
      for (const [i, entity] of ids.entries()) {
        const event = {
          ...sampleEnvelope({ ref: ids[(i * 7) % ids.length] }),
          entity,
          causation: entity,
        };
        const body = encodeEnvelope(event);
        span.set(body, 1);
        const decoded = reader.decode(span, 1, 1 + body.length);
        expect(decoded.entity).toBe(entity);
        expect(decoded.causation).toBe(entity);
        expect(decoded.data).toStrictEqual(event.data);
      }
    }
  });

  it('goes on giving the right strings after its tables fill and start again', () => {
    const reader = new EnvelopeReader();
    // More distinct map keys than the names table holds, and more distinct ids than the ids
    // table holds, read twice: every table empties at least once on the way.
    const keys = Array.from({ length: 5000 }, (_, i) => `key-${i}`);
    const ids = Array.from(
      { length: 70_000 },
      (_, i) => `0190a1b2-c3d4-7000-8000-${String(i).padStart(12, '0')}`,
    );
    const span = new Uint8Array(4096);
    const wrong: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (const [i, entity] of ids.entries()) {
        const key = keys[(i * 13) % keys.length] as string;
        const body = encodeEnvelope({ ...sampleEnvelope({ [key]: i }), entity });
        span.set(body, 2);
        const decoded = reader.decode(span, 2, 2 + body.length);
        const data = decoded.data as Record<string, unknown>;
        if (decoded.entity !== entity || data[key] !== i || Object.keys(data).length !== 1)
          wrong.push(`${round}:${i}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('decodes names, ids and payload strings of every short length, ASCII or not', () => {
    const reader = new EnvelopeReader();
    const texts = [
      ...Array.from({ length: 48 }, (_, n) =>
        'abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGHIJKLMNO'.slice(0, n),
      ),
      // Cut between code points: a lone surrogate is not text msgpack carries.
      ...Array.from({ length: 20 }, (_, n) =>
        [...'zürich-é-😀-ß'.repeat(3)].slice(0, n + 1).join(''),
      ),
    ];
    for (const text of texts) {
      const event: StoredEnvelope = {
        ...sampleEnvelope({ [text]: text, list: [text, text] }),
        type: text,
        entity: text,
        actor: text,
        causation: text,
        correlation: text,
      };
      const body = encodeEnvelope(event);
      expect(reader.decode(body, 0, body.length)).toStrictEqual(decodeEnvelope(body));
    }
  });

  it('refuses a record cut short anywhere', () => {
    const reader = new EnvelopeReader();
    fc.assert(
      fc.property(envelope, fc.nat(), (e, cut) => {
        const body = encodeEnvelope(e);
        const end = cut % body.length;
        // The span goes on past the cut, as the store's read buffer does.
        expect(() => reader.decode(body, 0, end)).toThrow();
      }),
    );
  });

  it('refuses a record with bytes past its last field', () => {
    const reader = new EnvelopeReader();
    const body = encodeEnvelope(sampleEnvelope(null));
    const span = new Uint8Array(body.length + 1);
    span.set(body);
    expect(() => reader.decode(span, 0, span.length)).toThrow(/past its end/);
  });
});

describe('crc32c', () => {
  it('matches the CRC-32C check value and known vectors', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('equals a bit-at-a-time CRC-32C at every length', () => {
    // The definition, one bit a step: a check of the word steps and of the byte steps after them.
    const reference = (bytes: Uint8Array): number => {
      let crc = -1;
      for (const byte of bytes) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      return ~crc >>> 0;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(crc32c(bytes)).toBe(reference(bytes));
      }),
    );
    for (let length = 0; length <= 48; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
      expect(crc32c(bytes)).toBe(reference(bytes));
    }
  });

  it('computes the same value over any split of start and end', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const at = bytes.length === 0 ? 0 : cut % bytes.length;
        const padded = new Uint8Array(bytes.length + at);
        padded.set(bytes, at);
        expect(crc32c(padded, at, at + bytes.length)).toBe(crc32c(bytes));
        // A view that starts inside its buffer, as a record in a read chunk does.
        const view = new Uint8Array(padded.buffer, at, bytes.length);
        expect(crc32c(view)).toBe(crc32c(bytes));
      }),
    );
  });
});
