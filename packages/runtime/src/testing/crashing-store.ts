import { CausewayError, ErrorCodes } from '../errors/index.ts';
import { isEventStore } from '../store/rules.ts';
import type { StoredEnvelope } from '../events/envelope.ts';
import type {
  EventQuery,
  EventStore,
  InputRecord,
  JournalOptions,
  LogHeader,
  Page,
  Snapshot,
  TickCommit,
  Unwatch,
} from '../store/port.ts';

/** The write operations a {@link CrashingStore} counts. */
export type WriteOperation = 'journal' | 'commit' | 'saveSnapshot';

/** Options of {@link CrashingStore}. */
export interface CrashingStoreOptions {
  /** The write call (1-based, counting journal, commit and saveSnapshot) that fails; null never fails. */
  readonly failAt: number | null;
  /**
   * `before-write` (default): the failing call writes nothing, like a crash before the write.
   * `after-write`: the write reaches the log, then the call fails, like a crash before the
   * acknowledgement. A system that goes on running finds the write in the store and carries on
   * as if it had been acknowledged (what it does when a real store loses an acknowledgement);
   * a crash test recovers with a new system on the store underneath either way.
   */
  readonly when?: 'before-write' | 'after-write';
}

/**
 * A store that delegates to another and fails one chosen write call, to prove crash recovery:
 * run a script until the failure, then open a new system on the store underneath and continue.
 * It also counts writes, so a first clean run tells how many crash points there are.
 *
 * @example
 * ```ts
 * const log = new MemoryStore();
 * await runScript(makeSystem(new CrashingStore(log, { failAt: 3 })), script).catch(() => undefined);
 * await resumeScript(makeSystem, log, script);
 * ```
 */
export class CrashingStore implements EventStore {
  /** Write calls seen so far, the failing one included. */
  writes = 0;
  /** The operation that failed, or null while none has. */
  crashed: WriteOperation | null = null;
  readonly #when: 'before-write' | 'after-write';

  /**
   * @throws CausewayError `CW_INVALID_ARGUMENT` for an `inner` that is not a store, `options`
   * that are not an object, a `failAt`
   * that is neither null nor an integer of 1 or more, or an unknown `when`.
   */
  constructor(
    readonly inner: EventStore,
    readonly options: CrashingStoreOptions = { failAt: null },
  ) {
    if (!isEventStore(inner)) {
      const got = (inner as unknown) === null ? 'null' : typeof inner;
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `CrashingStore wraps an EventStore (a MemoryStore, say), got ${got}.`,
        { inner: got },
      );
    }
    if (typeof options !== 'object' || (options as unknown) === null) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `CrashingStore takes its options as an object such as { failAt: 3 }, got ${(options as unknown) === null ? 'null' : typeof options}.`,
        { argument: 'options' },
      );
    }
    // A failAt no write can reach would make a crash test pass without ever crashing.
    const failAt: unknown = options.failAt;
    if (failAt !== null && (!Number.isInteger(failAt) || (failAt as number) < 1)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `failAt must be the 1-based number of the write call to fail, or null to never fail, got ${typeof failAt === 'number' ? String(failAt) : (JSON.stringify(failAt) ?? typeof failAt)}.`,
        { failAt },
      );
    }
    const when: unknown = options.when ?? 'before-write';
    if (when !== 'before-write' && when !== 'after-write') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `when must be 'before-write' or 'after-write', got ${JSON.stringify(when) ?? String(when)}.`,
        { when },
      );
    }
    this.#when = when;
  }

  get description(): string {
    return this.inner.description;
  }

  get readOnly(): boolean {
    return this.inner.readOnly;
  }

  async #write(operation: WriteOperation, write: () => Promise<void>): Promise<void> {
    const n = ++this.writes;
    if (n !== this.options.failAt) return write();
    if (this.#when === 'after-write') await write();
    this.crashed = operation;
    throw new CausewayError(
      ErrorCodes.StoreUnavailable,
      `Simulated crash at write ${n} (${operation}, ${this.#when}) on ${this.description}. Open a new system on the store underneath to recover.`,
      { write: n, operation, when: this.#when },
    );
  }

  open(header?: LogHeader): Promise<LogHeader | null> {
    return this.inner.open(header);
  }

  journal(inputs: readonly InputRecord[], options?: JournalOptions): Promise<void> {
    return this.#write('journal', () => this.inner.journal(inputs, options));
  }

  commit(commit: TickCommit, events: readonly StoredEnvelope[]): Promise<void> {
    return this.#write('commit', () => this.inner.commit(commit, events));
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.#write('saveSnapshot', () => this.inner.saveSnapshot(snapshot));
  }

  latestSnapshot(atOrBeforeTick?: number): Promise<Snapshot | null> {
    return this.inner.latestSnapshot(atOrBeforeTick);
  }

  readEvents(query?: EventQuery): Promise<Page<StoredEnvelope>> {
    return this.inner.readEvents(query);
  }

  readInputs(after?: number, limit?: number): Promise<readonly InputRecord[]> {
    return this.inner.readInputs(after, limit);
  }

  readCommits(afterTick?: number, limit?: number): Promise<readonly TickCommit[]> {
    return this.inner.readCommits(afterTick, limit);
  }

  lastCommit(): Promise<TickCommit | null> {
    return this.inner.lastCommit();
  }

  lastInput(): Promise<number> {
    return this.inner.lastInput();
  }

  watch(listener: (commit: TickCommit) => void): Unwatch {
    return this.inner.watch(listener);
  }

  // Closing the wrapper leaves the log underneath open, as a crashed process would: the
  // recovering system opens it again.
  close(): Promise<void> {
    return Promise.resolve();
  }
}
