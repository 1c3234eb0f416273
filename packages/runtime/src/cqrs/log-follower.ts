import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { Envelope } from '../events/envelope.ts';
import type { EventSystem } from '../loop/system.ts';
import type { Unwatch } from '../store/port.ts';

/**
 * Handles one page of committed events, in log order. When it resolves, the follower's position
 * moves to the page's last seq. A handler that makes part of a page durable and then fails
 * reports that part with `handled(seq)` (a seq of the page) before it throws, so that the
 * position stops right before the event that failed.
 */
export type LogPageHandler = (
  events: readonly Envelope[],
  handled: (seq: number) => void,
) => Promise<void>;

/** Where a {@link LogFollower} is: `failed` only when it does not retry. */
export type LogFollowerState = 'idle' | 'running' | 'failed' | 'stopped';

/** Options of a {@link LogFollower}. */
export interface LogFollowerOptions {
  /** The system whose committed log is followed (events are read upcast). */
  readonly source: EventSystem<object>;
  /** What to do with each page of events after the position. */
  readonly handle: LogPageHandler;
  /** Events per page, 1 to 10,000. Default 500. */
  readonly batch?: number;
  /**
   * After a failure (of the handler or of reading the log), try again from the position after
   * this many ms, staying `running`. Without it, a failure stops the follower in `failed` until
   * `resume()`.
   */
  readonly retryMs?: number;
  /**
   * With `retryMs`, tells a failure that retrying cannot mend (the owner's own code at fault)
   * from one that may pass: for a failure it returns true for, the follower stops in `failed`
   * as it would without `retryMs`. Default: every failure is retried. What it throws counts as
   * false.
   */
  readonly fatal?: (error: unknown) => boolean;
  /**
   * Called with every failure, before the follower retries or stops. What it throws is ignored:
   * the follower still retries or stops `failed`.
   */
  readonly onError?: (error: unknown) => void;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Follows a system's committed log from a position: reads the events after it in pages
 * (`system.readEvents`), hands each page to a handler, moves the position to the page's end, and
 * when it has caught up waits for the next commit (`system.store.watch`) until `stop()`.
 *
 * One run at a time: a commit seen during a run makes the run read again before it ends, so
 * every page is handled once, in order. Where the position is kept durably is the owner's
 * business: it passes the last handled seq to `start(from)` and writes the new one in its
 * handler. Catch-up projections and the NATS outbox relay are built on it.
 *
 * @example
 * ```ts
 * const follower = new LogFollower({
 *   source: system,
 *   handle: async (events) => {
 *     for (const e of events) await audit.write(e);
 *     await audit.savePosition(events.at(-1)!.seq);
 *   },
 * });
 * await follower.start(() => audit.position()); // caught up; follows until stop()
 * await follower.waitFor(system.lastCommit!.lastSeq);
 * ```
 */
export class LogFollower {
  readonly #source: EventSystem<object>;
  readonly #handle: LogPageHandler;
  readonly #batch: number;
  readonly #retryMs: number | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #fatal: (error: unknown) => boolean;
  #position = 0;
  #state: LogFollowerState = 'idle';
  #failure: { readonly error: unknown } | null = null;
  #unwatch: Unwatch | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #retry: ReturnType<typeof setTimeout> | null = null;
  // Counts start() and stop() calls: a start that finds it changed while it opened the source
  // was overtaken (by a stop, or a later start) and must not begin following.
  #calls = 0;
  readonly #waiters = new Set<Waiter>();

