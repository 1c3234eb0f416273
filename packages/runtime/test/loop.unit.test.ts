import { describe, expect, it } from 'vitest';
import {
  defineEvent,
  EventSystem,
  input,
  isUuidV7,
  MemoryStore,
  newEntityId,
  uuidV7Time,
  ListenerFailed,
  type Envelope,
  type Table,
  type ListenerContext,
} from '../src/index.ts';
import {
  CounterCreated,
  counterSystem,
  entityId,
  Incremented,
  Noted,
  T0,
  type Counters,
} from './fixtures.ts';

const a = entityId(1);
const create = input(CounterCreated, a, { name: 'a' }, 'alice');

describe('EventSystem dispatch', () => {
  it('dispatches inputs first-in first-out and derived events after them', async () => {
    const system = counterSystem();
    const seen: string[] = [];
    system.subscribe(Incremented, (e, ctx) => {
      seen.push(`inc ${e.data.by}`);
      if (e.data.by === 1) ctx.emit(Noted, e.entity, { text: 'after 1' });
    });
    system.subscribe(Noted, (e) => seen.push(`note ${e.data.text}`));
    await system.tick([create], { at: T0 });
    await system.tick(
      [input(Incremented, a, { by: 1 }, 'alice'), input(Incremented, a, { by: 2 }, 'alice')],
      { at: T0 + 1 },
    );
    expect(seen).toEqual(['inc 1', 'inc 2', 'note after 1']);
  });

  it('runs listeners of one type in subscription order, function and object listeners alike', async () => {
    const system = counterSystem();
    const order: string[] = [];
    system.subscribe(CounterCreated, function first() {
      order.push('first');
    });
    system.subscribe(CounterCreated, { name: 'second', run: () => order.push('second') });
    class Third {
      run(): void {
        order.push('third');
      }
    }
    system.subscribe(CounterCreated, new Third());
    const result = await system.tick([create], { at: T0 });
    expect(order).toEqual(['first', 'second', 'third']);
    expect(result.events).toHaveLength(1);
  });

  it('stops calling a listener once it is unsubscribed', async () => {
    const system = counterSystem();
    let calls = 0;
    const off = system.subscribe(Incremented, () => calls++);
    await system.tick([create, input(Incremented, a, { by: 1 }, 'alice')], { at: T0 });
    off();
    await system.tick([input(Incremented, a, { by: 1 }, 'alice')], { at: T0 + 1 });
    expect(calls).toBe(1);
  });

  it('runs appliers before listeners, so a listener sees its own event in state', async () => {
    const system = counterSystem();
    let seen: number | undefined;
    system.subscribe(Incremented, (e, ctx: ListenerContext<Counters>) => {
      seen = ctx.state.counters[e.entity]?.value;
    });
    await system.tick([create, input(Incremented, a, { by: 5 }, 'alice')], { at: T0 });
    expect(seen).toBe(5);
    expect(system.state.counters[a]?.value).toBe(5);
  });

  it('commits each tick with gap-free seqs and a commit record', async () => {
    const system = counterSystem();
    const first = await system.tick([create], { at: T0 });
    const second = await system.tick([input(Incremented, a, { by: 1 }, 'alice')], { at: T0 + 5 });
    expect(first.commit).toMatchObject({ tick: 1, at: T0, firstSeq: 1, lastSeq: 1, lastInput: 1 });
    expect(second.commit).toMatchObject({
      tick: 2,
      at: T0 + 5,
      firstSeq: 2,
      lastSeq: 2,
      lastInput: 2,
    });
    expect(second.commit.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(second.commit.hash).not.toBe(first.commit.hash);
    const stored = await system.store.readCommits();
    expect(stored).toEqual([first.commit, second.commit]);
  });

  it('never lets a tick run backwards in time: a late time is clamped to the previous tick', async () => {
    const system = counterSystem();
    await system.tick([create], { at: T0 + 100 });
    const result = await system.tick([], { at: T0 });
    expect(result.commit.at).toBe(T0 + 100);
  });
});

describe('tick time', () => {
  // An entity made at the epoch, so that no time in these tests finds it in the future.
  const atEpoch = input(
    CounterCreated,
    '00000000-0000-7000-8000-000000000001',
    { name: 'e' },
    'alice',
  );

  it.each([
    ['a negative time', -5],
    ['a time past the largest UUIDv7 timestamp', 2 ** 48],
    ['a time far past it', 1e20],
    ['NaN', Number.NaN],
  ])('refuses %s with CW_INVALID_TICK and journals nothing', async (_what, at) => {
    const system = counterSystem();
    await system.open();

    const outcome = system.tick([atEpoch], { at });

    await expect(outcome).rejects.toBeCausewayError('CW_INVALID_TICK');
    expect(await system.store.lastInput()).toBe(0);
    expect(system.lastCommit).toBeNull();
  });

  it('makes valid, time-ordered ids at the largest time a UUIDv7 holds', async () => {
    const system = counterSystem();

    const result = await system.tick([create], { at: 2 ** 48 - 1 });

    expect(result.events.every((e) => isUuidV7(e.id) && uuidV7Time(e.id) === 2 ** 48 - 1)).toBe(
      true,
    );
  });

  it('refuses a tick timed by a clock that reads a negative time', async () => {
    const system = counterSystem({ clock: () => -1 });
    await system.open();

    await expect(system.tick([atEpoch])).rejects.toBeCausewayError('CW_INVALID_TICK');
    await expect(system.send(atEpoch)).rejects.toBeCausewayError('CW_INVALID_TICK');
    expect(await system.store.lastInput()).toBe(0);
  });
});

describe('listener output', () => {
  it('joins the queue only when the listener returns, in emission order', async () => {
    const system = counterSystem();
    const log: string[] = [];
    system.subscribe(CounterCreated, (e, ctx) => {
      ctx.emit(Noted, e.entity, { text: 'one' });
      ctx.emit(Noted, e.entity, { text: 'two' });
      log.push('first listener returned');
    });
    system.subscribe(CounterCreated, () => log.push('second listener ran'));
    system.subscribe(Noted, (e) => log.push(`noted ${e.data.text}`));
    await system.tick([create], { at: T0 });
    expect(log).toEqual([
      'first listener returned',
      'second listener ran',
      'noted one',
      'noted two',
    ]);
  });

  it('is discarded when the listener throws, and a ListenerFailed event records name and message without stack', async () => {
    const system = counterSystem();
    system.subscribe(CounterCreated, function brittle(e, ctx) {
      ctx.emit(Noted, e.entity, { text: 'lost' });
      throw new RangeError('out of range');
    });
    const result = await system.tick([create], { at: T0 });
    const types = result.events.map((e) => e.type);
    expect(types).toEqual(['CounterCreated', 'causeway.ListenerFailed']);
    const failed = result.events[1] as Envelope<typeof ListenerFailed>;
    expect(failed.data).toEqual({
      listener: 'brittle',
      event: { id: result.events[0]?.id, seq: 1, type: 'CounterCreated' },
      error: { name: 'RangeError', message: 'out of range', code: null },
      policy: 'isolate',
    });
    expect(JSON.stringify(failed.data)).not.toContain('at ');
    expect(failed.causation).toBe(result.events[0]?.id);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
  ])(
    'is discarded when the listener throws %s, and a ListenerFailed event records it',
    async (label, thrown) => {
      const system = counterSystem();
      system.subscribe(CounterCreated, function careless(e, ctx) {
        ctx.emit(Noted, e.entity, { text: 'lost' });
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a careless listener
        throw thrown;
      });
      const result = await system.tick([create], { at: T0 });
      expect(result.events.map((e) => e.type)).toEqual([
        'CounterCreated',
        'causeway.ListenerFailed',
      ]);
      expect((result.events[1] as Envelope<typeof ListenerFailed>).data.error).toEqual({
        name: label === 'null' ? 'object' : 'undefined',
        message: label,
        code: null,
      });
      expect(result.failures).toHaveLength(1);
    },
  );

  it.each([
    [
      'an Error whose message getter throws',
      () =>
        Object.defineProperty(new TypeError('hidden'), 'message', {
          get: () => {
            throw new Error('no message for you');
          },
        }),
      { name: 'TypeError', message: 'an Error whose message could not be read' },
    ],
    [
      'an Error whose name and message are not strings',
      () => Object.assign(new Error(), { name: Symbol('odd'), message: { nested: () => 1 } }),
      { name: 'Error', message: '[object Object]' },
    ],
  ])(
    'records a ListenerFailed of strings and commits the tick when the listener throws %s',
    async (_label, make, expected) => {
      const system = counterSystem();
      system.subscribe(CounterCreated, function hostile(e, ctx) {
        ctx.emit(Noted, e.entity, { text: 'lost' });
        throw make();
      });

      const result = await system.tick([create], { at: T0 });

      expect(result.events.map((e) => e.type)).toEqual([
        'CounterCreated',
        'causeway.ListenerFailed',
      ]);
      expect((result.events[1] as Envelope<typeof ListenerFailed>).data.error).toEqual({
        ...expected,
        code: null,
      });
      expect(system.lastCommit?.tick).toBe(1);
    },
  );

  it('undoes the entities a failing listener created', async () => {
    const system = counterSystem();
    let made = '';
    system.subscribe(CounterCreated, (_e, ctx) => {
      made = ctx.create();
      ctx.emit(CounterCreated, made, { name: 'child' });
      throw new Error('no');
    });
    await system.tick([create], { at: T0 });
    expect(system.entity(made)).toBeUndefined();
    expect(system.state.counters[made]).toBeUndefined();
  });

  it('rejects a listener that returns a Promise, and refuses its later ctx calls', async () => {
    const system = counterSystem({ mode: 'production' });
    let late: unknown;
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the misuse under test
    system.subscribe(CounterCreated, async function eager(e, ctx) {
      await Promise.resolve();
      try {
        ctx.emit(Noted, e.entity, { text: 'late' });
      } catch (err) {
        late = err;
      }
    });
    const result = await system.tick([create], { at: T0 });
    await new Promise((r) => setTimeout(r, 5));
    const failed = result.events.find((e) => e.type === ListenerFailed.name) as Envelope<
      typeof ListenerFailed
    >;
    expect(failed.data.error.code).toBe('CW_ASYNC_LISTENER');
    expect(failed.data.listener).toBe('eager');
    expect(late).toBeCausewayError('CW_ASYNC_LISTENER');
  });

  it('says a kept context was read, not called, when a listener reads ctx.state after its run', async () => {
    const system = counterSystem();
    let kept: ListenerContext<Counters> | null = null;
    system.subscribe(CounterCreated, function keeper(_e, ctx) {
      kept = ctx;
    });
    await system.tick([create], { at: T0 });
    const late = (() => {
      try {
        return (kept as unknown as ListenerContext<Counters>).state;
      } catch (err) {
        return err;
      }
    })();
    expect(late).toBeCausewayError('CW_ASYNC_LISTENER');
    expect((late as Error).message).toContain('keeper read ctx.state after its run ended');
  });

  it('keeps ListenerFailed under the dead-letter policy and lists it in deadLetters()', async () => {
    const system = counterSystem({ failurePolicy: 'dead-letter' });
    system.subscribe(Incremented, function picky() {
      throw new Error('cannot count');
    });
    await system.tick([create, input(Incremented, a, { by: 1 }, 'alice')], { at: T0 });
    const letters = await system.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      listener: 'picky',
      event: { type: 'Incremented', seq: 2 },
      error: { message: 'cannot count' },
    });
  });

  it('halts under the halt policy: the tick is not committed, its inputs stay journaled, further input is refused', async () => {
    const system = counterSystem({ failurePolicy: 'halt' });
    system.subscribe(Incremented, function fragile() {
      throw new Error('broken');
    });
    await system.tick([create], { at: T0 });
    await expect(
      system.tick([input(Incremented, a, { by: 1 }, 'alice')], { at: T0 + 1 }),
    ).rejects.toMatchObject({
      code: 'CW_LISTENER_FAILED',
      details: { listener: 'fragile' },
    });
    expect(system.lastCommit?.tick).toBe(1);
    expect(await system.store.lastInput()).toBe(2);
    expect(system.state.counters[a]?.value).toBe(0);
    await expect(system.tick([], { at: T0 + 2 })).rejects.toBeCausewayError('CW_SYSTEM_HALTED');
  });
});

