import type { StoredEnvelope } from '../events/envelope.ts';

/**
 * The first record of every log: what a reader must know before it can read the rest.
 * A system refuses to continue a log whose seed differs from its own.
 */
export interface LogHeader {
  /** Format of the log's records. Currently 1. */
  readonly format: 1;
  /** Seed of the system's PRNG (an unsigned 32-bit integer). */
  readonly seed: number;
  /** Event type names and their versions when the log was created. */
  readonly schema: Readonly<Record<string, number>>;
}

/** An input as journaled when the system accepted it, before any tick processed it. */
export interface InputRecord {
  /** Input number: gap-free from 1, in acceptance order. */
  readonly ino: number;
  readonly type: string;
  readonly version: number;
  readonly entity: string;
  readonly data: unknown;
  /** The source that sent the input. */
  readonly actor: string;
}

/** The record that closes a tick. A tick is committed exactly when its commit record is stored. */
export interface TickCommit {
  /** Tick number, gap-free from 1. */
  readonly tick: number;
  /** The tick's logical time, epoch milliseconds UTC, given by the driver. */
  readonly at: number;
  /** Seq of the tick's first event; `lastSeq + 1` when the tick emitted nothing. */
  readonly firstSeq: number;
  /** Seq of the last event in the log after this tick (0 for an empty log). */
  readonly lastSeq: number;
  /** Input number of the last input this tick consumed (0 when none so far). */
  readonly lastInput: number;
  /** The state hash after the tick (16 hex digits). */
  readonly hash: string;
}

/** A snapshot of the whole system (state and runtime counters) after a tick. */
export interface Snapshot {
  readonly tick: number;
  readonly lastSeq: number;
  readonly lastInput: number;
  /** Encoded by the runtime; stores keep it as opaque bytes. */
  readonly bytes: Uint8Array;
}

/** A filtered, paged read of events. Filters combine with AND. */
export interface EventQuery {
  /** First seq to read, inclusive. Default 1. */
  readonly fromSeq?: number;
  /** Last seq to read, inclusive. Default: the end of the log. */
  readonly toSeq?: number;
  readonly entity?: string;
  readonly type?: string;
  readonly correlation?: string;
  /** Page size, 1 to 10,000. Default 1,000. */
  readonly limit?: number;
}

/** One page of a read; `next` is the `fromSeq` of the next page, or `null` at the end. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: number | null;
}

/** How {@link EventStore.journal} may treat a batch of inputs. */
export interface JournalOptions {
  /**
   * The inputs are acknowledged by the commit that follows (`tick(inputs)`), not by the
   * journal call (`accept`, `send`): their sync may ride on that commit's.
   */
  readonly syncWithCommit?: boolean;
}

/** Unsubscribes a watcher. */
export type Unwatch = () => void;

/**
 * The port every store implements (memory, file, Postgres, PGlite). One conformance suite in
 * the top-level `test/` holds every implementation to the same contract:
 *
 * - A store is opened either to write (one writer at a time, enforced) or to read.
 * - `journal` appends inputs durably before the system acknowledges them.
 * - `commit` appends one tick's events and its commit record atomically: after a crash,
 *   either all of the tick is there or none of it.
 * - Seq, tick and input numbers are gap-free; an append that would break that is refused
 *   with `CW_APPEND_CONFLICT` and changes nothing.
 * - Reads return events exactly as written (the runtime upcasts them).
 */
export interface EventStore {
  /** A description for messages (a path or a URL without its password). */
  readonly description: string;
  /** True when opened to read only: writes throw `CW_STORE_CLOSED`… or the adapter's read-only error. */
  readonly readOnly: boolean;

