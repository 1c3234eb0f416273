import { describe, expect, it } from 'vitest';
import {
  EntityAccessGranted,
  input,
  InputRejected,
  ListenerFailed,
  reexecute,
  TimerCancelled,
  type EventStore,
  type Input,
} from '../src/index.ts';
import { CounterCreated, counterSystem, entityId, Incremented, Noted, T0 } from './fixtures.ts';

const created = input(CounterCreated, entityId(1), { name: 'a' }, 'alice');

describe('the input surface', () => {
  it.each<[string, Input]>([
    ['causeway.TimerCancelled', input(TimerCancelled, entityId(1), { timer: entityId(9) }, 'eve')],
    [
      'causeway.ListenerFailed',
      input(
        ListenerFailed,
        entityId(1),
        {
          listener: 'forged',
          event: { id: entityId(9), seq: 1, type: 'CounterCreated' },
          error: { name: 'Error', message: 'forged', code: null },
          policy: 'dead-letter',
        },
        'eve',
      ),
    ],
    [
      'causeway.InputRejected',
      input(InputRejected, entityId(1), { type: 'X', code: 'Y', message: 'Z' }, 'eve'),
    ],
    [
      'causeway.EntityAccessGranted',
      input(EntityAccessGranted, entityId(1), { to: 'eve' }, 'alice'),
    ],
  ])('refuses the built-in %s as a client input and journals nothing', async (_name, forged) => {
    const system = counterSystem();
    await system.tick([created], { at: T0 });

    const outcome = system.tick([forged], { at: T0 });

    await expect(outcome).rejects.toMatchObject({ code: 'CW_NOT_AN_INPUT' });
    expect(await system.store.lastInput()).toBe(1);
  });

  it('still grants access through system.grant', async () => {
    const system = counterSystem();
    await system.tick([created], { at: T0 });

    await system.grant(entityId(1), 'bob', 'alice', { at: T0 });
    await system.tick([input(Incremented, entityId(1), { by: 2 }, 'bob')], { at: T0 });

    expect(system.state.counters[entityId(1)]?.value).toBe(2);
  });

  it('accepts every registered non-built-in type while no surface is declared', async () => {
    const system = counterSystem();

    await system.tick([created, input(Noted, entityId(1), { text: 'hi' }, 'alice')], { at: T0 });

    expect(system.inputs).toBeNull();
    expect(await system.store.lastInput()).toBe(2);
  });

  it('refuses a type outside the declared surface and journals nothing', async () => {
    const system = counterSystem({ inputs: [CounterCreated, Incremented] });
    await system.tick([created], { at: T0 });

    const outcome = system.tick([input(Noted, entityId(1), { text: 'forged fact' }, 'alice')], {
      at: T0,
    });

    await expect(outcome).rejects.toMatchObject({
      code: 'CW_NOT_AN_INPUT',
      details: { type: 'Noted', inputs: ['CounterCreated', 'Incremented'] },
    });
    expect(await system.store.lastInput()).toBe(1);
  });

  it('adds types to the surface with declareInputs', async () => {
    const system = counterSystem();
    system.declareInputs(CounterCreated);
    await system.tick([created], { at: T0 });
    await expect(
      system.tick([input(Noted, entityId(1), { text: 'x' }, 'alice')], { at: T0 }),
    ).rejects.toMatchObject({ code: 'CW_NOT_AN_INPUT' });

    system.declareInputs(Noted);
    await system.tick([input(Noted, entityId(1), { text: 'x' }, 'alice')], { at: T0 });

    expect(system.inputs?.map((t) => t.name)).toEqual(['CounterCreated', 'Noted']);
  });

  it('refuses to declare a built-in type as an input', () => {
    const system = counterSystem();

    expect(() => system.declareInputs(TimerCancelled)).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
  });

  it('re-executes a log holding a grant under a declared surface', async () => {
    const makeSystem = (store?: EventStore) =>
      counterSystem({
        inputs: [CounterCreated, Incremented],
        ...(store === undefined ? {} : { store }),
      });
    const system = makeSystem();
    await system.tick([created], { at: T0 });
    await system.grant(entityId(1), 'bob', 'alice', { at: T0 });
    await system.tick([input(Incremented, entityId(1), { by: 2 }, 'bob')], { at: T0 });

    const check = await reexecute(system.store, (store) => makeSystem(store));

    expect(check).toMatchObject({ ok: true, ticks: 3 });
  });
});
