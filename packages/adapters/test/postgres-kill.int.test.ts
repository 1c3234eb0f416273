import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, isCausewayError } from '@causeway/runtime';
import {
  eventually,
  header,
  LogBuilder,
  readAll,
  rejectionOf,
} from '../../../test/conformance/fixtures.ts';
import { pgUrl, requirePostgres } from '../../../test/services.ts';
import { PostgresStore } from '../src/postgres/index.ts';
import { dropSchema, uniqueSchema, withClient } from './postgres-harness.ts';

const postgres = await requirePostgres();
const url = pgUrl();

/** Terminates the backends of `application` and waits until they are gone. */
async function kill(application: string, where = ''): Promise<void> {
  await withClient(url, async (c) => {
    const { rows } = await c.query<{ pid: number }>(
      `select pid from pg_stat_activity where application_name = $1 ${where}`,
      [application],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) await c.query('select pg_terminate_backend($1)', [r.pid]);
    await eventually(async () => {
      const left = await c.query('select 1 from pg_stat_activity where pid = any($1::int[])', [
        rows.map((r) => r.pid),
      ]);
      expect(left.rows).toHaveLength(0);
    });
  });
}

describe.skipIf(!postgres.available)('postgres store: killed connections', () => {
  let schema: string;
  let app: string;
  let stores: PostgresStore[];

  function store(options: { readOnly?: boolean; applicationName?: string } = {}): PostgresStore {
    const s = new PostgresStore(url, { schema, applicationName: app, ...options });
    stores.push(s);
    return s;
  }

  beforeEach(() => {
    schema = uniqueSchema();
    app = `cw-kill-${schema}`;
    stores = [];
  });

  afterEach(async () => {
    for (const s of stores) await s.close();
    await dropSchema(url, schema);
  });

  it('rolls back a tick whose connection is killed mid-commit and rejects it with CW_STORE_UNAVAILABLE', async () => {
    const writer = store();
    await writer.open(header());
    const log = new LogBuilder();
    await log.commitTicks(writer, 1, 3);
    const big = log.nextTick(Array.from({ length: 5000 }, () => ({})));
    // Arrange for the commit to stop half-way: another transaction holds an uncommitted row
    // with the tick's last seq, so the writer has inserted 4,999 events and waits on it.
    await withClient(url, async (blocker) => {
      await blocker.query('begin');
      await blocker.query(
        `insert into "${schema}".events (seq, id, tick, type, version, entity, data, at, correlation, actor)
         values ($1, 'x', 0, 'x', 1, 'x', '\\x00', 0, 'x', 'x')`,
        [big.commit.lastSeq],
      );
      const pending = rejectionOf(() => writer.commit(big.commit, big.events));
      await withClient(url, async (c) => {
        await eventually(async () => {
          const { rows } = await c.query(
            `select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
            [`${app} writer`],
          );
          expect(rows).toHaveLength(1);
        });
      });

      await kill(`${app} writer`);
      const error = await pending;
      await blocker.query('rollback');

      expect(error).toBeCausewayError(ErrorCodes.StoreUnavailable);
      expect((error as Error).message).toMatch(/connection to the database was lost/);
    });
    const reader = store({ readOnly: true });
    await reader.open();
    expect(await reader.lastCommit()).toEqual(log.ticks[0]?.commit);
    expect(await readAll(reader)).toEqual(log.events);
  });

  it('says a commit killed while its events were being sent lost the connection, rolled the tick back and will retry it', async () => {
    const writer = store();
    await writer.open(header());
    const log = new LogBuilder();
    await log.commitTicks(writer, 1, 3);
    // Large payloads the server does not read while the COPY waits for the table: the client
    // is still writing them when its backend is killed (write EPIPE / ECONNRESET).
    const blob = 'x'.repeat(32 * 1024);
    const big = log.nextTick(Array.from({ length: 2000 }, (_, i) => ({ data: { i, blob } })));
    let error: unknown = null;
    await withClient(url, async (blocker) => {
      await blocker.query('begin');
      await blocker.query(`lock table "${schema}".events in access exclusive mode`);
      const pending = rejectionOf(() => writer.commit(big.commit, big.events));
      await eventually(async () => {
        const { rows } = await blocker.query(
          `select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
          [`${app} writer`],
        );
        expect(rows).toHaveLength(1);
      });
      await kill(`${app} writer`);
      error = await pending;
      await blocker.query('rollback');
    });

    expect(isCausewayError(error, ErrorCodes.StoreUnavailable), String(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/connection to the database was lost/);
    expect(message).toMatch(/tick was rolled back and will be retried/);
    expect(message).not.toMatch(/database's log/);
    expect((error as { details: { connectionLost: boolean } }).details.connectionLost).toBe(true);
    expect(await writer.lastCommit()).toEqual(log.ticks[0]?.commit);
  });

  it('commits the same tick again after the killed commit, on a new connection holding the lock', async () => {
    const writer = store();
    await writer.open(header());
    const log = new LogBuilder();
    await log.commitTicks(writer, 1, 3);
    const big = log.nextTick(Array.from({ length: 2000 }, () => ({})));
    await withClient(url, async (blocker) => {
      await blocker.query('begin');
      await blocker.query(`lock table "${schema}".commits in access exclusive mode`);
      const pending = rejectionOf(() => writer.commit(big.commit, big.events));
      await eventually(async () => {
        const { rows } = await blocker.query(
          `select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
          [`${app} writer`],
        );
        expect(rows).toHaveLength(1);
      });
      await kill(`${app} writer`);
      expect(await pending).toBeCausewayError(ErrorCodes.StoreUnavailable);
      await blocker.query('rollback');
    });

    await writer.commit(big.commit, big.events);
    log.accept(big);

    expect(await readAll(writer)).toEqual(log.events);
    expect(await writer.lastCommit()).toEqual(big.commit);
    const second = store({ applicationName: 'cw-kill-second' });
    const refused = await rejectionOf(() => second.open(header()));
    expect(refused).toBeCausewayError(ErrorCodes.StoreLocked);
  });

  it('reconnects transparently when its idle connection was killed between commits', async () => {
    const writer = store();
    await writer.open(header());
    const log = new LogBuilder();
    await log.commitTicks(writer, 1, 2);

    await kill(`${app} writer`);
    await log.commitTicks(writer, 1, 2);

    expect(await readAll(writer)).toEqual(log.events);
  });

  it('refuses to write with CW_STORE_LOCKED, naming the holder, when another writer took the log while it was disconnected', async () => {
    const first = store();
    await first.open(header());
    const log = new LogBuilder();
    await log.commitTicks(first, 1, 2);
    await kill(`${app} writer`);
    const second = store({ applicationName: 'cw-kill-usurper' });
    await second.open(header());

    const next = log.nextTick([{}]);
    const error = await rejectionOf(() => first.commit(next.commit, next.events));

    expect(error).toBeCausewayError(ErrorCodes.StoreLocked);
    expect((error as Error).message).toContain('cw-kill-usurper writer');
  });

  it('delivers commits to a watching reader whose listening connection was killed', async () => {
    const writer = store();
    await writer.open(header());
    const reader = store({ readOnly: true, applicationName: `${app}-reader` });
    await reader.open();
    const seen: number[] = [];
    const unwatch = reader.watch((c) => seen.push(c.tick));
    const log = new LogBuilder();
    await log.commitTicks(writer, 1, 1);
    await eventually(() => expect(seen).toEqual([1]));

    await kill(`${app}-reader listener`);
    await log.commitTicks(writer, 2, 1);

    await eventually(() => expect(seen).toEqual([1, 2, 3]));
    unwatch();
  });
});
