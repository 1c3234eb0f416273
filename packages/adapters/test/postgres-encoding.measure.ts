/**
 * Measures how the `data` column of the Postgres store should be encoded: msgpack in `bytea`
 * against JSON in `jsonb`, for a batch insert of 10,000 events in one transaction and for
 * reading them back. Run: `npx tsx --conditions=@causeway/source packages/adapters/test/postgres-encoding.measure.ts`
 * (reads CAUSEWAY_PG_URL). The figures are recorded in docs/postgres-store.md.
 */
import pg from 'pg';
import { decodeValue, encodeValue } from '@causeway/runtime/store-kit';

const url = process.env['CAUSEWAY_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = 10_000;
const ROUNDS = 7;

const rows = Array.from({ length: N }, (_, i) => ({
  seq: i + 1,
  id: `0190a8f2-7b3c-7d4e-8f00-${i.toString(16).padStart(12, '0')}`,
  tick: 1,
  type: 'FileTagged',
  version: 1,
  entity: `0190a8f2-7b3c-7d4e-9f00-${(i % 500).toString(16).padStart(12, '0')}`,
  data: {
    path: `/photos/2024/img_${i}.jpg`,
    tags: ['holiday', 'beach', `t${i % 7}`],
    size: 1000 + i,
    meta: { hidden: false, rating: i % 5 },
  },
  at: 1_720_000_000_000,
  causation: null,
  correlation: `0190a8f2-7b3c-7d4e-af00-${(i % 100).toString(16).padStart(12, '0')}`,
  actor: 'tagger',
}));

const client = new pg.Client({ connectionString: url });
await client.connect();
const schema = `cw_measure_${process.pid}`;
await client.query(`create schema ${schema}`);
const cols = `seq bigint primary key, id text not null, tick bigint not null, type text not null, version int not null, entity text not null, at bigint not null, causation text, correlation text not null, actor text not null`;
await client.query(`create table ${schema}.ev_bytea (${cols}, data bytea not null)`);
await client.query(`create table ${schema}.ev_jsonb (${cols}, data jsonb not null)`);
for (const t of ['ev_bytea', 'ev_jsonb']) {
  await client.query(`create index on ${schema}.${t} (entity, seq)`);
  await client.query(`create index on ${schema}.${t} (type, seq)`);
  await client.query(`create index on ${schema}.${t} (correlation, seq)`);
}

function columns(): unknown[] {
  return [
    rows.map((r) => r.seq),
    rows.map((r) => r.id),
    rows.map((r) => r.tick),
    rows.map((r) => r.type),
    rows.map((r) => r.version),
    rows.map((r) => r.entity),
    rows.map((r) => r.at),
    rows.map((r) => r.causation),
    rows.map((r) => r.correlation),
    rows.map((r) => r.actor),
  ];
}
const select = `select * from unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[]`;

async function insertBytea(): Promise<void> {
  const data = rows.map((r) => encodeValue(r.data));
  await client.query(`insert into ${schema}.ev_bytea ${select}, $11::bytea[])`, [
    ...columns(),
    data,
  ]);
}
async function insertByteaBlob(): Promise<void> {
  const parts = rows.map((r) => encodeValue(r.data));
  const lengths = parts.map((p) => p.length);
  const blob = Buffer.concat(parts);
  const offsets: number[] = [];
  let at = 1;
  for (const l of lengths) {
    offsets.push(at);
    at += l;
  }
  await client.query(
    `insert into ${schema}.ev_bytea select s, i, t, ty, v, e, a, ca, co, ac, substring($11::bytea from o for l) from (${select}, $12::int[], $13::int[])) as u(s, i, t, ty, v, e, a, ca, co, ac, o, l)`,
    [...columns(), blob, offsets, lengths],
  );
}
async function insertJsonb(): Promise<void> {
  const data = rows.map((r) => JSON.stringify(r.data));
  await client.query(`insert into ${schema}.ev_jsonb ${select}, $11::jsonb[])`, [
    ...columns(),
    data,
  ]);
}

async function readBack(table: string, decode: (v: unknown) => unknown): Promise<void> {
  const res = await client.query<Record<string, unknown>>(
    `select * from ${schema}.${table} order by seq`,
  );
  let n = 0;
  for (const row of res.rows) {
    const d = decode(row['data']) as { size: number };
    n += d.size > 0 ? 1 : 0;
  }
  if (n !== N) throw new Error(`read ${n} of ${N}`);
}

async function measure(
  name: string,
  table: string,
  insert: () => Promise<void>,
  decode: (v: unknown) => unknown,
): Promise<void> {
  const ins: number[] = [];
  const rd: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await client.query(`truncate ${schema}.${table}`);
    let t0 = performance.now();
    await client.query('begin');
    await insert();
    await client.query('commit');
    ins.push(performance.now() - t0);
    t0 = performance.now();
    await readBack(table, decode);
    rd.push(performance.now() - t0);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
  const size = await client.query<{ s: string }>(
    `select pg_total_relation_size('${schema}.${table}') as s`,
  );
  console.log(
    `${name.padEnd(22)} insert ${median(ins).toFixed(1)} ms (${Math.round(N / (median(ins) / 1000))} events/s)  read ${median(rd).toFixed(1)} ms (${Math.round(N / (median(rd) / 1000))} events/s)  table+indexes ${(Number(size.rows[0]?.s) / 1024).toFixed(0)} KiB`,
  );
}

try {
  await measure('bytea msgpack (array)', 'ev_bytea', insertBytea, (v) =>
    decodeValue(v as Uint8Array),
  );
  await measure('bytea msgpack (blob)', 'ev_bytea', insertByteaBlob, (v) =>
    decodeValue(v as Uint8Array),
  );
  await measure('jsonb', 'ev_jsonb', insertJsonb, (v) => v);
} finally {
  await client.query(`drop schema ${schema} cascade`);
  await client.end();
}
