import { CausewayError, ErrorCodes } from '@causeway/runtime';
import type { SqlQueryable, SqlSession } from './session.ts';

/** The schema a log lives in when none is named. */
export const DEFAULT_SCHEMA = 'causeway';

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks a log's schema name. Names are restricted to lower-case identifiers so that they
 * need no quoting rules of their own and map one-to-one onto lock keys and channel names;
 * Postgres' own (`pg_…`, `information_schema`) are refused.
 * @throws CausewayError `CW_INVALID_ARGUMENT`
 */
export function checkSchemaName(schema: string): string {
  if (!schemaName.test(schema)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `The schema name ${JSON.stringify(schema)} is not usable for a Causeway log: use 1 to 63 lower-case letters, digits and underscores, not starting with a digit (for example "causeway" or "orders_log").`,
      { schema },
    );
  }
  // Postgres keeps these for itself: a pg_ name cannot be created, and information_schema
  // exists, so a log would be written among the system's views.
  if (schema.startsWith('pg_') || schema === 'information_schema') {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `The schema name ${JSON.stringify(schema)} is reserved by Postgres for its system schemas; give the log another schema (for example "causeway" or "orders_log").`,
      { schema },
    );
  }
  return schema;
}

// First half of every Causeway advisory lock key ("Caus"), so that the keys do not collide with
// an application's own advisory locks that use the one-bigint form.
const WRITER_LOCK_CLASS = 0x43617573;
const MIGRATION_LOCK_CLASS = 0x43617574;

/** FNV-1a over the schema name, folded to a positive 32-bit integer (a Postgres `int4`). */
function schemaKey(schema: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) {
    h ^= schema.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x7fffffff;
}

/** The two `int4` keys of the writer's advisory lock on `schema`. */
export function writerLockKey(schema: string): [number, number] {
  return [WRITER_LOCK_CLASS, schemaKey(schema)];
}

/** The LISTEN/NOTIFY channel on which commits to `schema` are announced. */
export function commitChannel(schema: string): string {
  return `causeway_commit_${schema}`.slice(0, 63);
}

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (s: string) => readonly string[];
}

// Append-only: a released migration never changes, a change is a new version.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'log tables',
    statements: (s) => [
      `create table ${s}.header (
        singleton boolean primary key default true check (singleton),
        format int not null,
        seed bigint not null,
        event_types json not null
      )`,
      // The generated prev_* columns let the database itself refuse a gap: a row must follow
      // an existing one, even if a second writer somehow got past the advisory lock.
      `create table ${s}.inputs (
        ino bigint primary key check (ino >= 1),
        type text not null,
        version int not null,
        entity text not null,
        data bytea not null,
        actor text not null,
        prev_ino bigint generated always as (nullif(ino - 1, 0)) stored references ${s}.inputs (ino)
      )`,
      `create table ${s}.commits (
        tick bigint primary key check (tick >= 1),
        at bigint not null,
        first_seq bigint not null check (first_seq >= 1),
        last_seq bigint not null,
        last_input bigint not null check (last_input >= 0),
        hash text not null,
        prev_tick bigint generated always as (nullif(tick - 1, 0)) stored,
        prev_last_seq bigint generated always as (case when tick > 1 then first_seq - 1 end) stored,
        consumed_input bigint generated always as (nullif(last_input, 0)) stored references ${s}.inputs (ino),
        check (last_seq >= first_seq - 1),
        check (tick > 1 or first_seq = 1),
        unique (tick, last_seq),
        foreign key (prev_tick, prev_last_seq) references ${s}.commits (tick, last_seq)
      )`,
      `create table ${s}.events (
        seq bigint primary key check (seq >= 1),
        id text not null,
        tick bigint not null,
        type text not null,
        version int not null,
        entity text not null,
        data bytea not null,
        at bigint not null,
        causation text,
        correlation text not null,
        actor text not null
      )`,
      `create index events_entity on ${s}.events (entity, seq)`,
      `create index events_type on ${s}.events (type, seq)`,
      `create index events_correlation on ${s}.events (correlation, seq)`,
      `create table ${s}.snapshots (
        tick bigint primary key check (tick >= 0),
        last_seq bigint not null,
        last_input bigint not null,
        bytes bytea not null
      )`,
    ],
  },
];

/** The newest schema version this code writes and reads. */
export const LATEST_VERSION = (MIGRATIONS.at(-1) as Migration).version;

/** `schema` quoted as an identifier (it was checked by {@link checkSchemaName}). */
export function quoted(schema: string): string {
  return `"${schema}"`;
}

/**
 * Brings `schema` up to {@link LATEST_VERSION}, creating it if needed, in one transaction.
 * Idempotent: migrations already applied (recorded in `schema_migrations`) are skipped, and
 * concurrent callers are serialised by a transaction-scoped advisory lock.
 * Resolves to the number of migrations applied now.
 * @throws CausewayError `CW_LOG_MISMATCH` when the schema was written by a newer Causeway.
 */
export async function migrate(session: SqlSession, schema: string): Promise<number> {
  const s = quoted(checkSchemaName(schema));
  return session.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1::int, $2::int)', [
      MIGRATION_LOCK_CLASS,
      writerLockKey(schema)[1],
    ]);
    await tx.query(`create schema if not exists ${s}`);
    await tx.query(
      `create table if not exists ${s}.schema_migrations (
        version int primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`,
    );
    const current = await schemaVersion(tx, schema);
    checkNotNewer(schema, current);
    let applied = 0;
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements(s)) await tx.query(statement);
      await tx.query(`insert into ${s}.schema_migrations (version, name) values ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied++;
    }
    return applied;
  });
}

/** The schema's applied version (0 when it has none). Throws if the schema does not exist. */
export async function schemaVersion(db: SqlQueryable, schema: string): Promise<number> {
  const { rows } = await db.query<{ v: unknown }>(
    `select coalesce(max(version), 0) as v from ${quoted(schema)}.schema_migrations`,
  );
  return Number(rows[0]?.v ?? 0);
}

/**
 * Refuses a schema written by a newer version of Causeway.
 * @throws CausewayError `CW_LOG_MISMATCH`
 */
export function checkNotNewer(schema: string, version: number): void {
  if (version > LATEST_VERSION) {
    throw new CausewayError(
      ErrorCodes.LogMismatch,
      `The log in schema "${schema}" has schema version ${version}, newer than the ${LATEST_VERSION} this Causeway knows. Upgrade @causeway/adapters to open it.`,
      { schema, version, latest: LATEST_VERSION },
    );
  }
}

/**
 * Refuses store options that are not an object (`null`, a string): a typed error where reading
 * an option would otherwise throw a bare TypeError.
 */
export function checkStoreOptions(options: unknown, store: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `The options of ${store} must be an object (or left out), got ${options === null ? 'null' : typeof options}.`,
      { options: options === null ? 'null' : typeof options },
    );
  }
}
