import { CausewayError, ErrorCodes, isCausewayError } from '@causeway/runtime';

/**
 * True for an error of Node's own socket calls (`write EPIPE`, `read ECONNRESET`): it has a
 * `syscall` and a numeric `errno`, and its `code` is an errno name, never a SQLSTATE, even when it
 * is five capitals long like `EPIPE`.
 */
function isSystemError(err: object): boolean {
  const e = err as { syscall?: unknown; errno?: unknown };
  return typeof e.syscall === 'string' && typeof e.errno === 'number';
}

/** The SQLSTATE of a driver error (`pg` and PGlite both put it in `code`), if it has one. */
function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || isSystemError(err)) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True when a read failed only because the log's schema or tables do not exist yet. */
export function isMissingRelation(err: unknown): boolean {
  const state = sqlState(err);
  return state === '42P01' || state === '3F000';
}

/**
 * True when the failure says nothing about the data but that the connection is gone: a
 * Postgres shutdown or termination (class 57P), a connection exception (class 08), or a
 * client-side error without a SQLSTATE (socket reset, "Connection terminated").
 */
export function isConnectionLoss(err: unknown): boolean {
  const state = sqlState(err);
  if (state === undefined) return !isCausewayError(err);
  return state.startsWith('08') || state.startsWith('57P');
}

/** True when the database refused a row that breaks the log's order (key, foreign key, check). */
export function isConstraintViolation(err: unknown): boolean {
  const state = sqlState(err);
  return state === '23505' || state === '23503' || state === '23514';
}

/**
 * Turns a failed write into the error the caller sees: Causeway errors pass through, a
 * constraint violation becomes `CW_APPEND_CONFLICT` (another writer got there), anything else
 * `CW_STORE_UNAVAILABLE` saying that nothing partial was kept and what to do. `afterLoss`
 * replaces the generic advice when the connection was lost (a commit says its tick is retried).
 */
export function writeFailure(
  store: string,
  what: string,
  err: unknown,
  afterLoss = 'The store reconnects and takes its writer lock again on the next call: check lastCommit() / lastInput() and retry what is missing.',
): CausewayError {
  if (isCausewayError(err)) return err;
  if (isConstraintViolation(err)) {
    return new CausewayError(
      ErrorCodes.AppendConflict,
      `${what} to ${store} was refused by the database (${reason(err)}): the log already holds rows there, so another writer appended. Nothing was written; reopen the store to see the log as it is.`,
      { store, sqlState: sqlState(err) },
      { cause: err },
    );
  }
  const lost = isConnectionLoss(err);
  return new CausewayError(
    ErrorCodes.StoreUnavailable,
    lost
      ? `${what} to ${store} failed: the connection to the database was lost (${reason(err)}). The database rolls back an interrupted transaction, so none of it was stored (unless the connection dropped just as the database confirmed it, which the next call finds out). ${afterLoss}`
      : `${what} to ${store} failed in the database (${reason(err)}). Its transaction was rolled back, so nothing of it was stored. Check the database's log and retry.`,
    { store, connectionLost: lost, sqlState: sqlState(err) },
    { cause: err },
  );
}

/** Turns a failed read into `CW_STORE_UNAVAILABLE` (Causeway errors pass through). */
export function readFailure(store: string, what: string, err: unknown): CausewayError {
  if (isCausewayError(err)) return err;
  return new CausewayError(
    ErrorCodes.StoreUnavailable,
    `Reading ${what} from ${store} failed (${reason(err)}). Check that the database is reachable and retry.`,
    { store, sqlState: sqlState(err) },
    { cause: err },
  );
}
