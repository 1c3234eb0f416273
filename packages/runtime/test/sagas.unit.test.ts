import { describe, expect, it } from 'vitest';
import {
  defineEvent,
  EventSystem,
  firstDivergence,
  input,
  MemoryStore,
  newEntityId,
  reexecute,
  systemInternals,
} from '../src/index.ts';
import {
  command,
  commandInput,
  defineCommand,
  defineSaga,
  Mediator,
  SAGAS_TABLE,
} from '../src/cqrs/index.ts';
import { CrashingStore, resumeScript, runScript, type Script } from '../src/testing/index.ts';
import {
  Checkout,
  Pay,
  PAYMENT_TIMEOUT,
  PlaceOrder,
  shopMediator,
  type Shop,
} from './fixtures/checkout.ts';

const shopper = 'shopper';
const t0 = Date.now();
const paid = newEntityId();
const unpaid = newEntityId();
const tooBig = newEntityId();

// Three orders: one paid in time (shipped), one never paid (its timer fires: stock released,
// order cancelled), one asking more than the stock (reservation refused: cancelled at once).
const script: Script = [
  {
    at: t0,
    inputs: [
      commandInput(command(PlaceOrder, paid, { qty: 2 }, { actor: shopper })),
      commandInput(command(PlaceOrder, unpaid, { qty: 2 }, { actor: shopper })),
      commandInput(command(PlaceOrder, tooBig, { qty: 50 }, { actor: shopper })),
    ],
  },
  {
    at: t0 + 1_000,
    inputs: [commandInput(command(Pay, paid, { amount: 20 }, { actor: shopper }))],
  },
  { at: t0 + 10_000, inputs: [] },
  { at: t0 + PAYMENT_TIMEOUT + 1, inputs: [] },
  { at: t0 + PAYMENT_TIMEOUT + 5_000, inputs: [] },
];

const makeSystem = (store: ConstructorParameters<typeof CrashingStore>[0]) =>
  shopMediator(store).system;

function statuses(state: Shop): Record<string, string | undefined> {
  return {
    paid: state.orders[paid]?.status,
    unpaid: state.orders[unpaid]?.status,
    tooBig: state.orders[tooBig]?.status,
  };
}

