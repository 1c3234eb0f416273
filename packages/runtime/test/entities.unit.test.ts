import { describe, expect, it } from 'vitest';
import { input, isCausewayError, newEntityId } from '../src/index.ts';
import { CounterCreated, counterSystem, entityId, Incremented, Noted, T0 } from './fixtures.ts';

const a = entityId(1);

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isCausewayError(error)) throw new Error(`expected a CausewayError, got ${String(error)}`);
  return error;
}

describe('entity rules', () => {
  it("rejects an entity: 'new' input whose id exists, and leaves the log untouched", async () => {
    const system = counterSystem();
    await system.tick([input(CounterCreated, a, { name: 'a' }, 'alice')], { at: T0 });
    const before = {
      inputs: await system.store.lastInput(),
      commit: await system.store.lastCommit(),
    };
    const error = await rejection(
      system.tick([input(CounterCreated, a, { name: 'again' }, 'alice')], { at: T0 + 1 }),
    );
    expect(error.code).toBe('CW_ENTITY_EXISTS');
    expect(error.message).toContain(a);
    expect(await system.store.lastInput()).toBe(before.inputs);
    expect(await system.store.lastCommit()).toEqual(before.commit);
  });

  it("rejects an entity: 'existing' input about an unknown id", async () => {
    const system = counterSystem();
    const error = await rejection(
      system.tick([input(Incremented, a, { by: 1 }, 'alice')], { at: T0 }),
    );
    expect(error.code).toBe('CW_ENTITY_NOT_FOUND');
    expect(await system.store.lastInput()).toBe(0);
  });

  it('accepts an input about an entity created earlier in the same batch', async () => {
    const system = counterSystem();
    await system.tick(
      [input(CounterCreated, a, { name: 'a' }, 'alice'), input(Incremented, a, { by: 2 }, 'alice')],
      { at: T0 },
    );
    expect(system.state.counters[a]?.value).toBe(2);
  });

  it('rejects a whole batch when one input is invalid', async () => {
    const system = counterSystem();
    const error = await rejection(
      system.tick(
        [
          input(CounterCreated, a, { name: 'a' }, 'alice'),
          input(Incremented, entityId(2), { by: 1 }, 'alice'),
        ],
        { at: T0 },
      ),
    );
    expect(error.code).toBe('CW_ENTITY_NOT_FOUND');
    expect(await system.store.lastInput()).toBe(0);
    expect(system.state.counters[a]).toBeUndefined();
  });

  it('rejects an invalid or future entity id', async () => {
    const system = counterSystem();
    expect(
      (
        await rejection(
          system.tick([input(CounterCreated, 'not-a-uuid', { name: 'x' })], { at: T0 }),
        )
      ).code,
    ).toBe('CW_INVALID_ENTITY_ID');
    const future = newEntityId();
    expect(
      (await rejection(system.tick([input(CounterCreated, future, { name: 'x' })], { at: T0 })))
        .code,
    ).toBe('CW_ENTITY_ID_FROM_FUTURE');
  });

  it('makes the creating actor the owner and rejects inputs from other actors until granted', async () => {
    const system = counterSystem();
    await system.tick([input(CounterCreated, a, { name: 'a' }, 'alice')], { at: T0 });
    expect(system.entity(a)).toEqual({ owner: 'alice', grants: [] });
    const error = await rejection(
      system.tick([input(Incremented, a, { by: 1 }, 'bob')], { at: T0 + 1 }),
    );
    expect(error.code).toBe('CW_ENTITY_NOT_OWNED');
    expect(error.message).toContain('"bob"');
    expect(error.message).toContain('"alice"');
    expect((await rejection(system.grant(a, 'bob', 'mallory', { at: T0 + 2 }))).code).toBe(
      'CW_ENTITY_NOT_OWNED',
    );
    await system.grant(a, 'bob', 'alice', { at: T0 + 3 });
    await system.tick([input(Incremented, a, { by: 1 }, 'bob')], { at: T0 + 4 });
    expect(system.state.counters[a]?.value).toBe(1);
  });

  it('gives an entity made by a listener to the actor of the chain’s root input', async () => {
    const system = counterSystem();
    let child = '';
    system.subscribe(CounterCreated, (e, ctx) => {
      if (e.data.name !== 'parent') return;
      child = ctx.create();
      ctx.emit(CounterCreated, child, { name: 'child' });
    });
    await system.tick([input(CounterCreated, a, { name: 'parent' }, 'alice')], { at: T0 });
    expect(system.entity(child)?.owner).toBe('alice');
    await system.tick([input(Incremented, child, { by: 1 }, 'alice')], { at: T0 + 1 });
    expect(system.state.counters[child]?.value).toBe(1);
  });

  it('fails a listener that emits about an unknown entity, as a ListenerFailed event', async () => {
    const system = counterSystem();
    system.subscribe(CounterCreated, (_e, ctx) => ctx.emit(Noted, entityId(99), { text: 'lost' }));
    const result = await system.tick([input(CounterCreated, a, { name: 'a' }, 'alice')], {
      at: T0,
    });
    expect(result.events[1]?.data).toMatchObject({ error: { code: 'CW_ENTITY_NOT_FOUND' } });
  });

  it('rejects an unregistered event type at acceptance', async () => {
    const system = counterSystem({ events: [] });
    const error = await rejection(
      system.tick([input(CounterCreated, a, { name: 'a' })], { at: T0 }),
    );
    expect(error.code).toBe('CW_UNKNOWN_EVENT_TYPE');
  });
});