describe('ctx.state', () => {
  it('refuses a listener’s write, so the tick commits only what the appliers made', async () => {
    const system = counterSystem();
    const refused: unknown[] = [];
    system.subscribe(CounterCreated, function meddler(e, ctx) {
      const counter = ctx.state.counters[e.entity] as { name: string; value: number };
      for (const write of [
        () => (counter.value = 99),
        () => delete (ctx.state.counters as Record<string, unknown>)[e.entity],
      ]) {
        try {
          write();
        } catch (err) {
          refused.push(err);
        }
      }
    });

    await system.tick([create], { at: T0 });

    expect(refused).toHaveLength(2);
    expect(refused.every((err) => err instanceof TypeError)).toBe(true);
    expect(system.state.counters[a]).toEqual({ name: 'a', value: 0 });
  });

  it('refuses an in-place sort of an array read from a large table, and still reads it', async () => {
    const counters: Counters['counters'] = {};
    for (let n = 100; n < 200; n++) counters[entityId(n)] = { name: `c${n}`, value: n };
    const Listed = defineEvent<{ items: number[] }, 'Listed'>('Listed', { entity: 'new' });
    const system = new EventSystem<{ lists: Table<number[]>; counters: Counters['counters'] }>({
      seed: 1,
      store: new MemoryStore(),
      initialState: { lists: {}, counters },
      events: [Listed],
    });
    system.apply(Listed, (draft, e) => {
      draft.lists[e.entity] = e.data.items;
    });
    let sorted: unknown = null;
    let read: unknown = null;
    system.subscribe(Listed, function sorter(e, ctx) {
      const items = ctx.state.lists[e.entity] as number[];
      read = [...items];
      try {
        items.sort();
      } catch (err) {
        sorted = err;
      }
      (ctx.state.counters[entityId(150)] as { value: number }).value++;
    });

    const result = await system.tick([input(Listed, entityId(1), { items: [3, 1, 2] }, 'alice')], {
      at: T0,
    });

    expect(read).toEqual([3, 1, 2]);
    expect(sorted).toBeInstanceOf(TypeError);
    expect(result.failures).toMatchObject([{ listener: 'sorter', error: { name: 'TypeError' } }]);
    expect(system.state.lists[entityId(1)]).toEqual([3, 1, 2]);
    expect(system.state.counters[entityId(150)]?.value).toBe(150);
  });
});

