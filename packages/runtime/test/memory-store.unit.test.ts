import { describe, expect, it } from 'vitest';
import { MemoryStore, type TickCommit } from '../src/index.ts';

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
