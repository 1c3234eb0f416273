import pg from 'pg';
import { CausewayError, ErrorCodes } from '@causeway/runtime';
import type { ProjectionTarget } from '@causeway/runtime/cqrs';
import { checkSchemaName } from '../sql/schema.ts';
import { redactUrl } from '../store-url.ts';

/** What a catch-up projection's handler gets on Postgres: queries inside the batch's transaction. */
export interface PostgresTransaction {
  /** Runs one statement in the transaction; resolves with its rows. */
  query<Row extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<Row[]>;
}

/** Options of {@link PostgresReadModel.open}. */
export interface PostgresReadModelOptions {
  /** The schema holding the read model's tables and the checkpoints (default `causeway_read`). */
  readonly schema?: string;
  /** Connections in the pool (default 4). */
  readonly poolSize?: number;
}

/**
 * Read models in Postgres tables. Each batch of a catch-up projection runs in one transaction
 * that also writes the projection's checkpoint (table `<schema>.checkpoints`), so rows and
 * position never disagree: exactly once in effect, across crashes.
 *
 * @example
 * ```ts
 * const model = await PostgresReadModel.open(url, { schema: 'bank_read' });
 * const balances = defineProjection<PostgresTransaction>('balances')
 *   .on(Deposited, (tx, e) => tx.query('insert into bank_read.balances …', [e.entity, e.data.amount]).then(() => undefined))
 *   .clear((tx) => tx.query('truncate bank_read.balances').then(() => undefined));
 * await new CatchUpProjection({ projection: balances, source: system, target: model }).start();
 * ```
 */
export class PostgresReadModel implements ProjectionTarget<PostgresTransaction> {
  readonly description: string;
  readonly #pool: pg.Pool;
  readonly #schema: string;

  private constructor(pool: pg.Pool, schema: string, description: string) {
    this.#pool = pool;
    this.#schema = schema;
    this.description = description;
  }

  /**
   * Connects and creates the schema and its checkpoints table when missing.
   *
   * @throws CausewayError `CW_STORE_UNAVAILABLE` when Postgres cannot be reached,
   *   `CW_INVALID_ARGUMENT` for a bad schema name.
   */
  static async open(
    url: string,
    options: PostgresReadModelOptions = {},
  ): Promise<PostgresReadModel> {
    const schema = options.schema ?? 'causeway_read';
    checkSchemaName(schema);
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 4 });
    pool.on('error', () => undefined);
    const where = redactUrl(url);
    try {
      await pool.query(`create schema if not exists "${schema}"`);
      await pool.query(
        `create table if not exists "${schema}".checkpoints (name text primary key, position bigint not null)`,
      );
    } catch (err) {
      await pool.end();
      throw new CausewayError(
        ErrorCodes.StoreUnavailable,
        `Could not prepare the read model schema "${schema}" at ${where}: ${err instanceof Error ? err.message : String(err)}.`,
        { store: where, schema },
        { cause: err },
      );
    }
    return new PostgresReadModel(pool, schema, `postgres read model ${where} (${schema})`);
  }

  /** The schema the read model lives in (for the projection's SQL). */
  get schema(): string {
    return this.#schema;
  }

  /** Runs a read query outside any projection transaction. */
  async query<Row extends object = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<Row[]> {
    const result = await this.#pool.query<Row>(sql, [...params]);
    return result.rows;
  }

  async checkpoint(name: string): Promise<number> {
    const rows = await this.query<{ position: string }>(
      `select position from "${this.#schema}".checkpoints where name = $1`,
      [name],
    );
    return rows[0] === undefined ? 0 : Number(rows[0].position);
  }

  async transact(
    name: string,
    to: number,
    work: (tx: PostgresTransaction) => Promise<void>,
  ): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('begin');
      await work({
        query: async <Row extends object>(sql: string, params: readonly unknown[] = []) =>
          (await client.query<Row>(sql, [...params])).rows,
      });
      await client.query(
        `insert into "${this.#schema}".checkpoints (name, position) values ($1, $2)
         on conflict (name) do update set position = excluded.position`,
        [name, to],
      );
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async reset(
    name: string,
    clear: ((tx: PostgresTransaction) => void | Promise<void>) | null,
  ): Promise<void> {
    if (clear === null) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Projection "${name}" has no clear step; a Postgres read model cannot guess which tables are its own. Declare one with .clear((tx) => tx.query('truncate …')).`,
        { projection: name },
      );
    }
    await this.transact(name, 0, async (tx) => {
      await clear(tx);
      await tx.query(`delete from "${this.#schema}".checkpoints where name = $1`, [name]);
    });
  }

  /** Closes the pool. */
  async close(): Promise<void> {
    await this.#pool.end();
  }
}