describe('cascade limit', () => {
  it('turns a runaway loop into an error naming the recurring event type, and commits nothing', async () => {
    const system = counterSystem({ cascadeLimit: 50 });
    system.subscribe(Noted, (e, ctx) => ctx.emit(Noted, e.entity, { text: 'again' }));
    await system.tick([create], { at: T0 });
    const error: unknown = await system
      .tick([input(Noted, a, { text: 'go' }, 'alice')], { at: T0 + 1 })
      .catch((e: unknown) => e);
    expect(error).toBeCausewayError('CW_CASCADE_LIMIT');
    expect((error as Error).message).toContain('"Noted"');
    expect(system.lastCommit?.tick).toBe(1);
  });
});

describe('timers', () => {
  it('fire in the first tick whose time reaches them, caused by their TimerScheduled event', async () => {
    const system = counterSystem();
    system.subscribe(CounterCreated, function remind(e, ctx) {
      ctx.schedule(1000, Noted, e.entity, { text: 'reminder' });
    });
    const first = await system.tick([create], { at: T0 });
    const scheduled = first.events.find((e) => e.type === 'causeway.TimerScheduled') as Envelope;
    expect(scheduled.causation).toBe(first.events[0]?.id);
    const early = await system.tick([], { at: T0 + 999 });
    expect(early.events).toHaveLength(0);
    const due = await system.tick([], { at: T0 + 1500 });
    expect(due.events.map((e) => [e.type, e.causation, e.correlation, e.actor])).toEqual([
      ['Noted', scheduled.id, first.events[0]?.id, 'remind'],
    ]);
  });

  it('can be cancelled before they fire', async () => {
    const system = counterSystem();
    let timer = '';
    system.subscribe(CounterCreated, (e, ctx) => {
      timer = ctx.schedule(10, Noted, e.entity, { text: 'never' });
    });
    system.subscribe(Incremented, (_e, ctx) => {
      expect(ctx.cancel(timer)).toBe(true);
    });
    await system.tick([create], { at: T0 });
    await system.tick([input(Incremented, a, { by: 1 }, 'alice')], { at: T0 + 1 });
    const later = await system.tick([], { at: T0 + 100 });
    expect(later.events).toHaveLength(0);
  });
});

