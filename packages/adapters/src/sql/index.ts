/**
 * The SQL event store shared by the Postgres and PGlite adapters, and its schema migrations.
 *
 * @packageDocumentation
 */
export { SqlStore } from './sql-store.ts';
export type { SqlStoreOptions } from './sql-store.ts';
export {
  checkSchemaName,
  DEFAULT_SCHEMA,
  LATEST_VERSION,
  migrate,
  writerLockKey,
} from './schema.ts';
export { commitChannel } from './schema.ts';
export type { SqlDriver, SqlQueryable, SqlSession, SqlWriterSession } from './session.ts';
