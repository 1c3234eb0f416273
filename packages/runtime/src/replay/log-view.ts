import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { StoredEnvelope } from '../events/envelope.ts';
import type {
  EventQuery,
  EventStore,
  InputRecord,
  LogHeader,
  Page,
  Snapshot,
  TickCommit,
  Unwatch,
} from '../store/port.ts';
import { checkHeader, storeReadOnly } from '../store/rules.ts';

/**
 * A read-only view of a log cut after one committed tick, optionally hiding its snapshots. A
 * system opened on it rebuilds the state as it was after that tick, and never writes to or
 * closes the log underneath.
 */
export class LogView implements EventStore {
  readonly description: string;
  readonly readOnly = true;

  constructor(
    private readonly inner: EventStore,
    private readonly header: LogHeader,
    private readonly cut: TickCommit | null,
    private readonly snapshots: boolean,
  ) {
    this.description = `${inner.description} (up to tick ${cut?.tick ?? 0})`;
  }

  /** Opens `store` to read its header, and returns a view up to `tick` (default: its end). */
  static async of(
    store: EventStore,
    options: { readonly tick?: number; readonly snapshots?: boolean } = {},
  ): Promise<LogView> {
    const header = await store.open();
    if (header === null) {
      throw new CausewayError(
        ErrorCodes.LogEmpty,
        `The store ${store.description} holds no log yet; there is nothing to rebuild.`,
        { store: store.description },
      );
    }
    let cut = await store.lastCommit();
    const tick = options.tick;
    if (tick !== undefined && tick < (cut?.tick ?? 0)) {
      cut = tick <= 0 ? null : ((await store.readCommits(tick - 1, 1))[0] ?? null);
    } else if (tick !== undefined && tick > (cut?.tick ?? 0)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `The log in ${store.description} ends at tick ${cut?.tick ?? 0}; it cannot be rebuilt to tick ${tick}.`,
        { store: store.description, tick, last: cut?.tick ?? 0 },
      );
    }
    return new LogView(store, header, cut, options.snapshots ?? true);
  }

  open(header?: LogHeader): Promise<LogHeader | null> {
    if (header !== undefined) checkHeader(this.description, this.header, header);
    return Promise.resolve(this.header);
  }

  journal(_inputs: readonly InputRecord[]): Promise<void> {
    return Promise.reject(storeReadOnly(this.description));
  }

  commit(_commit: TickCommit, _events: readonly StoredEnvelope[]): Promise<void> {
    return Promise.reject(storeReadOnly(this.description));
  }

  saveSnapshot(_snapshot: Snapshot): Promise<void> {
    return Promise.reject(storeReadOnly(this.description));
  }

  async latestSnapshot(atOrBeforeTick?: number): Promise<Snapshot | null> {
    if (!this.snapshots || this.cut === null) return null;
    return this.inner.latestSnapshot(Math.min(atOrBeforeTick ?? this.cut.tick, this.cut.tick));
  }

  async readEvents(query?: EventQuery): Promise<Page<StoredEnvelope>> {
    const last = this.cut?.lastSeq ?? 0;
    if ((query?.fromSeq ?? 1) > last) return { items: [], next: null };
    const page = await this.inner.readEvents({
      ...query,
      toSeq: Math.min(query?.toSeq ?? last, last),
    });
    return { items: page.items, next: page.next !== null && page.next <= last ? page.next : null };
  }

  // Inputs after the cut are not part of the view: a system opened on it has nothing pending.
  readInputs(_after?: number, _limit?: number): Promise<readonly InputRecord[]> {
    return Promise.resolve([]);
  }

  async readCommits(afterTick = 0, limit?: number): Promise<readonly TickCommit[]> {
    const last = this.cut?.tick ?? 0;
    if (afterTick >= last) return [];
    const commits = await this.inner.readCommits(afterTick, limit);
    return commits.filter((c) => c.tick <= last);
  }

  lastCommit(): Promise<TickCommit | null> {
    return Promise.resolve(this.cut);
  }

  lastInput(): Promise<number> {
    return Promise.resolve(this.cut?.lastInput ?? 0);
  }

  watch(_listener: (commit: TickCommit) => void): Unwatch {
    return () => undefined;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
