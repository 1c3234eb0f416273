/**
 * Measures the stores' commit and read rate for ticks of 10,000 events, through the adapter
 * itself (validation, encoding, one statement per tick). Run:
 * `npx tsx --conditions=@causeway/source packages/adapters/test/postgres-throughput.measure.ts` (reads CAUSEWAY_PG_URL).
 * The figures are recorded in docs/postgres-store.md.
 */
import type { EventStore } from '@causeway/runtime';
import { header, LogBuilder, readAll } from '../../../test/conformance/fixtures.ts';
import { openPgliteStore } from '../src/pglite/index.ts';
import { PostgresStore } from '../src/postgres/index.ts';
import { dropSchema, uniqueSchema } from './postgres-harness.ts';

const url = process.env['CAUSEWAY_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const PER_TICK = 10_000;
const TICKS = 7;

async function measure(name: string, store: EventStore): Promise<void> {
  await store.open(header());
  const log = new LogBuilder();
  const commits: number[] = [];
  for (let t = 0; t < TICKS; t++) {
    const built = log.nextTick(
      Array.from({ length: PER_TICK }, (_, i) => ({
        data: { path: `/photos/img_${i}.jpg`, tags: ['holiday', `t${i % 7}`], size: 1000 + i },
      })),
    );
    const t0 = performance.now();
    await store.commit(built.commit, built.events);
    commits.push(performance.now() - t0);
    log.accept(built);
  }
  const t0 = performance.now();
  const all = await readAll(store, { limit: 10_000 });
  const read = performance.now() - t0;
  if (all.length !== PER_TICK * TICKS) throw new Error(`read ${all.length} events`);
  const median = [...commits].sort((a, b) => a - b)[commits.length >> 1] ?? 0;
  console.log(
    `${name.padEnd(9)} commit of a ${PER_TICK}-event tick: median ${median.toFixed(1)} ms = ${Math.round(PER_TICK / (median / 1000))} events/s; read ${all.length} events in pages of 10,000: ${Math.round(all.length / (read / 1000))} events/s`,
  );
  await store.close();
}

const schema = uniqueSchema();
try {
  await measure('postgres', new PostgresStore(url, { schema }));
} finally {
  await dropSchema(url, schema);
}
await measure('pglite', await openPgliteStore('memory://'));
