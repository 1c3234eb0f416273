import { createDraft, finishDraft } from 'immer';
import { describe, expect, it } from 'vitest';
import { input, systemInternals, type StoredEnvelope } from '../src/index.ts';
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