describe('timer delays', () => {
  it.each([
    ['negative', -1],
    ['not finite', Number.POSITIVE_INFINITY],
    ['due after the latest tick time', 1e300],
  ])('are refused with CW_INVALID_ARGUMENT when %s', async (_name, delay) => {
    const system = counterSystem();
    let refused: unknown = null;
    system.subscribe(CounterCreated, (e, ctx) => {
      try {
        ctx.schedule(delay, Noted, e.entity, { text: 'never' });
      } catch (err) {
        refused = err;
      }
    });
    const result = await system.tick([create], { at: T0 });
    expect(refused).toBeCausewayError('CW_INVALID_ARGUMENT');
    expect(result.events.map((e) => e.type)).not.toContain('causeway.TimerScheduled');
  });
});

describe('per-tick systems', () => {
  it('run once per tick in declared order, each after the previous one’s cascade', async () => {
    const system = counterSystem();
    const order: string[] = [];
    system.system('movement', (ctx) => {
      order.push(`movement@${ctx.tick}`);
    });
    system.system('scoring', (ctx) => {
      order.push(`scoring@${ctx.tick}`);
    });
    await system.tick([], { at: T0 });
    await system.tick([], { at: T0 + 1 });
    expect(order).toEqual(['movement@1', 'scoring@1', 'movement@2', 'scoring@2']);
  });
});