  /**
   * Opens the log. A writer passes the header to create a new log with; an existing log keeps
   * its own header, which is returned. A reader passes nothing and gets `null` for an empty store.
   * Every other call but `watch` and `close` rejects with `CW_STORE_NOT_OPEN` until `open`
   * resolves, and a write does too while the log has no header (a writer that opened an empty
   * log with `open()`). Calling `open` again on an open store checks the header the same way
   * (or, on that empty log, writes it) and leaves the store open, whatever it answers.
   * @throws StoreLockedError when another writer holds the log; CausewayError
   * `CW_INVALID_ARGUMENT` for a writer's header that is not a valid `LogHeader` (nothing is
   * written), `CW_LOG_MISMATCH` for one whose seed differs from the stored log's.
   */
  open(header?: LogHeader): Promise<LogHeader | null>;

  /**
   * Journals accepted inputs; `inputs[0].ino` must be `lastInput() + 1`. With
   * `options.syncWithCommit`, the caller acknowledges them only when its next `commit()`
   * resolves, so a store may make them durable with that commit (one sync for both) instead of
   * before resolving; it must still keep them ahead of the commit, and stores that sync each
   * call ignore the option.
   * @throws CausewayError `CW_APPEND_CONFLICT` for a gap in the input numbers,
   * `CW_INVALID_ARGUMENT` for an input whose fields do not have their types; nothing is written.
   */
  journal(inputs: readonly InputRecord[], options?: JournalOptions): Promise<void>;
  /**
   * Appends a tick's events and its commit record atomically.
   * @throws CausewayError `CW_APPEND_CONFLICT` for a commit that breaks the log's numbering or
   * time, `CW_INVALID_ARGUMENT` for an event whose fields do not have their types; nothing is
   * written.
   */
  commit(commit: TickCommit, events: readonly StoredEnvelope[]): Promise<void>;
  /**
   * Stores a snapshot (replacing one of the same tick). It must follow a committed tick, with
   * that tick's `lastSeq` and `lastInput`, and its bytes must be a `Uint8Array`.
   * @throws CausewayError `CW_APPEND_CONFLICT` for a snapshot that does not match a committed
   * tick, `CW_INVALID_ARGUMENT` for bytes that are not a `Uint8Array`; nothing is written.
   */
  saveSnapshot(snapshot: Snapshot): Promise<void>;

  /**
   * The newest snapshot whose tick is at most `atOrBeforeTick` (default: any).
   * @throws CausewayError `CW_INVALID_ARGUMENT` when `atOrBeforeTick` is not an integer.
   */
  latestSnapshot(atOrBeforeTick?: number): Promise<Snapshot | null>;
  /** Reads events in seq order. */
  readEvents(query?: EventQuery): Promise<Page<StoredEnvelope>>;
  /**
   * Reads journaled inputs with `ino > after`, in order, at most `limit` (default 1,000).
   * A negative `after` reads from the first input.
   * @throws CausewayError `CW_INVALID_ARGUMENT` when `after` is not an integer or `limit` is
   * not an integer from 1 to 10,000.
   */
  readInputs(after?: number, limit?: number): Promise<readonly InputRecord[]>;
  /**
   * Reads commit records with `tick > afterTick`, in order, at most `limit` (default 1,000).
   * A negative `afterTick` reads from the first commit.
   * @throws CausewayError `CW_INVALID_ARGUMENT` when `afterTick` is not an integer or `limit`
   * is not an integer from 1 to 10,000.
   */
  readCommits(afterTick?: number, limit?: number): Promise<readonly TickCommit[]>;
  /** The newest commit record, or `null` before the first tick. */
  lastCommit(): Promise<TickCommit | null>;
  /** The highest journaled input number (0 when none). */
  lastInput(): Promise<number>;

  /**
   * Calls `listener` with each commit record appended after the newest one this store has seen
   * (a writer: its own last commit; a reader: the last commit it saw when it opened or read), in
   * order, once each, including commits by a writer in another process (a reader tails). A
   * reader's starting point is known without asking the log again, so no commit landing while
   * `watch` is called can be missed. A listener that throws fails neither the commit nor the
   * other watchers.
   */
  watch(listener: (commit: TickCommit) => void): Unwatch;

  /**
   * Releases the store (and the writer lock) once the writes called before it have finished
   * (each resolves or rejects as it would have). Further calls throw `CW_STORE_CLOSED`.
   */
  close(): Promise<void>;
}
