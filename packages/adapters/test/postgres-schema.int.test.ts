import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@causeway/runtime';
import { header, LogBuilder, readAll, rejectionOf } from '../../../test/conformance/fixtures.ts';
import { pgUrl, requirePostgres } from '../../../test/services.ts';
import { migratePostgres, PostgresStore } from '../src/postgres/index.ts';
import { dropSchema, uniqueSchema, withClient } from './postgres-harness.ts';

const postgres = await requirePostgres();
const url = pgUrl();

describe.skipIf(!postgres.available)('postgres store: schemas and migrations', () => {
  let schemas: string[];
  let stores: PostgresStore[];

  function fresh(): string {
    const s = uniqueSchema();
    schemas.push(s);
    return s;
  }

  function store(schema: string, readOnly = false): PostgresStore {
    const s = new PostgresStore(url, { schema, readOnly });
    stores.push(s);
    return s;
  }

  beforeEach(() => {
    schemas = [];
    stores = [];
  });

  afterEach(async () => {
    for (const s of stores) await s.close();
    for (const s of schemas) await dropSchema(url, s);
  });

  it('keeps two logs in two schemas of one database apart', async () => {
    const [a, b] = [fresh(), fresh()];
    const writerA = store(a);
    const writerB = store(b);
    await writerA.open(header(1));
    await writerB.open(header(2));
    const logA = new LogBuilder();
    await logA.journal(writerA, 2);
    await logA.commitTicks(writerA, 3, 2);

    const readerB = store(b, true);
    expect(await readerB.open()).toEqual(header(2));
    expect(await readAll(readerB)).toEqual([]);
    expect(await readerB.lastCommit()).toBeNull();
    expect(await readerB.lastInput()).toBe(0);
    const readerA = store(a, true);
    expect(await readerA.open()).toEqual(header(1));
    expect(await readAll(readerA)).toEqual(logA.events);
  });

  it('runs its migrations once: a second run applies nothing and changes nothing', async () => {
    const schema = fresh();

    const first = await migratePostgres(url, schema);
    const second = await migratePostgres(url, schema);

    expect(first).toBe(1);
    expect(second).toBe(0);
    const versions = await withClient(url, (c) =>
      c.query<{ version: number }>(`select version from "${schema}".schema_migrations`),
    );
    expect(versions.rows).toEqual([{ version: 1 }]);
    const writer = store(schema);
    expect(await writer.open(header())).toEqual(header());
  });

  it('opens a log already migrated by a previous writer without migrating again', async () => {
    const schema = fresh();
    const log = new LogBuilder();
    const first = store(schema);
    await first.open(header());
    await log.commitTicks(first, 1, 1);
    await first.close();

    const again = store(schema);
    await again.open(header());

    expect(await migratePostgres(url, schema)).toBe(0);
    expect(await readAll(again)).toEqual(log.events);
  });

  it('refuses a log written by a newer schema version with CW_LOG_MISMATCH', async () => {
    const schema = fresh();
    await migratePostgres(url, schema);
    await withClient(url, (c) =>
      c.query(`insert into "${schema}".schema_migrations (version, name) values (99, 'future')`),
    );

    const error = await rejectionOf(() => store(schema).open(header()));

    expect(error).toBeCausewayError(ErrorCodes.LogMismatch);
  });

  it('refuses a schema name that is not a plain identifier with CW_INVALID_ARGUMENT', () => {
    let error: unknown;
    try {
      new PostgresStore(url, { schema: 'Robert"; drop table students' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
  });

  it.each<[string, unknown]>([
    ["a readOnly of 'false' (a string)", { readOnly: 'false' }],
    ['a pollMs of -1', { pollMs: -1 }],
    ['a pollMs of NaN', { pollMs: Number.NaN }],
    ['null options', null],
  ])('refuses %s with CW_INVALID_ARGUMENT', (_what, options) => {
    let error: unknown;
    try {
      new PostgresStore(url, options as never);
    } catch (err) {
      error = err;
    }
    expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
  });

  it.each([
    ['a URL of another scheme', 'mysql://app@127.0.0.1/app'],
    ['a URL that names the schema twice', twoSchemas(url)],
  ])('refuses %s with CW_INVALID_STORE_URL', (_what, bad) => {
    let error: unknown;
    try {
      new PostgresStore(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeCausewayError(ErrorCodes.InvalidStoreUrl);
  });

  it('lets the database itself refuse a commit record that skips a tick', async () => {
    const schema = fresh();
    const writer = store(schema);
    await writer.open(header());
    await new LogBuilder().commitTicks(writer, 1, 1);

    const error = await withClient(url, (c) =>
      c
        .query(
          `insert into "${schema}".commits (tick, at, first_seq, last_seq, last_input, hash)
           values (3, 0, 2, 2, 0, 'x')`,
        )
        .then(
          () => null,
          (err: unknown) => err,
        ),
    );

    expect((error as { code?: string } | null)?.code).toBe('23503');
  });

  it('gives a reader of a schema nobody created an empty log', async () => {
    const reader = store(fresh(), true);

    expect(await reader.open()).toBeNull();
    expect(await reader.readEvents()).toEqual({ items: [], next: null });
    expect(await reader.readCommits()).toEqual([]);
    expect(await reader.latestSnapshot()).toBeNull();
  });
});

function twoSchemas(base: string): string {
  const u = new URL(base);
  u.searchParams.append('schema', 'orders');
  u.searchParams.append('schema', 'billing');
  return u.href;
}
