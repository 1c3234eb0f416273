import type { EventFilter, EventsPage, WireEvent } from '../../protocol/index.ts';
import { isFiltered } from '../selection/url-selection.ts';

/** Fetches one page of events (the `events` method). */
export type FetchEvents = (params: {
  filter: EventFilter;
  cursor: number;
  limit: number;
}) => Promise<EventsPage>;

/** Rows fetched per request. */
export const PAGE_ROWS = 200;

/**
 * The timeline's rows, fetched from the agent a page at a time as they scroll into view, so a
 * log of a million events never sits in memory or in one message.
 *
 * Without a filter, row `i` is the event of seq `i + 1`: the row count is known from the
 * summary and any page can be fetched directly (jump to the end, scrub to a tick). With a
 * filter, matches are only known by scanning, so pages are fetched in order and the count grows
 * by one placeholder row while more may follow.
 */
export class EventPages {
  private readonly rows = new Map<number, WireEvent>();
  private readonly loading = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private filteredNext: number | null = 1;
  private filteredCount = 0;
  private total: number;
  private failure: Error | null = null;
  private version = 0;

  constructor(
    private readonly fetchEvents: FetchEvents,
    readonly filter: EventFilter,
    lastSeq: number,
  ) {
    this.total = lastSeq;
  }

  /** True when rows are matches of a filter rather than every event. */
  get filtered(): boolean {
    return isFiltered(this.filter);
  }

  /** Rows to draw: every event, or the matches found so far plus one while more may follow. */
  get count(): number {
    if (!this.filtered) return this.total;
    return this.filteredCount + (this.filteredNext === null ? 0 : 1);
  }

  /** True when every match of the filter has been found. */
  get complete(): boolean {
    return !this.filtered || this.filteredNext === null;
  }

  /** The last error from the agent, if a fetch failed. */
  get error(): Error | null {
    return this.failure;
  }

  /** Changes on every load, for `useSyncExternalStore`. */
  get snapshot(): number {
    return this.version;
  }

  /** Calls `listener` when rows arrive or the count changes; returns the unsubscribe. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The event drawn at a row, or undefined while its page is loading. */
  row(index: number): WireEvent | undefined {
    return this.rows.get(index);
  }

  /** The row of an event, when it is known (always without a filter). */
  indexOfSeq(seq: number): number | null {
    if (!this.filtered) return seq >= 1 && seq <= this.total ? seq - 1 : null;
    for (const [index, event] of this.rows) if (event.seq === seq) return index;
    return null;
  }

  /** Grows the log to `lastSeq` (new commits while following live). */
  grow(lastSeq: number): void {
    if (lastSeq <= this.total) return;
    this.total = lastSeq;
    if (this.filtered && this.filteredNext === null) this.filteredNext = this.lastLoadedSeq() + 1;
    this.changed();
  }

  /** Makes sure the rows `from..to` (inclusive) are loaded or loading. */
  ensure(from: number, to: number): void {
    if (this.filtered) {
      if (to >= this.filteredCount) void this.loadNextFiltered();
      return;
    }
    const first = Math.max(0, Math.floor(from / PAGE_ROWS));
    const last = Math.floor(Math.min(to, this.total - 1) / PAGE_ROWS);
    for (let page = first; page <= last; page++) void this.loadPage(page);
  }

  private lastLoadedSeq(): number {
    const last = this.rows.get(this.filteredCount - 1);
    return last === undefined ? 0 : last.seq;
  }

  private async loadPage(page: number): Promise<void> {
    if (this.loading.has(page) || this.rows.has(page * PAGE_ROWS)) return;
    this.loading.add(page);
    const from = page * PAGE_ROWS + 1;
    try {
      const result = await this.fetchEvents({
        filter: { fromSeq: from, toSeq: from + PAGE_ROWS - 1 },
        cursor: from,
        limit: PAGE_ROWS,
      });
      for (const event of result.events) this.rows.set(event.seq - 1, event);
      this.failure = null;
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      this.loading.delete(page);
      this.changed();
    }
  }

  private async loadNextFiltered(): Promise<void> {
    if (this.filteredNext === null || this.loading.has(-1)) return;
    this.loading.add(-1);
    try {
      // A page of a scanning filter (text, actor) can hold no match while more may follow:
      // keep reading until a match arrives or the log ends, or the list would wait forever.
      do {
        const cursor: number = this.filteredNext;
        const result = await this.fetchEvents({ filter: this.filter, cursor, limit: PAGE_ROWS });
        for (const event of result.events) this.rows.set(this.filteredCount++, event);
        this.filteredNext = result.next;
        if (result.events.length > 0) break;
      } while (this.filteredNext !== null);
      this.failure = null;
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      this.loading.delete(-1);
      this.changed();
    }
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}
