/**
 * `@causeway/adapters/postgres`: the event store in a Postgres database, one schema per log.
 * Only this entry loads `pg`.
 *
 * @packageDocumentation
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { CausewayError, ErrorCodes } from '@causeway/runtime';
import { StoreLockedError } from '@causeway/runtime/store-kit';
import {
  checkSchemaName,
  checkStoreOptions,
  DEFAULT_SCHEMA,
  migrate,
  writerLockKey,
} from '../sql/schema.ts';
import type {
  SqlDriver,
  SqlQueryable,
  SqlSession,
  SqlTransaction,
  SqlWriterSession,
} from '../sql/session.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { redactUrl } from '../store-url.ts';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * The schema that holds the log (default `causeway`, or the URL's `?schema=`). Several logs
   * share a database by living in different schemas.
   */
  readonly schema?: string;
  /** Open to read only: no writer lock, no migrations, writes throw. */
  readonly readOnly?: boolean;
  /** Shown in `pg_stat_activity` and in the lock error another writer gets. */
  readonly applicationName?: string;
  /** How often a watching reader polls for commits in case a notification was lost (ms, default 250). */
  readonly pollMs?: number;
}

/** The URL without its password and Causeway's own parameters, for messages. */
function describe(url: URL): string {
  const shown = new URL(url.href);
  shown.password = '';
  shown.searchParams.delete('schema');
  // A password with an unescaped '/' parses as a port and a path: hide what may be one.
  return redactUrl(shown.href);
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new CausewayError(
      ErrorCodes.InvalidStoreUrl,
      `The Postgres URL ${JSON.stringify(redactUrl(url))} is malformed. Use postgres://user:password@host:5432/database?schema=name.`,
      { url: redactUrl(url) },
      { cause: err },
    );
  }
  // pg reads any URL as a connection string: mysql://… would quietly reach a Postgres server.
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new CausewayError(
      ErrorCodes.InvalidStoreUrl,
      `The Postgres URL ${JSON.stringify(redactUrl(url))} has the scheme "${parsed.protocol}"; use postgres:// or postgresql://.`,
      { url: redactUrl(url) },
    );
  }
  // Two ?schema= would leave which log is meant to whichever one is read first.
  if (parsed.searchParams.getAll('schema').length > 1) {
    throw new CausewayError(
      ErrorCodes.InvalidStoreUrl,
      `The Postgres URL ${JSON.stringify(redactUrl(url))} names the schema more than once (${parsed.searchParams.getAll('schema').join(', ')}); give one ?schema=.`,
      { url: redactUrl(url) },
    );
  }
  return parsed;
}

function unreachable(where: string, err: unknown): CausewayError {
  return new CausewayError(
    ErrorCodes.StoreUnavailable,
    `Could not connect to Postgres at ${where}: ${err instanceof Error ? err.message : String(err)}. Check that the server is running and that the URL, user and database are right.`,
    { store: where },
    { cause: err },
  );
}

const COPY_CHUNK = 1 << 20;

/**
 * `COPY … FROM STDIN` as a query object `pg` runs like its own (the protocol `pg-cursor` and
 * `pg-query-stream` use): it sends the rows when the server asks for them. Settles on the
 * server's ReadyForQuery, or at once on an error, as `pg`'s own queries do.
 */
class CopyIn implements pg.Submittable {
  readonly done: Promise<void>;
  private settle!: (err: Error | null) => void;
  private failed: Error | null = null;

