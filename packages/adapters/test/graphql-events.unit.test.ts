import { describe, expect, it } from 'vitest';
import {
  defineEvent,
  EventSystem,
  input,
  isCausewayError,
  MemoryStore,
  newEntityId,
} from '@causeway/runtime';
import { committedEvents } from '../src/graphql/index.ts';

const Noted = defineEvent<{ n: number }, 'Noted'>('Noted', { entity: 'new' });

function notes(): EventSystem<object> {
  return new EventSystem<object>({
    seed: 1,
    store: new MemoryStore(),
    initialState: {},
    events: [Noted],
  });
}

async function note(system: EventSystem<object>, count: number): Promise<void> {
  await system.tick(
    Array.from({ length: count }, (_, n) => input(Noted, newEntityId(), { n }, 'ada')),
  );
}

describe('committedEvents', () => {
  it('hands a reader the events of its types in commit order', async () => {
    const system = notes();
    const events = committedEvents(system, [Noted], { maxQueued: 3 });

    await note(system, 2);
    const first = await events.next();
    const second = await events.next();
    await events.return?.();

    expect(
      [first, second].map((r) => (r.done === true ? null : (r.value.data as unknown))),
    ).toEqual([{ n: 0 }, { n: 1 }]);
  });

  it('ends a reader that falls more than maxQueued events behind with CW_SLOW_CONSUMER', async () => {
    const system = notes();
    const events = committedEvents(system, [Noted], { maxQueued: 3 });

    await note(system, 2);
    await note(system, 2);
    let error: unknown;
    try {
      await events.next();
    } catch (err) {
      error = err;
    }
    await note(system, 1);
    const after = await events.next();

    expect(isCausewayError(error, 'CW_SLOW_CONSUMER')).toBe(true);
    expect((error as Error).message).toMatch(/more than 3 events behind/);
    expect(after.done).toBe(true);
  });

  it('refuses a maxQueued that is not a positive integer with CW_INVALID_ARGUMENT', () => {
    const system = notes();

    expect(() => committedEvents(system, [Noted], { maxQueued: 0 })).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
  });
});