describe('commit observers', () => {
  it('a throwing observer neither fails the committed tick nor stops the observers after it', async () => {
    const system = counterSystem();
    const boom = new Error('observer boom');
    const seen: number[] = [];
    system.onCommit(() => {
      throw boom;
    });
    system.onCommit((result) => seen.push(result.commit.tick));

    const result = await system.tick([create], { at: T0 });

    expect(result.commit.tick).toBe(1);
    expect(result.observerErrors).toEqual([boom]);
    expect(seen).toEqual([1]);
    expect(await system.store.lastCommit()).toEqual(result.commit);
  });

  it('a throwing observer leaves the live senders of the committed tick resolved with their envelopes', async () => {
    const system = counterSystem({ clock: () => T0 });
    system.onCommit(() => {
      throw new Error('observer boom');
    });

    const created = await system.send(create);

    expect(created.seq).toBe(1);
    expect(system.lastCommit?.lastInput).toBe(1);
  });
});

describe('committed envelopes and commits', () => {
  it('refuses a listener’s write to its event, so the log keeps the event the appliers applied', async () => {
    const system = counterSystem({ mode: 'production' });
    system.subscribe(CounterCreated, function rename(e) {
      (e as { type: string }).type = 'Noted';
    });

    const result = await system.tick([create], { at: T0 });

    expect(result.failures.map((f) => f.listener)).toEqual(['rename']);
    expect((await system.store.readEvents()).items[0]?.type).toBe('CounterCreated');
  });

  it('refuses a listener’s write into an emitted event’s payload, so the log keeps what was emitted', async () => {
    const system = counterSystem({ mode: 'production' });
    system.subscribe(CounterCreated, function note(e, ctx) {
      ctx.emit(Noted, e.entity, { text: 'created' });
    });
    system.subscribe(Noted, function tamper(e) {
      e.data.text = 'tampered';
    });

    const result = await system.tick([create], { at: T0 });

    expect(result.failures.map((f) => f.listener)).toEqual(['tamper']);
    const stored = await system.store.readEvents({ type: Noted.name });
    expect(stored.items[0]?.data).toEqual({ text: 'created' });
  });

  it('refuses a caller’s write to a tick result’s commit, so the system’s last commit stays the stored one', async () => {
    const system = counterSystem();
    const result = await system.tick([create], { at: T0 });

    expect(() => {
      (result.commit as { hash: string }).hash = '0';
    }).toThrow(TypeError);
    expect(system.lastCommit).toEqual(await system.store.lastCommit());
  });
});

describe('a closed system', () => {
  it('refuses start() with CW_SYSTEM_HALTED instead of starting a clock that can run no tick', async () => {
    const system = counterSystem();
    await system.tick([create], { at: T0 });
    await system.close();

    await expect(system.start()).rejects.toBeCausewayError('CW_SYSTEM_HALTED');
  });

  it('refuses snapshot() with CW_SYSTEM_HALTED, without reporting a failed snapshot to onSnapshotError', async () => {
    const reported: unknown[] = [];
    const system = counterSystem({ onSnapshotError: (e) => reported.push(e) });
    await system.tick([create], { at: T0 });
    await system.close();

    await expect(system.snapshot()).rejects.toBeCausewayError('CW_SYSTEM_HALTED');
    expect(reported).toEqual([]);
  });
});

