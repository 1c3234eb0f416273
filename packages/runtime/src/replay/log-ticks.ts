import type { StoredEnvelope } from '../events/envelope.ts';
import type { EventStore, Page, TickCommit } from '../store/port.ts';

/** One committed tick as read from a log. */
export interface LoggedTick {
  readonly commit: TickCommit;
  readonly events: readonly StoredEnvelope[];
}

/** Reads the committed ticks of `store` after `afterTick`, in order, a page at a time. */
export async function* loggedTicks(store: EventStore, afterTick = 0): AsyncGenerator<LoggedTick> {
  for (let after = afterTick; ;) {
    const commits = await store.readCommits(after, 256);
    const first = commits[0];
    const last = commits.at(-1);
    if (first === undefined || last === undefined) return;
    const events: StoredEnvelope[] = [];
    for (let from: number | null = first.firstSeq; from !== null && from <= last.lastSeq;) {
      const page: Page<StoredEnvelope> = await store.readEvents({
        fromSeq: from,
        toSeq: last.lastSeq,
        limit: 10_000,
      });
      for (const e of page.items) events.push(e);
      from = page.next;
    }
    let index = 0;
    for (const commit of commits) {
      const count = commit.lastSeq - commit.firstSeq + 1;
      yield { commit, events: events.slice(index, index + count) };
      index += count;
    }
    after = last.tick;
  }
}
