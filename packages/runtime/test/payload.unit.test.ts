import { describe, expect, it } from 'vitest';
import { assertPlainData } from '../src/events/index.ts';
import {
  DEFAULT_PAYLOAD_LIMITS,
  defineEvent,
  EventSystem,
  input,
  isCausewayError,
  MemoryStore,
  type Input,
} from '../src/index.ts';
import { CounterCreated, counterSystem, entityId, Noted, T0 } from './fixtures.ts';

class Money {
  constructor(readonly cents: number) {}
}

function problemOf(
  value: unknown,
  limits = DEFAULT_PAYLOAD_LIMITS,
): { path: string; reason: string } | null {
  try {
    assertPlainData('Test', value, limits);
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
    const system = counterSystem({ mode: 'production' });
    system.subscribe(CounterCreated, (e, ctx) =>
      ctx.emit(Noted, e.entity, { text: (() => 'x') as unknown as string }),
    );
    const result = await system.tick([input(CounterCreated, entityId(1), { name: 'a' }, 'alice')], {
      at: T0,
    });
    expect(result.events.map((e) => e.type)).toEqual(['CounterCreated', 'causeway.ListenerFailed']);
    expect(result.events[1]?.data).toMatchObject({ error: { code: 'CW_INVALID_PAYLOAD' } });
  });

  it('refuses a payload nested 10,000 levels deep by name, without exhausting the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { d: deep };

    const problem = problemOf({ root: deep });

    expect(problem?.path).toBe(`$.root${'.d'.repeat(63)}`);
    expect(problem?.reason).toContain('more than 64 levels deep');
  });

  it.each<[string, unknown, string]>([
    ['NaN', { a: 1, b: Number.NaN }, '$.b'],
    ['undefined', { a: undefined }, '$.a'],
    ['a bigint', { n: 1n }, '$.n'],
    ['a Date', { at: new Date(0) }, '$.at'],
    ['a lone surrogate in a key', { ['k\uD800']: 1 }, '$["k\\ud800"]'],
    ['a __proto__ key', JSON.parse('{"ok":1,"__proto__":2}') as unknown, '$.__proto__'],
  ])('refuses %s in a one-level object of plain values, naming the field', (_what, value, path) => {
    expect(problemOf(value)?.path).toBe(path);
  });

  it('checks own fields only, as the stores encode them', () => {
    const payload = { a: 1 };
    Object.defineProperty(Object.prototype, 'cwPolluted', {
      value: Number.NaN,
      enumerable: true,
      configurable: true,
      writable: true,
    });
    let problem: unknown;
    try {
      problem = problemOf(payload);
    } finally {
      delete (Object.prototype as Record<string, unknown>)['cwPolluted'];
    }
    // An enumerable property inherited from a polluted prototype is not the payload's.
    expect(problem).toBeNull();
    expect(problemOf({ a: 1, b: Number.NaN })?.path).toBe('$.b');
  });

  it('accepts a payload exactly at the depth limit', () => {
    let value: unknown = 'leaf';
    for (let i = 0; i < DEFAULT_PAYLOAD_LIMITS.maxDepth; i++) value = [value];

    expect(problemOf(value)).toBeNull();
  });

  it('refuses a __proto__ key such as JSON.parse makes, naming it', () => {
    const parsed: unknown = JSON.parse('{"user":{"__proto__":{"admin":true}}}');

    const problem = problemOf(parsed);

    expect(problem?.path).toBe('$.user.__proto__');
    expect(problem?.reason).toContain('__proto__');
  });

  it('refuses a lone UTF-16 surrogate in a string or a key', () => {
    expect(problemOf({ s: 'a\uD800b' })?.path).toBe('$.s');
    expect(problemOf({ ['k\uDC00']: 1 })?.reason).toContain('surrogate');
  });

  it('names the string that alone passes the byte limit', () => {
    const limits = { maxDepth: 64, maxBytes: 1000 };

    const problem = problemOf({ small: 'x', big: ['y'.repeat(2000)] }, limits);

    expect(problem?.path).toBe('$.big[0]');
    expect(problem?.reason).toContain('limits.maxBytes');
  });

  it('refuses a payload whose whole encoding passes the byte limit', () => {
    const limits = { maxDepth: 64, maxBytes: 1000 };
    const many = Array.from({ length: 200 }, (_, i) => `item-${i}`);

    expect(problemOf({ many: many.slice(0, 10) }, limits)).toBeNull();
    // The bytes are in one field: the error names it and how much of the payload it takes.
    const inOne = problemOf({ id: 1, many }, limits);
    expect(inOne?.path).toBe('$.many');
    expect(inOne?.reason).toMatch(
      /encodes to \d+ bytes, more than the limit of 1000.*this field takes \d+/,
    );
    // A string under the limit alone, over it with the payload's headers, is named too.
    expect(problemOf({ post: { text: 'a'.repeat(995) } }, limits)?.path).toBe('$.post.text');
    // Spread over many fields, the payload is named as a whole.
    const spread = Object.fromEntries(many.map((item, i) => [`k${i}`, item]));
    expect(problemOf(spread, limits)).toMatchObject({ path: '$' });
  });

  it('names an oversized payload nested deep around one value by a bounded descent', () => {
    const limits = { maxDepth: 256, maxBytes: 1000 };
    let value: unknown = 'x'.repeat(990);
    for (let i = 0; i < 200; i++) value = { a: value };

    const problem = problemOf(value, limits);

    // The descent stops after encoding about four times the payload, at a part holding most
    // of its bytes, instead of encoding it again at each of the 200 levels.
    expect(problem?.path).toMatch(/^\$(\.a){1,8}$/);
    expect(problem?.reason).toContain('limits.maxBytes');
  });

  it('accepts a payload whose loose size bound passes the limit but whose encoding does not', () => {
    const limits = { maxDepth: 64, maxBytes: 1000 };

    expect(problemOf({ text: 'a'.repeat(900) }, limits)).toBeNull();
  });

  it('takes raised limits from the system and refuses limits past what stores carry', async () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100; i++) deep = [deep];
    const system = counterSystem({ limits: { maxDepth: 128 } });

    await system.tick([input(CounterCreated, entityId(1), { name: 'a' }, 'alice')], { at: T0 });
    const result = await system.tick(
      [input(Noted, entityId(1), { text: deep as string }, 'alice')],
      { at: T0 },
    );

    expect(result.events[0]?.data).toEqual({ text: deep });
    expect(() => counterSystem({ limits: { maxDepth: 10_000 } })).toThrow(/limits.maxDepth/);
  });

  it.each<[string, unknown]>([
    ['a batch that is not an array', { type: CounterCreated }],
    ['null in the batch', [null]],
    ['an input without a type', [{ entity: entityId(1), data: { name: 'a' } }]],
  ])('refuses %s with a typed error and journals nothing', async (_what, batch) => {
    const system = counterSystem();

    const outcome = system.tick(batch as readonly Input[], { at: T0 });

    await expect(outcome).rejects.toMatchObject({ code: 'CW_INVALID_ARGUMENT' });
    expect(await system.store.lastInput()).toBe(0);
  });

  it('refuses a snapshot it cannot decode and rebuilds from the log instead', async () => {
    const store = new MemoryStore();
    const first = counterSystem({ store, snapshotEvery: 1 });
    await first.tick([input(CounterCreated, entityId(1), { name: 'a' }, 'alice')], { at: T0 });
    // A snapshot as an older version could write it: a map with a key msgpack decoders refuse.
    const bytes = new Uint8Array([0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x01]);
    await store.saveSnapshot({ tick: 1, lastSeq: 1, lastInput: 1, bytes });

    const second = counterSystem({ store });
    await second.open();

    expect(second.state.counters[entityId(1)]).toEqual({ name: 'a', value: 0 });
  });
});

