import {
  defineEvent,
  EventSystem,
  MemoryStore,
  type EventSystemOptions,
  type Table,
} from '../src/index.ts';

/** Test fixtures: a small domain of counters. */
export const CounterCreated = defineEvent<{ name: string }, 'CounterCreated'>('CounterCreated', {
  entity: 'new',
});
export const Incremented = defineEvent<{ by: number }, 'Incremented'>('Incremented', {
  entity: 'existing',
});
export const Noted = defineEvent<{ text: string }, 'Noted'>('Noted', { entity: 'existing' });

export interface Counters {
  counters: Table<{ name: string; value: number }>;
}

/** A counter system with appliers for the fixtures' events. */
export function counterSystem(
  options: Partial<EventSystemOptions<Counters>> = {},
): EventSystem<Counters> {
  const system = new EventSystem<Counters>({
    seed: 1,
    store: new MemoryStore(),
    initialState: { counters: {} },
    events: [CounterCreated, Incremented, Noted],
    ...options,
  });
  if (options.events !== undefined && options.events.length === 0) return system;
  system.apply(CounterCreated, (draft, e) => {
    draft.counters[e.entity] = { name: e.data.name, value: 0 };
  });
  system.apply(Incremented, (draft, e) => {
    const counter = draft.counters[e.entity];
    if (counter !== undefined) counter.value += e.data.by;
  });
  return system;
}

/** A fixed, valid UUIDv7 for entity `n` (timestamp 2026-01-01, well in the past). */
export function entityId(n: number): string {
  const tail = n.toString(16).padStart(12, '0');
  return `019b7640-0000-7000-8000-${tail}`;
}

/** A fixed tick time: 2026-11-01T00:00:00Z plus `ms`. */
export const T0 = Date.UTC(2026, 10, 1);
