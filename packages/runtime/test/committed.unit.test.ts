import { describe, expect, it } from 'vitest';
import { MemoryStore, type StoredEnvelope, type TickCommit } from '../src/index.ts';
import { committedPages } from '../src/store/committed.ts';

/** A store of ticks of the given sizes (0 is a tick that emitted nothing). */
async function storeOf(sizes: readonly number[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.open({ format: 1, seed: 1, schema: {} });
  let seq = 0;
  for (const [i, size] of sizes.entries()) {
    const tick = i + 1;
    const events: StoredEnvelope[] = Array.from({ length: size }, (_, k) => ({
      id: `e-${seq + k + 1}`,
      seq: seq + k + 1,
      tick,
      type: 'T',
      version: 1,
      entity: 'x',
      data: null,
      at: tick,
      causation: null,
      correlation: `e-${seq + k + 1}`,
      actor: 'test',
    }));
    const commit: TickCommit = {
      tick,
      at: tick,
      firstSeq: seq + 1,
      lastSeq: seq + size,
      lastInput: 0,
      hash: '0',
    };
    await store.commit(commit, events);
    seq += size;
  }
  return store;
}

describe('committedPages', () => {
  it('pages every committed tick once, in order, each page holding exactly its ticks’ events', async () => {
    // Ticks far larger than a page, empty ticks and small ones, in one log.
    const sizes = [3, 0, 9000, 1, 4096, 4095, 0, 2, 20_000, 7];
    const store = await storeOf(sizes);

    const ticks: number[] = [];
    const seqs: number[] = [];
    for await (const { commits, events } of committedPages(store)) {
      expect(events.length).toBe(commits.reduce((n, c) => n + c.lastSeq - c.firstSeq + 1, 0));
      expect(events[0]?.seq ?? commits[0]?.firstSeq).toBe(commits[0]?.firstSeq);
      for (const c of commits) ticks.push(c.tick);
      for (const e of events) seqs.push(e.seq);
    }

    expect(ticks).toEqual(sizes.map((_, i) => i + 1));
    expect(seqs).toEqual(Array.from({ length: 37_204 }, (_, i) => i + 1));
  });

  it('starts after the given tick', async () => {
    const store = await storeOf([2, 5000, 3]);

    const ticks: number[] = [];
    for await (const { commits } of committedPages(store, 1))
      ticks.push(...commits.map((c) => c.tick));

    expect(ticks).toEqual([2, 3]);
  });
});