  constructor(
    private readonly text: string,
    private readonly rows: Uint8Array,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err === null ? resolve() : reject(err));
    });
  }

  submit(connection: pg.Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: pg.Connection & CopyConnection): void {
    const rows = Buffer.from(this.rows.buffer, this.rows.byteOffset, this.rows.byteLength);
    // In pieces: `pg` copies each message into a buffer of its own before writing it.
    for (let at = 0; at < rows.length; at += COPY_CHUNK) {
      connection.sendCopyFromChunk(rows.subarray(at, at + COPY_CHUNK));
    }
    connection.endCopyFrom();
  }

  handleError(err: Error): void {
    this.failed = err;
    this.settle(err);
  }

  handleReadyForQuery(): void {
    this.settle(this.failed);
  }

  handleCommandComplete(): void {}
  handleCopyData(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

/** The part of `pg`'s connection that COPY needs (its typings leave it out). */
interface CopyConnection {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class PgWriterSession implements SqlWriterSession {
  readonly bulkCopy = true;
  broken = false;
  constructor(private readonly client: pg.Client) {
    client.on('error', () => {
      this.broken = true;
    });
    client.on('end', () => {
      this.broken = true;
    });
  }

  async query<R extends object>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }> {
    const res = await this.client.query(text, params === undefined ? undefined : [...params]);
    return { rows: res.rows as R[] };
  }

  async copyIn(table: string, columns: string, rows: Uint8Array): Promise<void> {
    const copy = new CopyIn(`copy ${table} (${columns}) from stdin (format binary)`, rows);
    this.client.query(copy);
    await copy.done;
  }

  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    await this.client.query('begin');
    try {
      const result = await fn(this);
      await this.client.query('commit');
      return result;
    } catch (err) {
      if (!this.broken) await this.client.query('rollback').catch(() => undefined);
      throw err;
    }
  }

  async release(): Promise<void> {
    this.broken = true;
    // Ending the connection ends the session, and Postgres releases its advisory lock with it.
    await this.client.end().catch(() => undefined);
  }
}

/** Talks to Postgres through `pg`: a pool for reads, one connection per writer and per listener. */
class PgDriver implements SqlDriver {
  readonly description: string;
  readonly reads: SqlQueryable;
  private pool: pg.Pool | null = null;

  constructor(
    private readonly connectionString: string,
    description: string,
    private readonly applicationName: string,
  ) {
    this.description = description;
    this.reads = {
      query: async <R extends object>(text: string, params?: readonly unknown[]) => {
        const res = await this.readPool().query(
          text,
          params === undefined ? undefined : [...params],
        );
        return { rows: res.rows as R[] };
      },
    };
  }

  private readPool(): pg.Pool {
    if (this.pool === null) {
      this.pool = new pg.Pool({
        connectionString: this.connectionString,
        application_name: `${this.applicationName} reader`.slice(0, 63),
        max: 4,
        idleTimeoutMillis: 10_000,
        allowExitOnIdle: true,
      });
      // An idle pooled connection that dies (server restart, pg_terminate_backend) is dropped
      // by the pool; without a handler its 'error' would crash the process.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  private async connect(role: string): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: `${this.applicationName} ${role}`.slice(0, 63),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw unreachable(this.description, err);
    }
    return client;
  }

  async openWriter(schema: string): Promise<SqlWriterSession> {
    const client = await this.connect('writer');
    const session = new PgWriterSession(client);
    const [classKey, schemaKey] = writerLockKey(schema);
    try {
      const { rows } = await client.query<{ ok: boolean }>(
        'select pg_try_advisory_lock($1::int, $2::int) as ok',
        [classKey, schemaKey],
      );
      if (rows[0]?.ok === true) return session;
      const holder = await this.lockHolder(client, classKey, schemaKey);
      throw new StoreLockedError(`${this.description} (schema ${schema})`, holder);
    } catch (err) {
      await session.release();
      if (err instanceof CausewayError) throw err;
      throw unreachable(this.description, err);
    }
  }

  private async lockHolder(
    client: pg.Client,
    classKey: number,
    schemaKey: number,
  ): Promise<string> {
    try {
      const { rows } = await client.query<{ pid: number; app: string | null; addr: string | null }>(
        `select a.pid, a.application_name as app, a.client_addr::text as addr
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'advisory' and l.granted and l.objsubid = 2
           and l.classid::bigint = $1 and l.objid::bigint = $2
           and l.database = (select oid from pg_database where datname = current_database())`,
        [classKey, schemaKey],
      );
      const r = rows[0];
      if (r === undefined) return 'another Postgres session (it let go just now: retry)';
      const app = r.app === null || r.app === '' ? 'no application_name' : `application "${r.app}"`;
      return `Postgres backend pid ${r.pid} (${app}${r.addr === null ? '' : `, client ${r.addr}`})`;
    } catch {
      return 'another Postgres session (this user may not read pg_locks to name it)';
    }
  }

