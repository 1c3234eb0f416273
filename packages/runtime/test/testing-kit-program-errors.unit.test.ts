import { input, ListenerFailed, type EventStore } from '@causeway/runtime';
import {
  checkReplay,
  expected,
  ListenerSpecification,
  type Script,
} from '@causeway/runtime/testing';
import { describe, expect, it } from 'vitest';
import { CounterCreated, counterSystem, entityId, Noted, T0 } from './fixtures.ts';

/** A production-mode system (program errors isolated) whose listener emits an invalid payload. */
function makeSloppy(store: EventStore) {
  const system = counterSystem({ store, mode: 'production' });
  system.subscribe(CounterCreated, function sloppy(e, ctx) {
    ctx.emit(Noted, e.entity, { text: undefined as unknown as string });
  });
  return system;
}

const script: Script = [
  { at: T0, inputs: [input(CounterCreated, entityId(1), { name: 'a' }, 'alice')] },
];

describe('the testing kit and program errors', () => {
  it('fails checkReplay on a program error that production mode isolated', async () => {
    const result = await checkReplay(makeSloppy, script);

    expect(result.ok === false && result.failure).toMatchObject({
      check: 'program-errors',
      tick: 1,
      message: expect.stringContaining(
        'listener "sloppy" made a program error (CW_INVALID_PAYLOAD)',
      ) as unknown,
    });
  });

  it('lets checkReplay pass a program error when told to', async () => {
    const result = await checkReplay(makeSloppy, script, { allowProgramErrors: true });

    expect(result.ok).toBe(true);
  });

  it('fails checkReplay on a program error that halted a development-mode system', async () => {
    const makeHalting = (store: EventStore) => {
      const system = counterSystem({ store, mode: 'development' });
      system.subscribe(CounterCreated, function sloppy(e, ctx) {
        ctx.emit(Noted, e.entity, { text: undefined as unknown as string });
      });
      return system;
    };

    const result = await checkReplay(makeHalting, script);

    expect(result.ok === false && result.failure.check).toBe('program-errors');
  });

  it('fails a specification on a program error', async () => {
    const when = input(CounterCreated, entityId(1), { name: 'a' }, 'alice');

    const outcome = ListenerSpecification.for(makeSloppy, { at: T0 }).given([]).when(when).then([]);

    await expect(outcome).rejects.toThrow(/program error \(CW_INVALID_PAYLOAD\)/);
  });

  it('lets a specification see a program error as a ListenerFailed event when told to', async () => {
    const when = input(CounterCreated, entityId(1), { name: 'a' }, 'alice');

    const outcome = ListenerSpecification.for(makeSloppy, { at: T0, allowProgramErrors: true })
      .given([])
      .when(when)
      .then([expected(ListenerFailed, entityId(1))]);

    await expect(outcome).resolves.toBeUndefined();
  });
});