describe('sagas', () => {
  it('ships a paid order, compensates a timed-out one and cancels a refused one', async () => {
    const system = makeSystem(new MemoryStore());

    await runScript(system, script);

    expect(statuses(system.state as Shop)).toEqual({
      paid: 'shipped',
      unpaid: 'cancelled',
      tooBig: 'cancelled',
    });
    expect(system.state.warehouse.main?.available).toBe(3);
  });

  it('keeps a saga instance state by its correlation key until it finishes', async () => {
    const mediator = shopMediator(new MemoryStore());

    await runScript(mediator.system, script.slice(0, 2));

    const timers =
      mediator.system.lastCommit === null ? [] : systemInternals(mediator.system).timers;
    expect(mediator.sagaState(Checkout, unpaid)).toEqual({ timer: timers[0]?.id });
    expect(mediator.sagaState(Checkout, paid)).toBeUndefined();
  });

  it('fires a saga timeout after a crash and a restart, and ends with the uninterrupted log', async () => {
    const uninterrupted = new MemoryStore();
    await runScript(makeSystem(uninterrupted), script);
    const log = new MemoryStore();
    const crashing = new CrashingStore(log, { failAt: 5 });
    await runScript(makeSystem(crashing), script).catch(() => undefined);
    const crashedAt = (await log.lastCommit())?.tick ?? 0;

    const resumed = await resumeScript(makeSystem, log, script);

    expect(crashing.crashed).not.toBeNull();
    expect(crashedAt).toBeLessThan(4);
    expect(statuses(resumed.state as Shop).unpaid).toBe('cancelled');
    expect(await firstDivergence(uninterrupted, log, { makeSystem })).toMatchObject({ ok: true });
  });

  it('ends with the uninterrupted log whichever write the crash hits', async () => {
    const uninterrupted = new MemoryStore();
    const counting = new CrashingStore(uninterrupted, { failAt: null });
    await runScript(makeSystem(counting), script);
    const results: unknown[] = [];

    for (let failAt = 1; failAt <= counting.writes; failAt++) {
      for (const when of ['before-write', 'after-write'] as const) {
        const log = new MemoryStore();
        await runScript(makeSystem(new CrashingStore(log, { failAt, when })), script).catch(
          () => undefined,
        );
        await resumeScript(makeSystem, log, script);
        results.push((await firstDivergence(uninterrupted, log, { makeSystem })).ok);
      }
    }

    expect(results).toEqual(results.map(() => true));
    expect(results.length).toBeGreaterThan(10);
  });

  it('re-executes the saga log to the same events, ids and hashes', async () => {
    const store = new MemoryStore();
    await runScript(makeSystem(store), script);

    const check = await reexecute(store, makeSystem);

    expect(check).toMatchObject({ ok: true, ticks: script.length });
  });

  it('removes a finished saga instance from state', async () => {
    const system = makeSystem(new MemoryStore());

    await runScript(system, script);

    expect((system.state as Record<string, unknown>)[SAGAS_TABLE]).toEqual({ Checkout: {} });
  });

  it('keys instances by payload strings as any others, and refuses __proto__ without halting', async () => {
    // A saga keyed by a string a client sends: "constructor" is a key like any other (not what
    // a plain object inherits), "__proto__" a refusal recorded as a listener failure.
    const Noted = defineEvent<{ ref: string }>('sagas.Noted', { entity: 'new' });
    const Tally = defineSaga<{ count: number }>('Tally').on(
      Noted,
      (e) => e.data.ref,
      (state) => (state === undefined ? { count: 1 } : { count: state.count + 1 }),
    );
    const system = new EventSystem({ seed: 3, initialState: {}, events: [Noted] });
    const mediator = new Mediator(system).saga(Tally);
    await mediator.start();
    const note = (ref: string) => input(Noted, newEntityId(), { ref }, 'client');

    await system.tick([note('constructor'), note('toString'), note('a')], { at: t0 });
    const second = await system.tick([note('constructor'), note('__proto__')], { at: t0 + 1 });

    expect(mediator.sagaState(Tally, 'constructor')).toEqual({ count: 2 });
    expect(mediator.sagaState(Tally, 'toString')).toEqual({ count: 1 });
    expect(mediator.sagaState(Tally, 'hasOwnProperty')).toBeUndefined();
    expect(mediator.sagaState(Tally, '__proto__')).toBeUndefined();
    const failed = second.events.find((e) => e.type === 'causeway.ListenerFailed');
    expect(failed?.data).toMatchObject({
      listener: 'Tally',
      error: { code: 'CW_INVALID_ARGUMENT' },
    });
    expect(JSON.stringify(failed?.data)).toContain('__proto__');
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(system.halted).toBeNull();
    await system.tick([note('a')], { at: t0 + 2 });
    expect(mediator.sagaState(Tally, 'a')).toEqual({ count: 2 });
    await system.close();
  });

  it('keeps the state of a saga named like an Object.prototype member in causeway.sagas, not on the built-in', async () => {
    // Saga names are validated by pattern only, and "constructor" or "toString" pass it: the
    // sagas table must look the name up among its own entries, never what objects inherit.
    const Noted = defineEvent<{ ref: string }>('sagas.Noted', { entity: 'new' });
    const Tally = defineSaga<{ count: number }>('constructor').on(
      Noted,
      (e) => e.data.ref,
      (state) => ({ count: (state?.count ?? 0) + 1 }),
    );
    const system = new EventSystem({ seed: 3, initialState: {}, events: [Noted] });
    const mediator = new Mediator(system).saga(Tally);
    await mediator.start();

    await system.tick([input(Noted, newEntityId(), { ref: 'name' }, 'client')], { at: t0 });
    await system.tick([input(Noted, newEntityId(), { ref: 'name' }, 'client')], { at: t0 + 1 });

    expect(Object.getOwnPropertyDescriptor(Object, 'name')?.value).toBe('Object');
    expect((system.state as Record<string, unknown>)[SAGAS_TABLE]).toEqual({
      constructor: { name: { count: 2 } },
    });
    expect(mediator.sagaState(Tally, 'name')).toEqual({ count: 2 });
    expect(mediator.sagaState(defineSaga('toString'), 'name')).toBeUndefined();
    await system.close();
  });

  it('refuses a reaction to something that is not an event type, or without key and reaction functions', () => {
    const saga = defineSaga<null>('Loose');
    const Some = defineEvent<{ n: number }, 'Some'>('Some', { entity: 'new' });

    expect(() =>
      saga.on(
        undefined as never,
        (e) => e.entity,
        () => null,
      ),
    ).toThrow(expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }));
    expect(() => saga.on(Some, 'entity' as never, () => null)).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
    expect(() => saga.on(Some, (e) => e.entity, undefined as never)).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }),
    );
    expect(saga.steps).toHaveLength(0);
  });

  it('refuses a key that is not a string (a payload without it) without halting', async () => {
    const Noted = defineEvent<{ ref?: unknown }>('sagas.Noted', { entity: 'new' });
    const Tally = defineSaga<{ count: number }>('Tally').on(
      Noted,
      (e) => e.data.ref as string,
      (state) => (state === undefined ? { count: 1 } : { count: state.count + 1 }),
    );
    const system = new EventSystem({ seed: 3, initialState: {}, events: [Noted] });
    const mediator = new Mediator(system).saga(Tally);
    await mediator.start();

    const result = await system.tick(
      [
        input(Noted, newEntityId(), {}, 'client'),
        input(Noted, newEntityId(), { ref: 42 }, 'client'),
        input(Noted, newEntityId(), { ref: 'a' }, 'client'),
      ],
      { at: t0 },
    );

    expect(system.halted).toBeNull();
    const failures = result.events.filter((e) => e.type === 'causeway.ListenerFailed');
    expect(failures.map((e) => (e.data as { error: { code: string } }).error.code)).toEqual([
      'CW_INVALID_ARGUMENT',
      'CW_INVALID_ARGUMENT',
    ]);
    expect(mediator.sagaState(Tally, 'a')).toEqual({ count: 1 });
    expect(mediator.sagaState(Tally, '42')).toBeUndefined();
    await system.close();
  });

  it('refuses a ctx.send whose expectedVersion is not a version, recording the reaction as failed', async () => {
    const Noted = defineEvent<{ version: unknown }>('sagas.Versioned', { entity: 'new' });
    const Touch = defineCommand<Record<string, never>, null, never, 'sagas.Touch'>('sagas.Touch');
    const Relay = defineSaga<number>('Relay').on(
      Noted,
      (e) => e.entity,
      (_state, e, ctx) => {
        ctx.send(Touch, e.entity, {}, { expectedVersion: e.data.version as number });
        return 1;
      },
    );
    const system = new EventSystem({ seed: 3, initialState: {}, events: [Noted] });
    system.declareInputs(Noted);
    const mediator = new Mediator(system).handle(Touch, () => null).saga(Relay);
    await mediator.start();

    const result = await system.tick(
      [
        input(Noted, newEntityId(), { version: '0' }, 'client'),
        input(Noted, newEntityId(), { version: -1 }, 'client'),
        input(Noted, newEntityId(), { version: 0.5 }, 'client'),
      ],
      { at: t0 },
    );

    expect(system.halted).toBeNull();
    expect(result.events.map((e) => e.type)).not.toContain('sagas.Touch');
    const failures = result.events.filter((e) => e.type === 'causeway.ListenerFailed');
    expect(failures.map((e) => (e.data as { error: { code: string } }).error.code)).toEqual([
      'CW_INVALID_COMMAND',
      'CW_INVALID_COMMAND',
      'CW_INVALID_COMMAND',
    ]);
    await system.close();
  });
});
