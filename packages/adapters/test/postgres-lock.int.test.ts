import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineEvent, ErrorCodes, EventSystem, input, newEntityId } from '@causeway/runtime';
import { header, LogBuilder, readAll, rejectionOf } from '../../../test/conformance/fixtures.ts';
import { pgUrl, requirePostgres } from '../../../test/services.ts';
import { openPostgresStore, PostgresStore } from '../src/postgres/index.ts';
import { dropSchema, uniqueSchema, withClient } from './postgres-harness.ts';

const postgres = await requirePostgres();
const url = pgUrl();

describe.skipIf(!postgres.available)('postgres store: one writer per log', () => {
  let schema: string;
  let stores: PostgresStore[];

  function store(
    options: { readOnly?: boolean; applicationName?: string; schema?: string } = {},
  ): PostgresStore {
    const s = new PostgresStore(url, { schema, ...options });
    stores.push(s);
    return s;
  }

  /** The advisory locks currently held on the test database. */
  async function advisoryLocks(): Promise<number> {
    return withClient(url, async (c) => {
      const { rows } = await c.query<{ pid: number }>(
        `select l.pid from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'advisory' and a.application_name like $1`,
        [`cw-lock-${schema}%`],
      );
      return rows.length;
    });
  }

  beforeEach(() => {
    schema = uniqueSchema();
    stores = [];
  });

  afterEach(async () => {
    for (const s of stores) await s.close();
    await dropSchema(url, schema);
  });

  it('refuses a second writer, on its own pool, with CW_STORE_LOCKED naming the holder', async () => {
    const first = store({ applicationName: `cw-lock-${schema}-first` });
    await first.open(header());
    const holderPid = await withClient(url, async (c) => {
      const { rows } = await c.query<{ pid: number }>(
        'select pid from pg_stat_activity where application_name = $1',
        [`cw-lock-${schema}-first writer`],
      );
      return rows[0]?.pid;
    });
    const second = store({ applicationName: `cw-lock-${schema}-second` });

    const error = await rejectionOf(() => second.open(header()));

    expect(error).toBeCausewayError(ErrorCodes.StoreLocked);
    const holder = String((error as { details: { holder: unknown } }).details.holder);
    expect(holder).toContain(`pid ${holderPid}`);
    expect(holder).toContain(`cw-lock-${schema}-first writer`);
    expect((error as Error).message).toContain(`schema ${schema}`);
  });

  it('refuses a second writer made by openPostgresStore from a URL with ?schema=', async () => {
    const first = await openPostgresStore(`${url}?schema=${schema}`);
    stores.push(first);
    await first.open(header());
    const second = await openPostgresStore(`${url}?schema=${schema}`);
    stores.push(second);

    const error = await rejectionOf(() => second.open(header()));

    expect(error).toBeCausewayError(ErrorCodes.StoreLocked);
  });

  it('lets the next writer in once the first closes', async () => {
    const first = store();
    await first.open(header());
    const log = new LogBuilder();
    await log.commitTicks(first, 2, 1);
    await first.close();

    const second = store();
    await second.open(header());
    await log.commitTicks(second, 1, 1);

    expect(await readAll(second)).toEqual(log.events);
  });

  it('lets a system refused by the lock open once the holder closes, instead of repeating the refusal', async () => {
    const Noted = defineEvent<{ text: string }>('Noted', { entity: 'new' });
    const first = new EventSystem({ seed: 1, store: store(), events: [Noted] });
    await first.tick([input(Noted, newEntityId(), { text: 'first' }, 'ada')], { at: Date.now() });
    const second = new EventSystem({ seed: 1, store: store(), events: [Noted] });
    await expect(second.open()).rejects.toBeCausewayError(ErrorCodes.StoreLocked);

    await first.close();
    const result = await second.tick([input(Noted, newEntityId(), { text: 'second' }, 'bo')], {
      at: Date.now(),
    });

    expect(result.commit.tick).toBe(2);
    expect(second.lastCommit?.lastInput).toBe(2);
  });

  it('takes no lock for readers', async () => {
    const writer = store({ applicationName: `cw-lock-${schema}-w` });
    await writer.open(header());
    const readers = [
      store({ readOnly: true, applicationName: `cw-lock-${schema}-r1` }),
      store({ readOnly: true, applicationName: `cw-lock-${schema}-r2` }),
    ];
    for (const r of readers) {
      await r.open();
      await r.readEvents();
    }

    expect(await advisoryLocks()).toBe(1);
  });

  it('lets writers of different schemas work side by side', async () => {
    const other = uniqueSchema();
    try {
      const a = store();
      const b = store({ schema: other });
      await a.open(header(1));
      await b.open(header(2));
      await new LogBuilder().commitTicks(a, 1, 1);
      await new LogBuilder().commitTicks(b, 1, 1);
      expect((await a.lastCommit())?.tick).toBe(1);
      expect((await b.lastCommit())?.tick).toBe(1);
    } finally {
      for (const s of stores) await s.close();
      stores = [];
      await dropSchema(url, other);
    }
  });
});
