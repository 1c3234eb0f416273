import { MemoryStore, type EventSystem, type StoredEnvelope } from '@causeway/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachInspector, type AttachedInspector } from '../src/agent/index.ts';
import { InspectorClient, type SocketConstructor } from '../src/client/index.ts';
import type { EventFilter } from '../src/protocol/index.ts';
import { EventPages, PAGE_ROWS } from '../src/ui/data/event-pages.ts';
import { makeArena, makeSystem, playArena, type Arena } from './fixtures/arena-app.ts';

// The timeline's paging against the real agent: a log longer than one page, read whole and
// through filters.
let system: EventSystem<Arena>;
let inspector: AttachedInspector;
let client: InspectorClient;
let events: StoredEnvelope[];

beforeAll(async () => {
  system = makeArena(new MemoryStore());
  await playArena(system, 1, 200);
  inspector = await attachInspector(system, { makeSystem, print: () => undefined });
  client = await InspectorClient.connect(inspector.wsUrl, {
    WebSocket: WebSocket as unknown as SocketConstructor,
  });
  events = [...(await system.store.readEvents({ fromSeq: 1, limit: 1000 })).items];
});

afterAll(async () => {
  client.close();
  await inspector.close();
  await system.close();
});

function pagesOf(filter: EventFilter): EventPages {
  return new EventPages(
    (params) => client.call('events', params),
    filter,
    system.lastCommit?.lastSeq ?? 0,
  );
}

/** Ensures rows `from..to` until nothing new arrives for a while (fetches are in flight). */
async function settle(pages: EventPages, from: number, to: () => number): Promise<void> {
  let quiet = 0;
  while (quiet < 6) {
    const seen = pages.snapshot;
    pages.ensure(from, to());
    await new Promise((resolve) => setTimeout(resolve, 50));
    quiet = pages.snapshot === seen ? quiet + 1 : 0;
  }
}

describe('the timeline pages', () => {
  it('count every event of the log and fetch any page directly, the last one included', async () => {
    const pages = pagesOf({});
    expect(events.length).toBeGreaterThan(2 * PAGE_ROWS);
    expect(pages.count).toBe(events.length);
    await settle(pages, events.length - 5, () => events.length - 1);
    expect(pages.row(events.length - 1)).toEqual(events.at(-1));
    expect(pages.row(0)).toBeUndefined();
    expect(pages.indexOfSeq(events.length)).toBe(events.length - 1);
  });

  it('find every match of a filter, in order, and then know they are complete', async () => {
    const pages = pagesOf({ type: 'Bumped' });
    await settle(pages, 0, () => pages.count);
    const bumps = events.filter((e) => e.type === 'Bumped');
    expect(pages.complete).toBe(true);
    expect(pages.count).toBe(bumps.length);
    expect(Array.from({ length: pages.count }, (_, i) => pages.row(i)?.seq)).toEqual(
      bumps.map((e) => e.seq),
    );
  });

  it('find a single match at the very end of the log', async () => {
    const last = events.at(-1);
    if (last === undefined) throw new Error('empty log');
    const pages = pagesOf({ type: last.type, fromSeq: last.seq });
    await settle(pages, 0, () => pages.count);
    expect(pages.row(0)?.seq).toBe(last.seq);
  });

  it('grow with the log while following', async () => {
    const pages = pagesOf({});
    const before = pages.count;
    await playArena(system, 201, 202);
    pages.grow(system.lastCommit?.lastSeq ?? 0);
    expect(pages.count).toBeGreaterThan(before);
  });
});
