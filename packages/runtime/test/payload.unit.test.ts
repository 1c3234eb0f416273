import { describe, expect, it } from 'vitest';
import { assertPlainData } from '../src/events/index.ts';
import { input, isCausewayError } from '../src/index.ts';
import { CounterCreated, counterSystem, entityId, Noted, T0 } from './fixtures.ts';

class Money {
  constructor(readonly cents: number) {}
}

function problemOf(value: unknown): { path: string; reason: string } | null {
  try {
    assertPlainData('Test', value);
    return null;
  } catch (err) {
    if (!isCausewayError(err, 'CW_INVALID_PAYLOAD')) throw err;
    return err.details as { path: string; reason: string };
  }
}

describe('payload validation', () => {
  it('accepts plain data of every msgpack kind', () => {
    expect(
      problemOf({
        s: 'é',
        n: -1.5,
        i: 3,
        b: true,
        z: null,
        a: [1, [2]],
        o: { deep: { x: 1 } },
        bytes: new Uint8Array([1, 2]),
      }),
    ).toBeNull();
    expect(problemOf(Object.assign(Object.create(null) as object, { a: 1 }))).toBeNull();
  });

  it.each([
    ['a Date', { when: new Date(0) }, '$.when', 'a Date'],
    ['a class instance', { price: new Money(5) }, '$.price', 'Money'],
    ['a function', { f: () => 1 }, '$.f', 'function'],
    ['NaN', { list: [1, Number.NaN] }, '$.list[1]', 'NaN'],
    ['Infinity', { x: Number.POSITIVE_INFINITY }, '$.x', 'Infinity'],
    ['undefined', { maybe: undefined }, '$.maybe', 'undefined'],
    ['a bigint', { big: 10n }, '$.big', 'bigint'],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    ['a sparse array', { holes: [1, , 3] }, '$.holes[1]', 'sparse'],
    ['a Map', { m: new Map() }, '$.m', 'Map'],
  ])('rejects %s, naming the field', (_what, value, path, reasonPart) => {
    const problem = problemOf(value);
    expect(problem?.path).toBe(path);
    expect(problem?.reason).toContain(reasonPart);
  });

  it('rejects a cycle but accepts a shared reference', () => {
    const shared = { x: 1 };
    expect(problemOf({ a: shared, b: shared })).toBeNull();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    expect(problemOf(cyclic)).toEqual({
      eventType: 'Test',
      path: '$.self',
      reason: 'the value refers back to itself (a cycle)',
    });
  });

  it('rejects a bad input payload at acceptance and journals nothing', async () => {
    const system = counterSystem();
    const bad = input(
      CounterCreated,
      entityId(1),
      { name: new Date(0) as unknown as string },
      'alice',
    );
    await expect(system.tick([bad], { at: T0 })).rejects.toMatchObject({
      code: 'CW_INVALID_PAYLOAD',
      details: { path: '$.name' },
    });
    expect(await system.store.lastInput()).toBe(0);
  });

  it('rejects a bad payload emitted by a listener as that listener’s failure', async () => {
    const system = counterSystem();
    system.subscribe(CounterCreated, (e, ctx) =>
      ctx.emit(Noted, e.entity, { text: (() => 'x') as unknown as string }),
    );
    const result = await system.tick([input(CounterCreated, entityId(1), { name: 'a' }, 'alice')], {
      at: T0,
    });
    expect(result.events.map((e) => e.type)).toEqual(['CounterCreated', 'causeway.ListenerFailed']);
    expect(result.events[1]?.data).toMatchObject({ error: { code: 'CW_INVALID_PAYLOAD' } });
  });
});
