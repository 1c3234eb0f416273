/**
 * `@causeway/adapters/pglite`: the Postgres store's code over PGlite, Postgres compiled to
 * WebAssembly and run in-process. Only this entry loads `@electric-sql/pglite`.
 *
 * @packageDocumentation
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Transaction } from '@electric-sql/pglite';
import { CausewayError, ErrorCodes } from '@causeway/runtime';
import { StoreLockedError } from '@causeway/runtime/store-kit';
import { checkSchemaName, checkStoreOptions, DEFAULT_SCHEMA } from '../sql/schema.ts';
import type { SqlDriver, SqlQueryable, SqlTransaction, SqlWriterSession } from '../sql/session.ts';
import { SqlStore } from '../sql/sql-store.ts';

/** Options of {@link PgliteStore}. */
export interface PgliteStoreOptions {
  /** The schema that holds the log (default `causeway`); several logs share one database. */
  readonly schema?: string;
  /** Open to read only: no writer lock, no migrations, writes throw. */
  readonly readOnly?: boolean;
  /** How often a watching reader polls for commits (ms, default 250). */
  readonly pollMs?: number;
}

interface Shared {
  readonly db: Promise<PGlite>;
  refs: number;
}

// A PGlite data directory must be opened by one instance only, so the stores of a process
// share one instance per directory (and per named `memory://name`), counted by reference.
const shared = new Map<string, Shared>();

// Writer locks are per instance: PGlite is one session, where Postgres advisory locks would
// be re-entrant and could not keep a second writer out.
const writerLocks = new WeakMap<PGlite, Map<string, string>>();
let writers = 0;

function queryable(db: PGlite | { query: PGlite['query'] }): SqlQueryable {
  return {
    query: async <R extends object>(text: string, params?: readonly unknown[]) => {
      const res = await db.query<R>(text, params === undefined ? undefined : [...params]);
      return { rows: res.rows };
    },
  };
}

/** A PGlite transaction; COPY reads its rows from PGlite's `/dev/blob`. */
function transaction(tx: Transaction): SqlTransaction {
  return {
    ...queryable(tx),
    copyIn: async (table: string, columns: string, rows: Uint8Array) => {
      await tx.query(`copy ${table} (${columns}) from '/dev/blob' (format binary)`, [], {
        blob: new Blob([rows]),
      });
    },
  };
}

/** Whether `db` keeps its data in a directory (not in memory, not in IndexedDB). */
function inDirectory(db: PGlite): boolean {
  const dir: unknown = db.dataDir;
  return typeof dir === 'string' && dir !== '' && !/^[a-z][a-z0-9+.-]*:\/\//.test(dir);
}

class PgliteDriver implements SqlDriver {
  readonly reads: SqlQueryable;
  private ended = false;

  constructor(
    readonly description: string,
    private readonly db: PGlite,
    private readonly release: () => Promise<void>,
  ) {
    this.reads = queryable(db);
  }

  openWriter(schema: string): Promise<SqlWriterSession> {
    let locks = writerLocks.get(this.db);
    if (locks === undefined) {
      locks = new Map();
      writerLocks.set(this.db, locks);
    }
    const holder = locks.get(schema);
    if (holder !== undefined) {
      return Promise.reject(new StoreLockedError(`${this.description} (schema ${schema})`, holder));
    }
    const me = `PGlite writer #${++writers} in this process (pid ${process.pid})`;
    locks.set(schema, me);
    const db = this.db;
    const base = queryable(db);
    return Promise.resolve({
      // In memory, each COPY took longer the larger the table was (about 130 ms for 10,000
      // events on an empty log, over 1 s at 270,000), while INSERT … SELECT kept a steady pace.
      bulkCopy: inDirectory(db),
      broken: false,
      query: <R extends object>(text: string, params?: readonly unknown[]) =>
        base.query<R>(text, params),
      transaction: <T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> =>
        db.transaction((tx) => fn(transaction(tx))),
      release: (): Promise<void> => {
        if (locks.get(schema) === me) locks.delete(schema);
        return Promise.resolve();
      },
    });
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    const stop = await this.db.listen(channel, onNotify);
    return async () => {
      if (!this.db.closed) await stop();
    };
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.release();
  }
}

/**
 * The event store in PGlite: the same SQL, schema and rules as {@link PostgresStore}, in
 * process. The single-writer rule holds per PGlite instance (stores of one process on one
 * directory share the instance); a PGlite directory must not be opened by two processes.
 */
