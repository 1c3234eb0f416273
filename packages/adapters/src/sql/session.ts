/**
 * The few things the SQL store needs from a database driver. Both `pg` and PGlite satisfy them
 * with a thin wrapper, so one store implementation serves Postgres and PGlite alike.
 */

/** Runs one parameterised statement (`$1`, `$2`… placeholders) and returns its rows. */
export interface SqlQueryable {
  query<R extends object = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: R[] }>;
}

/** A connection that can also run a function inside one transaction. */
export interface SqlSession extends SqlQueryable {
  /** Runs `fn` between BEGIN and COMMIT; rolls back and rethrows when it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

/** A writer's transaction: statements, and bulk loads with COPY. */
export interface SqlTransaction extends SqlQueryable {
  /**
   * Loads `rows`, in COPY's binary format (see CopyRows), into `table (columns)` with
   * `COPY … FROM … (FORMAT binary)`; `table` and `columns` are SQL, already quoted.
   */
  copyIn(table: string, columns: string, rows: Uint8Array): Promise<void>;
}

/** The writer's own connection: it holds the log's writer lock for as long as it lives. */
export interface SqlWriterSession extends SqlSession {
  /** Runs `fn` between BEGIN and COMMIT; rolls back and rethrows when it throws. */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Whether a commit should load its events with `copyIn` rather than INSERT … SELECT. False
   * where COPY does not pay: PGlite in memory, where each COPY got slower as the table grew.
   */
  readonly bulkCopy: boolean;
  /** True once the connection was lost: the lock is gone with it, and a new session is needed. */
  readonly broken: boolean;
  /** Releases the writer lock and the connection. Never throws. */
  release(): Promise<void>;
}

/** A database as the SQL store sees it. */
export interface SqlDriver {
  /** Where the database is, for messages (no password). */
  readonly description: string;
  /** Runs reads; takes no lock. */
  readonly reads: SqlQueryable;
  /**
   * Opens a writer session holding the writer lock of `schema`.
   * @throws StoreLockedError naming the holder when another writer has the lock.
   */
  openWriter(schema: string): Promise<SqlWriterSession>;
  /**
   * Calls `onNotify` on each notification on `channel`, and `onLost` if the listening
   * connection is lost (the store then falls back to polling and listens again later).
   * Resolves to a function that stops listening.
   */
  listen(channel: string, onNotify: () => void, onLost: () => void): Promise<() => Promise<void>>;
  /** Releases every connection the driver holds. */
  end(): Promise<void>;
}
