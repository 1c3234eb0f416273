import { describe, expect, it } from 'vitest';
import {
  input,
  journalInputRejection,
  MemoryStore,
  reexecute,
  type EventStore,
} from '../src/index.ts';
import { CounterCreated, counterSystem, entityId, Noted, T0 } from './fixtures.ts';

/** A counter system where a `Noted` with text "loop" re-emits itself forever. */
function loopingSystem(store: EventStore) {
  const system = counterSystem({ store, cascadeLimit: 50 });
  system.subscribe(Noted, function echo(e, ctx) {
    if (e.data.text === 'loop') ctx.emit(Noted, e.entity, { text: 'loop' });
  });
  return system;
}

const created = input(CounterCreated, entityId(1), { name: 'a' }, 'alice');
const poison = input(Noted, entityId(1), { text: 'loop' }, 'alice');
const fine = input(Noted, entityId(1), { text: 'fine' }, 'alice');

describe('a poison input', () => {
  it('halts the system on every run until an operator rejects it', async () => {
    const store = new MemoryStore({ name: 'poison-halts' });
    const system = loopingSystem(store);
    await system.tick([created], { at: T0 });

    await expect(system.tick([poison], { at: T0 })).rejects.toMatchObject({
      code: 'CW_CASCADE_LIMIT',
    });
    await system.close();
    const reopened = loopingSystem(new MemoryStore({ name: 'poison-halts' }));

    await expect(reopened.tick([], { at: T0 })).rejects.toMatchObject({
      code: 'CW_CASCADE_LIMIT',
    });
  });

  it('is recorded as rejected, with the operator’s reason, once rejected through the system', async () => {
    const system = loopingSystem(new MemoryStore());
    await system.tick([created], { at: T0 });
    await system.tick([poison], { at: T0 }).catch(() => undefined);

    const result = await system.rejectJournaledInput(2, 'loops forever', { at: T0 });

    expect(result.events.map((e): unknown[] => [e.type, e.data])).toEqual([
      [
        'causeway.InputRejected',
        expect.objectContaining({ type: 'Noted', code: 'CW_INPUT_DISCARDED' }),
      ],
      ['causeway.InputDiscarded', { ino: 2, reason: 'loops forever' }],
    ]);
    expect(result.events[1]?.actor).toBe('operator');
    expect(system.halted).toBeNull();
    await expect(system.tick([fine], { at: T0 })).resolves.toMatchObject({
      commit: { tick: 3 },
    });
  });

  it('is rejected through the store alone, and the next open runs the rejection', async () => {
    const store = new MemoryStore({ name: 'poison-store' });
    const first = loopingSystem(store);
    await first.tick([created], { at: T0 });
    await first.accept([poison]);
    await first.close();
    const operator = new MemoryStore({ name: 'poison-store' });
    await operator.open();
    await journalInputRejection(operator, 2, 'loops forever');
    await operator.close();

    const second = loopingSystem(new MemoryStore({ name: 'poison-store' }));
    const result = await second.tick([], { at: T0 });

    expect(result.events.map((e) => e.type)).toEqual([
      'causeway.InputRejected',
      'causeway.InputDiscarded',
    ]);
  });

  it('replays the same after the rejection: reopen and re-execution agree with the log', async () => {
    const store = new MemoryStore({ name: 'poison-replay' });
    const system = loopingSystem(store);
    await system.tick([created], { at: T0 });
    await system.tick([poison, fine], { at: T0 }).catch(() => undefined);
    await system.rejectJournaledInput(2, 'loops forever', { at: T0 });
    const last = system.lastCommit;
    await system.close();

    const reopened = loopingSystem(new MemoryStore({ name: 'poison-replay' }));
    await reopened.open();
    const check = await reexecute(new MemoryStore({ name: 'poison-replay', readOnly: true }), (s) =>
      loopingSystem(s),
    );

    expect(reopened.lastCommit).toEqual(last);
    expect(check).toMatchObject({ ok: true, ticks: 2 });
  });

  it('says that no input is waiting when every journaled input has run, instead of an empty range', async () => {
    const system = loopingSystem(new MemoryStore());
    await system.tick([created], { at: T0 });

    const refused = journalInputRejection(system.store, 1, 'why not');

    await expect(refused).rejects.toThrow(
      /^Input 1 is not waiting for a tick in memory:[^:]*: no input is; every journaled input \(1\) ran in a committed tick\./,
    );
  });

  it('names the one input that is waiting when another is asked for', async () => {
    const system = loopingSystem(new MemoryStore());
    await system.tick([created], { at: T0 });
    await system.accept([fine]);

    const refused = journalInputRejection(system.store, 1, 'why not');

    await expect(refused).rejects.toThrow(
      /: only input 2 is; input 1 ran in a committed tick\. Only an input that has not run can be rejected\.$/,
    );
  });

  it.each([
    ['a committed input', 1],
    ['an input never journaled', 9],
  ])('refuses to reject %s', async (_what, ino) => {
    const system = loopingSystem(new MemoryStore());
    await system.tick([created], { at: T0 });
    await system.accept([fine]);

    await expect(system.rejectJournaledInput(ino, 'why not')).rejects.toMatchObject({
      code: 'CW_INVALID_ARGUMENT',
    });
  });
});