  /**
   * @throws CausewayError `CW_INVALID_ARGUMENT` for a source that is not a system, a handle,
   *   onError or fatal that is not a function, a batch outside 1 to 10,000 or a negative `retryMs`.
   */
  constructor(options: LogFollowerOptions) {
    if (!isSystem(options.source)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        "A log follower's source is the EventSystem whose log it follows.",
        {},
      );
    }
    if (typeof options.handle !== 'function') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `A log follower's handle is a function (events, handled) => Promise<void>, got ${typeof options.handle}.`,
        {},
      );
    }
    if (options.fatal !== undefined && typeof options.fatal !== 'function') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `A log follower's fatal is a function (error) => boolean, got ${typeof options.fatal}.`,
        {},
      );
    }
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `A log follower's onError is a function (error) => void, got ${typeof options.onError}.`,
        {},
      );
    }
    const batch = options.batch ?? 500;
    if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `A log follower's batch is 1 to 10,000 events, got ${String(batch)}.`,
        { batch },
      );
    }
    const retryMs = options.retryMs;
    if (retryMs !== undefined && !(Number.isFinite(retryMs) && retryMs >= 0)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `A log follower's retryMs is a number of milliseconds, 0 or more, got ${String(retryMs)}.`,
        { retryMs },
      );
    }
    this.#source = options.source;
    this.#handle = options.handle;
    this.#batch = batch;
    this.#retryMs = retryMs;
    this.#onError = options.onError ?? (() => undefined);
    this.#fatal = options.fatal ?? (() => false);
  }

  /** The last seq handled. */
  get position(): number {
    return this.#position;
  }

  /** Whether it follows the log, has failed (without `retryMs`), or was stopped. */
  get state(): LogFollowerState {
    return this.#state;
  }

  /** What made it fail, while it is `failed`. */
  get failure(): { readonly error: unknown } | null {
    return this.#failure;
  }

  /**
   * Opens the source, handles every event after `from` (the last seq already handled, 0 for
   * none), and resolves once caught up; it then follows new commits until `stop()`. A failure
   * does not reject: it shows in `state`, `onError` and `waitFor`. Starting a follower that runs
   * stops it first. `from` may be a function that reads the position (from a checkpoint table,
   * a key-value store): it is called once the source is open and a running follower has
   * stopped, and a `stop()` (or another `start()`) made before it answers wins, so this start
   * then resolves without following.
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` when `from` is not a seq (an integer, 0 or more),
   *   `CW_LOG_MISMATCH` when it lies past the end of the committed log (a position kept for
   *   another log), before anything is handled.
   */
  async start(from: number | (() => Promise<number>)): Promise<void> {
    if (typeof from !== 'function') checkFrom(from);
    const call = ++this.#calls;
    await this.#source.open();
    // A running follower stops before the position is read: what it handled meanwhile counts.
    if (this.#state === 'running') {
      await this.#stopFollowing();
      if (call !== this.#calls) return;
    }
    const position = typeof from === 'function' ? checkFrom(await from()) : from;
    // A position past the log's end was kept for another log (a store that was reset or
    // replaced, a name two systems share): following from it would skip every event up to it.
    const end = (await this.#source.store.lastCommit())?.lastSeq ?? 0;
    if (position > end) {
      throw new CausewayError(
        ErrorCodes.LogMismatch,
        `A log follower was asked to start after seq ${position}, but the log in ${this.#source.store.description} ends at seq ${end}: that position belongs to another log (a store that was reset or replaced, or a position name two systems share). Start from 0 to handle this log from its beginning, or give the follower the position kept for this log.`,
        { from: position, end, store: this.#source.store.description },
      );
    }
    if (call !== this.#calls) return;
    this.#position = position;
    this.#failure = null;
    this.#state = 'running';
    this.#unwatch ??= this.#source.store.watch(() => this.#kick());
    this.#kick();
    await this.#running;
  }

  /**
   * Stops following the log; a page in progress is finished first, and a `start()` still
   * opening the source resolves without following. Pending `waitFor` calls keep
   * waiting for a later start, unless the owner gives up on them with `rejectWaiters`.
   */
  async stop(): Promise<void> {
    // A start still opening the source ends without following.
    this.#calls++;
    await this.#stopFollowing();
  }

  async #stopFollowing(): Promise<void> {
    this.#unwatch?.();
    this.#unwatch = null;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    if (this.#state !== 'failed') this.#state = 'stopped';
    await this.#running;
  }

  /** After a failure: tries again from the position (the handler or the data was fixed). */
  async resume(): Promise<void> {
    if (this.#state !== 'failed') return;
    this.#failure = null;
    this.#state = 'running';
    this.#kick();
    await this.#running;
  }

  /**
   * Resolves once every event up to `seq` is handled. Rejects with the failure when the
   * follower fails first (or has failed); while it retries, it waits.
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` (as a rejection) when `seq` is not a seq (an
   *   integer, 0 or more): `undefined`, `NaN` or `Infinity` would otherwise wait forever.
   */
  waitFor(seq: number): Promise<void> {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      return Promise.reject(
        new CausewayError(
          ErrorCodes.InvalidArgument,
          `waitFor takes a seq (an integer, 0 or more), got ${typeof seq === 'number' ? String(seq) : (JSON.stringify(seq) ?? String(seq))}. Wait for a commit's lastSeq; before the first commit there is nothing to wait for.`,
          { seq },
        ),
      );
    }
    if (this.#position >= seq) return Promise.resolve();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the owner sees exactly what its handler threw, as pending waits do
    if (this.#failure !== null) return Promise.reject(this.#failure.error);
    return new Promise<void>((resolve, reject) => {
      this.#waiters.add({ seq, resolve, reject });
      // A commit already made may not have been seen yet.
      this.#kick();
    });
  }

  /** Rejects every pending `waitFor` with `reason`: for an owner that stopped for good. */
  rejectWaiters(reason: unknown): void {
    for (const w of this.#waiters) w.reject(reason);
    this.#waiters.clear();
  }

  #kick(): void {
    if (this.#state !== 'running') return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = this.#follow()
      .catch((error: unknown) => this.#fail(error))
      .finally(() => {
        this.#running = null;
        // A commit seen after the run's last read and before this line would otherwise wait
        // for the next one.
        if (this.#again) this.#kick();
      });
  }

  async #follow(): Promise<void> {
    do {
      this.#again = false;
      while (this.#state === 'running') {
        const page = await this.#source.readEvents({
          fromSeq: this.#position + 1,
          limit: this.#batch,
        });
        const first = page.items[0];
        const last = page.items.at(-1);
        if (first === undefined || last === undefined) break;
        await this.#handle(page.items, (seq) => {
          if (!Number.isInteger(seq) || seq < first.seq || seq > last.seq) {
            throw new CausewayError(
              ErrorCodes.InvalidArgument,
              `handled(seq) takes a seq of the page (${first.seq} to ${last.seq}), got ${String(seq)}.`,
              { seq, first: first.seq, last: last.seq },
            );
          }
          this.#advance(seq);
        });
        this.#advance(last.seq);
      }
    } while (this.#again && this.#state === 'running');
  }

  #fail(error: unknown): void {
    // The retry (or resume) reads again anyway; a pending wake-up must not bypass its delay.
    this.#again = false;
    try {
      this.#onError(error);
    } catch {
      // A reporter that throws (a closed logger) must not leave the follower claiming to run
      // with nothing running and its waits pending forever; the failure is still reported by
      // `state`, `failure` and `waitFor`.
    }
    if (this.#state !== 'running') return;
    if (this.#retryMs !== undefined && !this.#isFatal(error)) {
      this.#retry = setTimeout(() => {
        this.#retry = null;
        this.#kick();
      }, this.#retryMs);
      return;
    }
    this.#state = 'failed';
    this.#failure = { error };
    this.rejectWaiters(error);
  }

  #isFatal(error: unknown): boolean {
    try {
      return this.#fatal(error) === true;
    } catch {
      return false;
    }
  }

  #advance(seq: number): void {
    if (seq <= this.#position) return;
    this.#position = seq;
    for (const w of [...this.#waiters]) {
      if (w.seq <= seq) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }
}

/** `from` when it is a seq a follower can start after (an integer, 0 or more). */
function checkFrom(from: unknown): number {
  if (typeof from === 'number' && Number.isSafeInteger(from) && from >= 0) return from;
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    `A log follower starts after a seq (an integer, 0 or more), got ${String(from)}.`,
    { from: typeof from === 'number' ? from : String(from) },
  );
}

/** Whether `value` can be followed: an EventSystem (of any copy of the runtime). */
export function isSystem(value: unknown): value is EventSystem<object> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { readEvents?: unknown }).readEvents === 'function' &&
    typeof (value as { open?: unknown }).open === 'function'
  );
}
