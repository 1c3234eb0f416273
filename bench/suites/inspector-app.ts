import {
  defineEvent,
  EventSystem,
  input,
  type EventStore,
  type Input,
  type MakeSystem,
  type Table,
} from '@causeway/runtime';
import { testEntityId } from '@causeway/runtime/testing';

/**
 * The application the inspector benchmark inspects: counters that record a milestone on every
 * step of three (so logs hold listener-emitted events and causation chains, not only inputs). The CLI
 * loads this module's `makeSystem` with `--system`.
 */
export const CounterCreated = defineEvent<{ name: string }, 'bench.CounterCreated'>(
  'bench.CounterCreated',
  { entity: 'new' },
);
export const Incremented = defineEvent<{ by: number }, 'bench.Incremented'>('bench.Incremented', {
  entity: 'existing',
});
export const Milestone = defineEvent<{ value: number }, 'bench.Milestone'>('bench.Milestone', {
  entity: 'existing',
});

/** The benchmark application's state. */
export interface BenchCounters {
  counters: Table<{ name: string; value: number }>;
  milestones: Table<number>;
}

/** Makes the benchmark application's system on a store. */
export const makeSystem: MakeSystem<BenchCounters> = (store: EventStore) => {
  const system = new EventSystem<BenchCounters>({
    seed: 11,
    store,
    initialState: { counters: {}, milestones: {} },
    events: [CounterCreated, Incremented, Milestone],
    snapshotEvery: 0,
  });
  system.apply(CounterCreated, (draft, e) => {
    draft.counters[e.entity] = { name: e.data.name, value: 0 };
  });
  system.apply(Incremented, (draft, e) => {
    const counter = draft.counters[e.entity];
    if (counter !== undefined) counter.value += e.data.by;
  });
  system.apply(Milestone, (draft, e) => {
    draft.milestones[e.entity] = e.data.value;
  });
  system.subscribe(Incremented, {
    name: 'milestones',
    run(e, ctx) {
      // Decided from the payload alone: reading `ctx.state` in a listener costs a snapshot of
      // the tick's draft, which would dominate this benchmark.
      if (e.data.by === 3) ctx.emit(Milestone, e.entity, { value: ctx.tick });
    },
  });
  return system;
};

/** Tick times: one second apart from a fixed start. */
export const START = Date.UTC(2026, 0, 1);

/** A fixed UUIDv7 for counter `n` (timestamp START), as the inspector's test fixtures make them. */
export function counterId(n: number): string {
  return testEntityId(n, START);
}

/** The inputs of tick `t`: tick 1 creates the counters, each later tick steps `perTick` of them. */
export function inputsOf(t: number, counters: number, perTick: number): Input[] {
  if (t === 1)
    return Array.from({ length: counters }, (_, i) =>
      input(CounterCreated, counterId(i + 1), { name: `counter ${i + 1}` }, 'bench'),
    );
  return Array.from({ length: perTick }, (_, i) => {
    const n = (((t - 2) * perTick + i) % counters) + 1;
    return input(Incremented, counterId(n), { by: 1 + ((t + i) % 3) }, 'bench');
  });
}
