import { describe, expect, it } from 'vitest';
import {
  MemoryStore,
  type InputRecord,
  type Page,
  type StoredEnvelope,
  type TickCommit,
} from '../src/index.ts';

const header = { format: 1 as const, seed: 1, schema: {} };
const commit: TickCommit = { tick: 1, at: 0, firstSeq: 1, lastSeq: 0, lastInput: 0, hash: '0' };

describe('MemoryStore watchers', () => {
  it('a watcher that throws neither fails the commit nor stops the watchers after it', async () => {
    const store = new MemoryStore();
    await store.open(header);
    const seen: number[] = [];
    store.watch(() => {
      throw new Error('watcher boom');
    });
    store.watch((c) => seen.push(c.tick));

    await store.commit(commit, []);

    expect(seen).toEqual([1]);
    expect(await store.lastCommit()).toEqual(commit);
  });
});

/** A canonical lowercase UUID made from `n` (every hex digit and the version vary). */
function uuidOf(n: number): string {
  const hex = (value: number, digits: number) =>
    (Math.imul(value, 2654435761) >>> 0).toString(16).padStart(8, '0').slice(0, digits);
  return `${hex(n, 8)}-${hex(n + 1, 4)}-${hex(n + 2, 4)}-${hex(n + 3, 4)}-${hex(n + 4, 8)}${hex(n + 5, 4)}`;
}

/**
 * Event ids as a log may hold them: canonical UUIDs (kept as words), the same in capitals and
 * other strings (kept as they are, character for character).
 */
function eventIdOf(n: number): string {
  if (n % 3 === 0) return `id-${n}`;
  return n % 3 === 1 ? uuidOf(n) : uuidOf(n).toUpperCase();
}

describe('MemoryStore rows', () => {
  // The log keeps events and inputs as rows in chunks of 4,096: these cross two boundaries.
  const TICKS = 3;
  const PER_TICK = 3500;

  async function filledStore() {
    const store = new MemoryStore();
    await store.open(header);
    const inputs: InputRecord[] = [];
    const events: StoredEnvelope[] = [];
    for (let tick = 1; tick <= TICKS; tick++) {
      const first = events.length + 1;
      const tickInputs: InputRecord[] = [];
      const tickEvents: StoredEnvelope[] = [];
      for (let i = 0; i < PER_TICK; i++) {
        const n = first + i;
        tickInputs.push({
          ino: n,
          type: 'T',
          version: 1 + (n % 3),
          entity: `entity-${n % 7}`,
          data: n % 5 === 0 ? null : { n, list: [n, -0.5] },
          actor: `actor-${n % 2}`,
        });
        tickEvents.push({
          id: eventIdOf(n),
          seq: n,
          tick,
          type: n % 2 === 0 ? 'Even' : 'Odd',
          version: 1 + (n % 3),
          entity: `entity-${n % 7}`,
          data: n % 5 === 0 ? null : { n, list: [n, -0.5] },
          at: 1_700_000_000_000.5 + tick,
          causation: n % 3 === 0 ? null : eventIdOf(n - 1),
          correlation: n % 4 === 0 ? eventIdOf(n) : `root-${n % 11}`,
          actor: `actor-${n % 2}`,
        });
      }
      await store.journal(tickInputs);
      await store.commit(
        {
          tick,
          at: 1_700_000_000_000.5 + tick,
          firstSeq: first,
          lastSeq: first + PER_TICK - 1,
          lastInput: first + PER_TICK - 1,
          hash: '0',
        },
        tickEvents,
      );
      inputs.push(...tickInputs);
      events.push(...tickEvents);
    }
    return { store, inputs, events };
  }

  it('reads back every event it was given, field for field, across chunks of rows', async () => {
    const { store, events } = await filledStore();

    const read: StoredEnvelope[] = [];
    for (let from: number | null = 1; from !== null;) {
      const page: Page<StoredEnvelope> = await store.readEvents({ fromSeq: from, limit: 3000 });
      read.push(...page.items);
      from = page.next;
    }

    expect(read).toStrictEqual(events);
  });

  it('hands out envelopes whose fields a reader can change without changing the log', async () => {
    const { store, events } = await filledStore();

    const first = (await store.readEvents({ fromSeq: 4096, limit: 2 })).items;
    for (const e of first) Object.assign(e, { type: 'Forged', entity: 'forged', seq: 0 });
    const again = (await store.readEvents({ fromSeq: 4096, limit: 2 })).items;

    expect(again).toStrictEqual(events.slice(4095, 4097));
  });

  it('reads back events with the right ticks whatever order the pages are read in', async () => {
    const { store, events } = await filledStore();

    for (const fromSeq of [9000, 2, 7001, 3500, 3501, 1, 10_500, 7000]) {
      const page = await store.readEvents({ fromSeq, limit: 3 });
      expect(page.items).toStrictEqual(events.slice(fromSeq - 1, fromSeq + 2));
    }
  });

  it('answers filtered reads by correlation, the id of an event that is its own root included', async () => {
    const { store, events } = await filledStore();
    const own = events[4 * 1500 - 1] as StoredEnvelope;

    const root = await store.readEvents({ correlation: 'root-5', limit: 10_000 });
    const single = await store.readEvents({ correlation: own.id, limit: 10_000 });

    expect(root.items).toStrictEqual(events.filter((e) => e.correlation === 'root-5'));
    expect(own.correlation).toBe(own.id);
    expect(single.items).toStrictEqual([own]);
  });

  it('answers filtered reads that span chunks with the events a scan would find', async () => {
    const { store, events } = await filledStore();

    const page = await store.readEvents({
      entity: 'entity-3',
      type: 'Even',
      fromSeq: 4000,
      limit: 10_000,
    });

    expect(page.items).toStrictEqual(
      events.filter((e) => e.entity === 'entity-3' && e.type === 'Even' && e.seq >= 4000),
    );
  });

  it('reads back every input it journaled, field for field, across chunks of rows', async () => {
    const { store, inputs } = await filledStore();

    expect(await store.readInputs(4090, 20)).toStrictEqual(inputs.slice(4090, 4110));
    expect([
      ...(await store.readInputs(0, 10_000)),
      ...(await store.readInputs(10_000, 10_000)),
    ]).toStrictEqual(inputs);
    expect(await store.readInputs(TICKS * PER_TICK, 5)).toEqual([]);
    expect(await store.lastInput()).toBe(TICKS * PER_TICK);
  });
});

describe('MemoryStore appends', () => {
  it('stores nothing of a commit whose later event throws when a field is read', async () => {
    const store = new MemoryStore();
    await store.open(header);
    const fine: StoredEnvelope = {
      id: 'id-1',
      seq: 1,
      tick: 1,
      type: 'T',
      version: 1,
      entity: 'e',
      data: null,
      at: 0,
      causation: null,
      correlation: 'id-1',
      actor: 'a',
    };
    const tricky = {
      ...fine,
      id: 'id-2',
      seq: 2,
      correlation: 'id-2',
      get actor(): string {
        throw new Error('no actor');
      },
    } as StoredEnvelope;
    const tick = { tick: 1, at: 0, firstSeq: 1, lastSeq: 2, lastInput: 0, hash: '0' };

    await expect(store.commit(tick, [fine, tricky])).rejects.toThrow('no actor');

    expect((await store.readEvents()).items).toEqual([]);
    expect(await store.lastCommit()).toBeNull();
    await store.commit(tick, [fine, { ...fine, id: 'id-2', seq: 2, correlation: 'id-2' }]);
    expect((await store.readEvents()).items.map((e) => e.id)).toEqual(['id-1', 'id-2']);
  });
});