describe('wiring inside the loop', () => {
  it('refuses an applier registered by a listener with CW_NONDETERMINISM, leaving the appliers as they were', async () => {
    const system = counterSystem({ mode: 'production' });
    system.subscribe(CounterCreated, function wireMore() {
      system.apply(Incremented, (draft, e) => {
        const counter = draft.counters[e.entity];
        if (counter !== undefined) counter.value += 100;
      });
    });

    const created = await system.tick([create], { at: T0 });
    await system.tick([input(Incremented, a, { by: 1 }, 'alice')], { at: T0 + 1 });

    expect(created.failures.map((f) => f.error.code)).toEqual(['CW_NONDETERMINISM']);
    expect(system.state.counters[a]?.value).toBe(1);
  });

  it('refuses a listener subscribed by an applier with CW_NONDETERMINISM, before the listener can run', async () => {
    const system = counterSystem({ mode: 'production' });
    const ran: string[] = [];
    let refused: unknown = null;
    system.apply(CounterCreated, () => {
      try {
        system.subscribe(CounterCreated, () => ran.push('late listener'));
      } catch (err) {
        refused = err;
      }
    });

    await system.tick([create], { at: T0 });

    expect(refused).toBeCausewayError('CW_NONDETERMINISM');
    expect(ran).toEqual([]);
  });
});

describe('live mode', () => {
  it('resolves each sender when the tick that processed its input commits', async () => {
    let now = T0;
    const system = counterSystem({ clock: () => now });
    const sent = system.send(create);
    const second = system.send(input(Incremented, a, { by: 3 }, 'alice'));
    now += 10;
    const [created, incremented] = await Promise.all([sent, second]);
    expect(created.type).toBe('CounterCreated');
    expect(incremented.seq).toBe(2);
    expect(system.lastCommit?.lastInput).toBe(2);
    expect(system.state.counters[a]?.value).toBe(3);
  });

  it('fires timers on time once started, with no input arriving', async () => {
    const system = counterSystem();
    system.subscribe(CounterCreated, function alarm(e, ctx) {
      ctx.schedule(20, Noted, e.entity, { text: 'wake up' });
    });
    const fired = new Promise<Envelope>((resolve) => {
      system.onCommit(({ events }) => {
        const noted = events.find((e) => e.type === 'Noted');
        if (noted !== undefined) resolve(noted);
      });
    });
    await system.start();
    const created = await system.send(
      input(CounterCreated, newEntityId(), { name: 'clock' }, 'alice'),
    );
    const noted = await fired;
    expect(noted.data).toEqual({ text: 'wake up' });
    expect(noted.at - created.at).toBeGreaterThanOrEqual(20);
    await system.close();
  });
});

describe('wiring from JavaScript', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a store that is not one', { store: {} }],
    ['null among the event types', { events: [null] }],
    ['event types that are not an array', { events: 'CounterCreated' }],
    ['an initial state that is not an object', { initialState: 5 }],
    ['a clock that is not a function', { clock: 5 }],
    ['an initial state that is an array', { initialState: [] }],
    ['a cascade limit of 0 (no tick could dispatch its first event)', { cascadeLimit: 0 }],
  ])('refuses %s with CW_INVALID_ARGUMENT', (_what, options) => {
    expect(() => counterSystem(options as never)).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
  });

  it.each([
    ['no options', undefined],
    ['null options', null],
  ])('refuses %s with CW_INVALID_ARGUMENT', (_what, options) => {
    expect(() => new EventSystem(options as never)).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
  });

  it('refuses an applier that is not a function', () => {
    const system = counterSystem();

    expect(() => system.apply(Noted, 5 as never)).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
  });

  it('records a listener that emits null as its event type as a typed failure', async () => {
    const system = counterSystem({ mode: 'production' });
    system.subscribe(CounterCreated, function careless(e, ctx) {
      ctx.emit(null as never, e.entity, {} as never);
    });

    const result = await system.tick([create], { at: T0 });

    expect(result.failures).toMatchObject([
      { listener: 'careless', error: { code: 'CW_INVALID_ARGUMENT' } },
    ]);
  });
});