  async listen(
    channel: string,
    onNotify: () => void,
    onLost: () => void,
  ): Promise<() => Promise<void>> {
    const client = await this.connect('listener');
    let stopped = false;
    const lost = (): void => {
      if (!stopped) {
        stopped = true;
        onLost();
        void client.end().catch(() => undefined);
      }
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => {
      if (msg.channel === channel) onNotify();
    });
    try {
      await client.query(`listen "${channel}"`);
    } catch (err) {
      lost();
      throw err;
    }
    return async () => {
      stopped = true;
      await client.end().catch(() => undefined);
    };
  }

  async end(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.end().catch(() => undefined);
  }
}

/**
 * The event store in Postgres. Each log lives in its own schema (tables `header`, `events`,
 * `inputs`, `commits`, `snapshots`, `schema_migrations`), created and migrated by the first
 * writer. One writer per log: it holds `pg_try_advisory_lock` on a key derived from the schema
 * name on its own connection for its whole life; readers take no lock and tail commits with
 * LISTEN/NOTIFY, polling as well so that a lost notification never stalls them.
 *
 * When the writer's connection is lost, the write in flight rejects with `CW_STORE_UNAVAILABLE`
 * (the database rolled it back) and the next write reconnects and takes the lock again.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore('postgres://app@db:5432/app', { schema: 'orders' });
 * await store.open(header);
 * ```
 */
export class PostgresStore extends SqlStore {
  /**
   * @throws CausewayError `CW_INVALID_STORE_URL` for a malformed URL, `CW_INVALID_ARGUMENT`
   * for a bad schema name or an option of the wrong kind (a `readOnly` that is not a boolean,
   * a `pollMs` below 1). Connects only when used.
   */
  constructor(url: string, options: PostgresStoreOptions = {}) {
    checkStoreOptions(options, 'PostgresStore');
    const parsed = parseUrl(url);
    const schema = checkSchemaName(
      options.schema ?? parsed.searchParams.get('schema') ?? DEFAULT_SCHEMA,
    );
    const connection = new URL(parsed.href);
    connection.searchParams.delete('schema');
    const readOnly = options.readOnly ?? false;
    const app =
      options.applicationName ?? `causeway ${schema} ${hostname()}:${process.pid}`.slice(0, 50);
    super(new PgDriver(connection.href, describe(parsed), app), {
      schema,
      readOnly,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    });
  }
}

/**
 * Creates a {@link PostgresStore} on `url` (not yet opened: call `open(header)` to write,
 * `open()` to read). The schema is `options.schema`, else the URL's `?schema=`, else `causeway`.
 * @throws CausewayError `CW_INVALID_STORE_URL`, `CW_INVALID_ARGUMENT`
 */
export function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  return Promise.resolve().then(() => new PostgresStore(url, options));
}

/**
 * Creates or upgrades the log tables in `schema` without opening a store (for deployment
 * scripts). Idempotent. Resolves to the number of migrations applied.
 * @throws CausewayError `CW_STORE_UNAVAILABLE` when Postgres is unreachable.
 */
export async function migratePostgres(
  url: string,
  schema: string = DEFAULT_SCHEMA,
): Promise<number> {
  const parsed = parseUrl(url);
  const connection = new URL(parsed.href);
  connection.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: connection.href });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw unreachable(describe(parsed), err);
  }
  const session: SqlSession = {
    query: async <R extends object>(text: string, params?: readonly unknown[]) => ({
      rows: (await client.query(text, params === undefined ? undefined : [...params])).rows as R[],
    }),
    transaction: async (fn) => {
      await client.query('begin');
      try {
        const result = await fn(session);
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    },
  };
  try {
    return await migrate(session, schema);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export { PostgresReadModel } from './read-model.ts';
export type { PostgresReadModelOptions, PostgresTransaction } from './read-model.ts';
