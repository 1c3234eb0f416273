import {
  defineEvent,
  EventSystem,
  input,
  MemoryStore,
  newEntityId,
  type Input,
  type Table,
} from '@causeway/runtime';
import { StateHasher } from '../../packages/runtime/src/state/index.ts';
import { measureRate, type Recorder, type Suite } from '../harness.ts';

// The workload of every apply case: each event updates one entity of a 1,000-entity component
// table, in Causeway by an applier and in Redux Toolkit by a createSlice reducer.
const ENTITIES = 1000;
const BATCH = 1000;
const REBUILD_TICKS = 200;
const HASH_SAMPLES = 15;

interface Unit {
  hp: number;
  x: number;
}
interface World {
  units: Table<Unit>;
}

const Spawned = defineEvent<{ hp: number }>('bench.Spawned', { entity: 'new' });
const Damaged = defineEvent<{ amount: number }>('bench.Damaged', { entity: 'existing' });

function world(
  options: { patches?: boolean; store?: MemoryStore; snapshotEvery?: number } = {},
): EventSystem<World> {
  const system = new EventSystem<World>({ seed: 3, initialState: { units: {} }, ...options });
  system.apply(Spawned, (draft, e) => {
    draft.units[e.entity] = { hp: e.data.hp, x: 0 };
  });
  system.apply(Damaged, (draft, e) => {
    const unit = draft.units[e.entity];
    if (unit !== undefined) unit.hp -= e.data.amount;
  });
  return system;
}

async function spawn(
  system: EventSystem<World>,
  ids: readonly string[],
  at: number,
): Promise<void> {
  for (let i = 0; i < ids.length; i += BATCH) {
    await system.tick(
      ids.slice(i, i + BATCH).map((id) => input(Spawned, id, { hp: 100 }, 'bench')),
      { at },
    );
  }
}

/** `count` Damaged inputs spread over `ids`, starting at `offset`. */
function damage(ids: readonly string[], count: number, offset = 0): Input[] {
  return Array.from({ length: count }, (_, i) =>
    input(Damaged, ids[(offset + i) % ids.length] as string, { amount: 1 }, 'bench'),
  );
}

async function applyCases(recorder: Recorder, ids: readonly string[]): Promise<void> {
  const batch = damage(ids, BATCH);
  for (const [name, patches, ticks] of [
    ['apply-patches-off', false, 50],
    ['apply-patches-on', true, 1],
  ] as const) {
    recorder.progress(`${name} causeway`);
    let system = world({ patches });
    let at = Date.now();
    const samples = await measureRate(
      async () => {
        for (let t = 0; t < ticks; t++) await system.tick(batch, { at: at++ });
      },
      ticks * BATCH,
      {
        before: async () => {
          await system.close();
          system = world({ patches });
          at = Date.now();
          await spawn(system, ids, at);
        },
      },
    );
    await system.close();
    recorder.record(name, 'causeway', 'events/s', samples);
  }

  // Redux Toolkit in production mode (no dev-check middleware), loaded only now so that it
  // sees NODE_ENV; immer is shared with the runtime, so both run immer's production path.
  process.env.NODE_ENV = 'production';
  const { configureStore, createSlice } = await import('@reduxjs/toolkit');
  const empty: World = { units: {} };
  const slice = createSlice({
    name: 'units',
    initialState: empty,
    reducers: {
      damaged(state, action: { payload: { entity: string; amount: number } }) {
        const unit = state.units[action.payload.entity];
        if (unit !== undefined) unit.hp -= action.payload.amount;
      },
    },
  });
  const initial: World = { units: {} };
  for (const id of ids) initial.units[id] = { hp: 100, x: 0 };
  const actions = batch.map((i) => slice.actions.damaged({ entity: i.entity, amount: 1 }));
  // Redux has no patches-off mode of its own: it runs the same per-action reducer in both rows.
  // One batch a sample: at a fresh copy of the 1,000-key table per action, it is slow enough.
  for (const [name, ticks] of [
    ['apply-patches-off', 1],
    ['apply-patches-on', 1],
  ] as const) {
    recorder.progress(`${name} redux`);
    let store = configureStore({ reducer: slice.reducer, preloadedState: initial });
    const samples = await measureRate(
      () => {
        for (let t = 0; t < ticks; t++) for (const action of actions) store.dispatch(action);
      },
      ticks * BATCH,
      {
        before: () => {
          store = configureStore({ reducer: slice.reducer, preloadedState: initial });
        },
      },
    );
    recorder.record(name, 'redux', 'events/s', samples);
  }
}

async function rebuildCase(recorder: Recorder, ids: readonly string[]): Promise<void> {
  recorder.progress(`rebuild: writing ${REBUILD_TICKS} ticks of ${BATCH} events`);
  const name = `bench-rebuild-${process.pid}`;
  const writer = world({ store: new MemoryStore({ name }), snapshotEvery: 0 });
  let at = Date.now();
  await spawn(writer, ids, at);
  for (let t = 0; t < REBUILD_TICKS; t++) await writer.tick(damage(ids, BATCH, t), { at: ++at });
  const events = writer.lastCommit?.lastSeq ?? 0;
  const hash = writer.lastCommit?.hash;
  await writer.close();
  let reader: EventSystem<World> | null = null;
  const samples = await measureRate(
    async () => {
      await (reader as EventSystem<World>).open();
    },
    events,
    {
      before: async () => {
        await reader?.close();
        reader = world({ store: new MemoryStore({ name }), snapshotEvery: 0 });
      },
    },
  );
  const rebuilt = reader as EventSystem<World> | null;
  if (rebuilt?.lastCommit?.hash !== hash) throw new Error('The rebuilt state hashes differently.');
  await rebuilt?.close();
  recorder.record('rebuild', 'causeway', 'events/s', samples);
}

async function hashCase(recorder: Recorder, entities: number): Promise<void> {
  recorder.progress(`hash-${entities / 1000}k-entities: spawning`);
  const ids = Array.from({ length: entities }, () => newEntityId());
  const system = world();
  let at = Date.now();
  await spawn(system, ids, at);
  const hasher = new StateHasher();
  hasher.hash(system.state);
  const changed = entities / 100;
  const samples: number[] = [];
  for (let i = 0; i < HASH_SAMPLES + 3; i++) {
    // A tick that changes 1% of the entities, then the timed hash of the state it produced.
    await system.tick(damage(ids, changed, i * changed), { at: ++at });
    const state = system.state;
    const start = process.hrtime.bigint();
    hasher.hash(state);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (i >= 3) samples.push(ms);
  }
  await system.close();
  recorder.record(`hash-${entities / 1000}k-entities`, 'causeway', 'ms', samples);
}

/** State changes: Causeway's appliers (patches off and on) against Redux Toolkit, rebuild, hashing. */
export const stateSuite: Suite = {
  name: 'state',
  description: `events/s applied to a ${ENTITIES}-entity table; rebuild of ${REBUILD_TICKS * BATCH + ENTITIES} events; state hash after a 1% change`,
  async run(recorder) {
    const ids = Array.from({ length: ENTITIES }, () => newEntityId());
    await applyCases(recorder, ids);
    await rebuildCase(recorder, ids);
    await hashCase(recorder, 1000);
    await hashCase(recorder, 10_000);
  },
};
