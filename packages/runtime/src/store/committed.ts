import type { StoredEnvelope } from '../events/envelope.ts';
import type { EventStore, Page, TickCommit } from './port.ts';

// A page stops near this many events. Rebuild keeps one page of envelopes alive while it
// applies it: every young-generation collection copies what is alive, so a smaller page costs
// the garbage collector less (measured on a 1M-event file log: 16,384 events a page spent
// about 350 ms collecting, 4,096 about 100 ms), and one read of the store brings it.
const MAX_PAGE_EVENTS = 4096;

/** A page of committed ticks and all their events, in seq order. */
export interface CommittedPage {
  readonly commits: readonly TickCommit[];
  readonly events: readonly StoredEnvelope[];
}

/**
 * Reads the committed ticks of `store` after `afterTick`, up to `ticksPerPage` ticks at a
 * time, each page with its events in one array. Rebuild replays a page on one draft; replay
 * tools cut pages into ticks (`commit.firstSeq … commit.lastSeq`).
 */
export async function* committedPages(
  store: EventStore,
  afterTick = 0,
  ticksPerPage = 256,
): AsyncGenerator<CommittedPage> {
  for (let after = afterTick; ;) {
    const read = await store.readCommits(after, ticksPerPage);
    const first = read[0];
    if (first === undefined) return;
    let take = 1;
    while (
      take < read.length &&
      (read[take] as TickCommit).lastSeq - first.firstSeq < MAX_PAGE_EVENTS
    )
      take++;
    const commits = take === read.length ? read : read.slice(0, take);
    const last = commits.at(-1) as TickCommit;
    const pages: (readonly StoredEnvelope[])[] = [];
    for (let from: number | null = first.firstSeq; from !== null && from <= last.lastSeq;) {
      const page: Page<StoredEnvelope> = await store.readEvents({
        fromSeq: from,
        toSeq: last.lastSeq,
        limit: MAX_PAGE_EVENTS,
      });
      pages.push(page.items);
      from = page.next;
    }
    yield {
      commits,
      events: pages.length === 1 ? (pages[0] as readonly StoredEnvelope[]) : pages.flat(),
    };
    after = last.tick;
  }
}