describe('the system keeps its own copy of every payload', () => {
  it('runs and journals an input as accepted, whatever the caller changes afterwards', async () => {
    const system = counterSystem();
    const data = { name: 'a' };
    await system.accept([input(CounterCreated, entityId(1), data, 'alice')]);

    data.name = 'changed after accept';
    const result = await system.tick([], { at: T0 });

    expect(result.events[0]?.data).toEqual({ name: 'a' });
    expect(system.state.counters[entityId(1)]?.name).toBe('a');
    expect((await system.store.readInputs())[0]?.data).toEqual({ name: 'a' });
  });

  it('keeps a committed event as emitted when its listener changes the object later', async () => {
    const system = counterSystem();
    const emitted: { text: string }[] = [];
    system.subscribe(CounterCreated, function note(e, ctx) {
      const data = { text: e.data.name };
      emitted.push(data);
      ctx.emit(Noted, e.entity, data);
    });
    await system.tick([input(CounterCreated, entityId(1), { name: 'a' }, 'alice')], { at: T0 });

    (emitted[0] as { text: string }).text = 'rewritten';

    const page = await system.readEvents({ type: 'Noted' });
    expect(page.items[0]?.data).toEqual({ text: 'a' });
  });

  it('reads each field once: a getter cannot pass the check and then hand over a function', async () => {
    const system = counterSystem();
    let reads = 0;
    const data = {
      get name(): string {
        reads++;
        return reads === 1 ? 'a' : ((() => 'a') as unknown as string);
      },
    };

    const result = await system.tick([input(CounterCreated, entityId(1), data, 'alice')], {
      at: T0,
    });

    expect(reads).toBe(1);
    expect(result.events[0]?.data).toEqual({ name: 'a' });
  });

  it('hands appliers and listeners what a store reads back: 0 for -0, a Uint8Array for a Buffer', async () => {
    const Measured = defineEvent<{ x: number[]; bytes: Uint8Array }, 'Measured'>('Measured', {
      entity: 'new',
    });
    const system = new EventSystem<{ seen: unknown[] }>({
      seed: 1,
      store: new MemoryStore(),
      initialState: { seen: [] },
      events: [Measured],
    });
    const seen: { x: number[]; bytes: Uint8Array }[] = [];
    system.subscribe(Measured, (e) => {
      seen.push(e.data);
    });

    await system.tick(
      [input(Measured, entityId(1), { x: [-0, 1], bytes: Buffer.from([1, 2]) }, 'alice')],
      { at: T0 },
    );

    expect(Object.is(seen[0]?.x[0], 0)).toBe(true);
    expect(Object.getPrototypeOf(seen[0]?.bytes)).toBe(Uint8Array.prototype);
    expect(Array.from(seen[0]?.bytes ?? [])).toEqual([1, 2]);
  });

  describe('of public events, relayed as JSON', () => {
    const Shipped = defineEvent<{ label: Uint8Array[] | string }, 'Shipped'>('Shipped', {
      entity: 'new',
      public: true,
    });
    const Packed = defineEvent<{ n: number }, 'Packed'>('Packed', { entity: 'new' });

    function shop(): EventSystem<{ n: number }> {
      const system = new EventSystem<{ n: number }>({
        seed: 1,
        store: new MemoryStore(),
        initialState: { n: 0 },
        events: [Shipped, Packed],
      });
      system.subscribe(Packed, (e, ctx) => {
        ctx.emit(Shipped, entityId(9), { label: [new Uint8Array([e.data.n])] });
      });
      return system;
    }

    it('refuses an input whose payload holds a byte array, naming its path, and journals nothing', async () => {
      const system = shop();

      let error: unknown;
      try {
        await system.tick(
          [input(Shipped, entityId(1), { label: [new Uint8Array([1])] }, 'alice')],
          { at: T0 },
        );
      } catch (err) {
        error = err;
      }

      expect(isCausewayError(error, 'CW_INVALID_PAYLOAD')).toBe(true);
      expect((error as { details: { path: string } }).details.path).toBe('$.label[0]');
      expect((error as Error).message).toMatch(/public event is relayed as JSON/);
      expect(system.lastCommit).toBeNull();
    });

    it('fails a listener that emits one with a byte array, committing nothing of the tick', async () => {
      const system = shop();

      let error: unknown;
      try {
        await system.tick([input(Packed, entityId(2), { n: 7 }, 'alice')], { at: T0 });
      } catch (err) {
        error = err;
      }

      // A program error: in development mode (the default) it halts the system.
      expect(isCausewayError(error, 'CW_LISTENER_FAILED')).toBe(true);
      expect((error as { details: { code: string } }).details.code).toBe('CW_INVALID_PAYLOAD');
      expect((error as Error).message).toMatch(/at \$\.label\[0\]: a public event is relayed/);
      expect((error as Error).message).not.toMatch(/\.\./);
      expect(system.lastCommit).toBeNull();
    });

    it('takes a byte array in the payload of an event that is not public', async () => {
      const system = shop();
      const Stored = defineEvent<{ bytes: Uint8Array }, 'Stored'>('Stored', { entity: 'new' });
      system.register(Stored);

      const result = await system.tick(
        [input(Stored, entityId(3), { bytes: new Uint8Array([1]) }, 'alice')],
        { at: T0 },
      );

      expect(result.events.map((e) => e.type)).toEqual(['Stored']);
    });
  });
});
