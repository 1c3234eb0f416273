import type { StoredEnvelope } from '../events/envelope.ts';
import { committedPages } from '../store/committed.ts';
import type { EventStore, TickCommit } from '../store/port.ts';

/** One committed tick as read from a log. */
export interface LoggedTick {
  readonly commit: TickCommit;
  readonly events: readonly StoredEnvelope[];
}

/** Reads the committed ticks of `store` after `afterTick`, in order, a page at a time. */
export async function* loggedTicks(store: EventStore, afterTick = 0): AsyncGenerator<LoggedTick> {
  for await (const { commits, events } of committedPages(store, afterTick)) {
    let index = 0;
    for (const commit of commits) {
      const count = commit.lastSeq - commit.firstSeq + 1;
      yield { commit, events: events.slice(index, index + count) };
      index += count;
    }
  }
}