export class PgliteStore extends SqlStore {
  /** The PGlite instance underneath (shared with the other stores on the same place). */
  readonly db: PGlite;

  /** Prefer {@link openPgliteStore}, which creates or shares the instance. */
  constructor(
    db: PGlite,
    description: string,
    options: PgliteStoreOptions = {},
    release: () => Promise<void> = () => Promise.resolve(),
  ) {
    const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA);
    super(new PgliteDriver(description, db, release), {
      schema,
      readOnly: options.readOnly ?? false,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    });
    this.db = db;
  }
}

/**
 * Creates a {@link PgliteStore} (not yet opened: call `open(header)` to write, `open()` to
 * read) on:
 * - a directory (`./data`): durable; the stores of this process on it share one instance;
 * - `memory://`: a fresh in-memory database of its own;
 * - `memory://name`: an in-memory database shared by the stores of this process with that
 *   name, until the last of them closes;
 * - a `PGlite` instance you own (this store never closes it).
 *
 * @example
 * ```ts
 * const writer = await openPgliteStore('./data/pglite', { schema: 'orders' });
 * await writer.open(header);
 * ```
 * @throws CausewayError `CW_INVALID_ARGUMENT` when the path is empty or a file, not a folder,
 * when `where` is neither a string nor a `PGlite`, or for an option of the wrong kind;
 * `CW_STORE_UNAVAILABLE` when PGlite cannot open the directory.
 */
export async function openPgliteStore(
  where: string | PGlite,
  options: PgliteStoreOptions = {},
): Promise<PgliteStore> {
  checkStoreOptions(options, 'openPgliteStore');
  const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA);
  if (typeof where !== 'string') {
    if (!(where instanceof PGlite)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `openPgliteStore needs a folder, 'memory://', 'memory://name' or a PGlite instance, got ${where === null ? 'null' : typeof where}.`,
        { where: where === null ? 'null' : typeof where },
      );
    }
    return new PgliteStore(where, 'pglite:(instance)', { ...options, schema });
  }
  // An empty path (an unset variable, say) must not quietly become a database that a restart
  // loses.
  if (where.trim() === '') {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `openPgliteStore needs a folder, 'memory://' or 'memory://name', got ${JSON.stringify(where)}.`,
      { where },
    );
  }
  if (where === 'memory://') {
    const db = await create(undefined, 'pglite:memory');
    return new PgliteStore(db, 'pglite:memory', { ...options, schema }, () => db.close());
  }
  const key = where.startsWith('memory://') ? where : resolve(where);
  const description = where.startsWith('memory://') ? `pglite:${where}` : `pglite:${key}`;
  let entry = shared.get(key);
  if (entry === undefined) {
    entry = { db: create(key.startsWith('memory://') ? undefined : key, description), refs: 0 };
    shared.set(key, entry);
  }
  entry.refs++;
  let db: PGlite;
  try {
    db = await entry.db;
  } catch (err) {
    if (shared.get(key) === entry) shared.delete(key);
    throw err;
  }
  const owned = entry;
  let released = false;
  return new PgliteStore(db, description, { ...options, schema }, async () => {
    if (released) return;
    released = true;
    owned.refs--;
    if (owned.refs === 0 && shared.get(key) === owned) {
      shared.delete(key);
      await db.close();
    }
  });
}

async function create(dataDir: string | undefined, description: string): Promise<PGlite> {
  if (dataDir !== undefined) {
    const info = await stat(dataDir).catch(() => null);
    if (info !== null && !info.isDirectory()) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `PGlite cannot open ${description}: ${dataDir} exists and is not a folder. Give the path of a folder (or of one to create).`,
        { store: description, dir: dataDir },
      );
    }
  }
  try {
    return await PGlite.create(dataDir === undefined ? {} : { dataDir });
  } catch (err) {
    throw new CausewayError(
      ErrorCodes.StoreUnavailable,
      `PGlite could not open ${description}: ${reasonOf(err)}. Check that the directory is writable and not opened by another process.`,
      { store: description },
      { cause: err },
    );
  }
}

// PGlite's file system throws plain objects (`{ name: 'ErrnoError', errno: 54 }`), which
// String() shows as '[object Object]'.
function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    try {
      return JSON.stringify(err);
    } catch {
      return Object.prototype.toString.call(err);
    }
  }
  return String(err);
}
