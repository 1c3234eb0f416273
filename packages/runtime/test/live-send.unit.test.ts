import { describe, expect, it } from 'vitest';
import { ErrorCodes, input, MemoryStore, newEntityId, type InputRecord } from '../src/index.ts';
import { CounterCreated, counterSystem, Incremented } from './fixtures.ts';

class CountingStore extends MemoryStore {
  journals = 0;
  override journal(inputs: readonly InputRecord[]): Promise<void> {
    this.journals++;
    return super.journal(inputs);
  }
}

describe('live sends', () => {
  it('journals the sends of one turn in one write and runs them in one tick', async () => {
    const store = new CountingStore();
    const system = counterSystem({ store });
    const ids = Array.from({ length: 5 }, () => newEntityId());

    const envelopes = await Promise.all(
      ids.map((id) => system.send(input(CounterCreated, id, { name: id }, 'ada'))),
    );

    expect(store.journals).toBe(1);
    expect(new Set(envelopes.map((e) => e.tick))).toEqual(new Set([1]));
    expect(Object.keys(system.state.counters)).toHaveLength(5);
  });

  it('rejects only the refused send of a turn and runs the others', async () => {
    const system = counterSystem();
    const id = newEntityId();

    const [created, refused, incremented] = await Promise.allSettled([
      system.send(input(CounterCreated, id, { name: 'a' }, 'ada')),
      system.send(input(Incremented, newEntityId(), { by: 1 }, 'ada')),
      system.send(input(Incremented, id, { by: 2 }, 'ada')),
    ]);

    expect(created.status).toBe('fulfilled');
    expect(refused).toMatchObject({
      status: 'rejected',
      reason: { code: ErrorCodes.EntityNotFound },
    });
    expect(incremented.status).toBe('fulfilled');
    expect(system.state.counters[id]?.value).toBe(2);
  });

  it('rejects a send made after close', async () => {
    const system = counterSystem();
    await system.open();
    await system.close();

    const err = await system
      .send(input(CounterCreated, newEntityId(), { name: 'late' }, 'ada'))
      .catch((e: unknown) => e);

    expect(err).toMatchObject({ code: ErrorCodes.SystemHalted });
  });
});
