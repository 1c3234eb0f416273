import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventStore } from '@causeway/runtime';
import type { EventSpec } from '../../../test/conformance/fixtures.ts';
import { header, LogBuilder, readAll, uuid } from '../../../test/conformance/fixtures.ts';
import { pgUrl, requirePostgres } from '../../../test/services.ts';
import { openPgliteStore } from '../src/pglite/index.ts';
import { PostgresStore } from '../src/postgres/index.ts';
import { dropSchema, uniqueSchema } from './postgres-harness.ts';

const postgres = await requirePostgres();
const url = pgUrl();

const payload = {
  nested: { deep: { list: [1, [2, [3, { four: 4 }]]], empty: {} }, emptyList: [] },
  unicode: 'Zoë — 東京 — 🚀 — \u0000 — \uFFFD',
  bytes: new Uint8Array([0, 1, 127, 128, 255]),
  floats: [0.1, -2.5, 1e300, -1e-300, Math.PI, -0.5],
  ints: [-1, -33, -2_147_483_649, 255, 65_536, 4_294_967_296, Number.MIN_SAFE_INTEGER],
  when: new Date(1_700_000_000_123),
  nothing: null,
  longText: 'x'.repeat(70_000),
};

/** A tick large enough to go through COPY, with every field's odd cases. */
function oddTick(): EventSpec[] {
  return Array.from({ length: 300 }, (_, i) => ({
    type: i % 3 === 0 ? 'Créé.événement' : 'Created',
    version: i % 5 === 0 ? 2_147_483_647 : 1,
    entity: i % 7 === 0 ? `entité-${i}-${'é'.repeat(40)}` : uuid(),
    data: i % 2 === 0 ? { ...payload, i } : i,
    causation: i % 4 === 0 ? null : uuid(),
    actor: i % 6 === 0 ? 'ünïcode actor 👩‍💻' : 'client',
  }));
}

async function roundTrip(writer: EventStore, reader: () => Promise<EventStore>): Promise<void> {
  await writer.open(header());
  const log = new LogBuilder();
  await log.commitTick(writer, oddTick());
  await log.commitTick(writer, [{ data: 'a small tick in between' }]);
  await log.commitTick(writer, oddTick());
  await writer.close();
  const r = await reader();
  await r.open();
  expect(await readAll(r, { limit: 250 })).toEqual(log.events);
  expect(await r.lastCommit()).toEqual(log.ticks.at(-1)?.commit);
  await r.close();
}

describe.skipIf(!postgres.available)('postgres store: ticks loaded with COPY', () => {
  it('stores and reads back large ticks of odd values exactly', async () => {
    const schema = uniqueSchema();
    try {
      await roundTrip(new PostgresStore(url, { schema }), () =>
        Promise.resolve(new PostgresStore(url, { schema, readOnly: true })),
      );
    } finally {
      await dropSchema(url, schema);
    }
  });
});

describe('pglite store in a directory: ticks loaded with COPY', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('stores and reads back large ticks of odd values exactly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-pglite-copy-'));
    dirs.push(dir);
    const writer = await openPgliteStore(dir);
    await roundTrip(writer, () => openPgliteStore(dir, { readOnly: true }));
  });
});
