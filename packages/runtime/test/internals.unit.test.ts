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
