import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeValue,
  encodeEnvelope,
  ENVELOPE_FIELDS,
  ENVELOPE_LAYOUT,
  envelopeToTuple,
} from '@causeway/runtime/store-kit';
import type { EventStore, StoredEnvelope, TickCommit } from '@causeway/runtime';
import { FileStore } from '../src/file/index.ts';
import { openPgliteStore } from '../src/pglite/index.ts';
import { PostgresStore } from '../src/postgres/index.ts';
import { header } from '../../../test/conformance/fixtures.ts';
import { pgUrl, requirePostgres } from '../../../test/services.ts';
import { dropSchema, uniqueSchema } from './postgres-harness.ts';
import { removeDir, tempDir } from './file-fixtures.ts';

// The envelope's field order is written once, in the runtime's ENVELOPE_FIELDS; the codec, the
// file store's coders and the SQL store all derive theirs from it. Every field of these events
// holds a value no other field holds, so a field written or read in another's place shows.

const uuid = (n: number): string => `0190a000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

/** A tick of `count` events (a commit of 100 or more goes through the SQL store's COPY). */
function tick(count: number): { commit: TickCommit; events: StoredEnvelope[] } {
  const events = Array.from({ length: count }, (_, i): StoredEnvelope => ({
    id: uuid(1000 + i),
    seq: i + 1,
    tick: 1,
    type: `Type${i}`,
    version: 3,
    entity: uuid(2000 + i),
    data: { field: `data ${i}`, bytes: new Uint8Array([i % 256, 7]) },
    at: 1_700_000_000_123,
    causation: i % 2 === 0 ? null : uuid(3000 + i),
    correlation: i % 3 === 0 ? uuid(1000 + i) : uuid(4000 + i),
    actor: `actor ${i}`,
  }));
  const commit: TickCommit = {
    tick: 1,
    at: 1_700_000_000_123,
    firstSeq: 1,
    lastSeq: count,
    lastInput: 0,
    hash: '00000000000000aa',
  };
  return { commit, events };
}

async function roundTrip(store: EventStore, count: number): Promise<StoredEnvelope[]> {
  await store.open(header());
  const { commit, events } = tick(count);
  await store.commit(commit, events);
  const page = await store.readEvents({ fromSeq: 1, limit: count });
  expect(page.items).toEqual(events);
  return events;
}

const postgres = await requirePostgres();

describe('the envelope field order', () => {
  it('is the layout of the codec tuple: each field at its ENVELOPE_LAYOUT position', () => {
    const [e] = tick(2).events.slice(1);
    const envelope = e as StoredEnvelope;

    const tuple = envelopeToTuple(envelope);
    const decoded = decodeValue(encodeEnvelope(envelope)) as unknown[];

    expect(tuple).toHaveLength(ENVELOPE_FIELDS.length);
    ENVELOPE_FIELDS.forEach((field, i) => {
      expect(ENVELOPE_LAYOUT[field]).toBe(i);
      expect(tuple[i]).toEqual(envelope[field]);
      expect(decoded[i]).toEqual(envelope[field]);
    });
  });

  describe('file store', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await tempDir();
    });
    afterAll(async () => {
      await removeDir(dir);
    });

    it('writes event records as codec tuples and reads them back field for field', async () => {
      const store = new FileStore({ dir });
      const events = await roundTrip(store, 3);
      await store.close();

      // The event records' bodies, decoded by the runtime's codec: the first frame is the header.
      const bytes = await readFile(join(dir, '00000001.seg'));
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const tuples: unknown[][] = [];
      for (let at = 0; at < bytes.length;) {
        const length = view.getUint32(at + 4, true);
        if (bytes[at + 8] === 3)
          tuples.push(
            decodeValue(Uint8Array.from(bytes.subarray(at + 9, at + 8 + length))) as unknown[],
          );
        at += 8 + length;
      }
      expect(tuples).toEqual(events.map(envelopeToTuple));
    });
  });

  describe('pglite store', () => {
    for (const count of [3, 120]) {
      it(`round-trips every field of a tick of ${count} events`, async () => {
        const dir = await tempDir('cw-pglite-order-');
        const store = await openPgliteStore(dir, { schema: 'orders' });
        try {
          await roundTrip(store, count);
        } finally {
          await store.close();
          await removeDir(dir);
        }
      });
    }
  });

  describe.skipIf(!postgres.available)('postgres store', () => {
    for (const count of [3, 120]) {
      it(`round-trips every field of a tick of ${count} events`, async () => {
        const schema = uniqueSchema();
        const store = new PostgresStore(pgUrl(), { schema });
        try {
          await roundTrip(store, count);
        } finally {
          await store.close();
          await dropSchema(pgUrl(), schema);
        }
      });
    }
  });
});
