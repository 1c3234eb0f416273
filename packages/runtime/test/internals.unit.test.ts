import { createDraft, finishDraft } from 'immer';
import { describe, expect, it } from 'vitest';
import { input, systemInternals, type EventSystem, type StoredEnvelope } from '../src/index.ts';
import { snakeEvents, snakeSystem } from './fixtures/snakes.ts';
import { counterSystem, CounterCreated, entityId, Incremented, T0 } from './fixtures.ts';

describe('systemInternals().applyEvent', () => {
  it('applies a stored event to a given state without changing the system', async () => {
    // Arrange
    const system = counterSystem();
    const id = entityId(1);
    const result = await system.tick(
      [input(CounterCreated, id, { name: 'a' }), input(Incremented, id, { by: 5 })],
      { at: T0 },
    );
    const internals = systemInternals(system);
    const draft = createDraft(internals.initialState);
    // Act
    for (const event of result.events) internals.applyEvent(draft, event as StoredEnvelope);
    const state = finishDraft(draft);
    // Assert
    expect(state).toEqual({ counters: { [id]: { name: 'a', value: 5 } } });
    expect(system.state).toEqual(state);
    expect(internals.initialState).toEqual({ counters: {} });
  });
});

describe('systemInternals().recordEvents', () => {
  it('gives each event its patches and inverse patches on one shared draft', async () => {
    // Arrange
    const system = counterSystem();
    const id = entityId(2);
    const result = await system.tick(
      [input(CounterCreated, id, { name: 'b' }), input(Incremented, id, { by: 3 })],
      { at: T0 },
    );
    const internals = systemInternals(system);
    const draft = createDraft(internals.initialState);
    const record = internals.recordEvents(draft);
    // Act
    const recorded = result.events.map((event) => record(event as StoredEnvelope));
    // Assert
    expect(recorded[0]?.patches).toEqual([
      { op: 'add', path: ['counters', id], value: { name: 'b', value: 0 } },
    ]);
    expect(recorded[1]?.patches).toEqual([
      { op: 'replace', path: ['counters', id, 'value'], value: 3 },
    ]);
    expect(recorded[1]?.inverse).toEqual([
      { op: 'replace', path: ['counters', id, 'value'], value: 0 },
    ]);
  });
});

describe('systemInternals() appliers and the logged payloads', () => {
  const snake = snakeEvents('internals');
  const { Spawned, Grew } = snake;

  it('gives appliers copies of the stored payloads, through applyEvent and recordEvents alike', async () => {
    // Arrange: one applier puts a payload's array into the state, a later one grows it.
    const system = snakeSystem(snake);
    const id = entityId(3);
    await system.tick([input(Spawned, id, { body: [1] }), input(Grew, id, { cell: 2 })], {
      at: T0,
    });
    const events = (await system.store.readEvents()).items;
    const internals = systemInternals(system as EventSystem<object>);
    // Act
    const applied = internals.draft(internals.initialState);
    for (const event of events) internals.applyEvent(applied.root, event);
    const recorded = internals.draft(internals.initialState);
    const record = internals.recordEvents(recorded.root);
    for (const event of events) record(event);
    // Assert
    expect(applied.finish()).toEqual({ snakes: { [id]: { body: [1, 2] } } });
    expect(recorded.finish()).toEqual({ snakes: { [id]: { body: [1, 2] } } });
    expect((await system.store.readEvents()).items[0]?.data).toEqual({ body: [1] });
  });
});
