import {
  defineEvent,
  EventSystem,
  input,
  MemoryStore,
  type EventStore,
  type Table,
} from '@causeway/runtime';
import { testEntityId } from '@causeway/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachInspector, type AttachedInspector } from '../src/agent/index.ts';
import { InspectorClient, type SocketConstructor } from '../src/client/index.ts';

// A state nested deeper than @msgpack/msgpack's default encoding depth (100 levels), which the
// runtime hashes and snapshots (its codec goes to CODEC_MAX_DEPTH): the agent serves it, its
// entity history and its patches as the runtime holds it.

const LEVELS = 150;
const START = Date.UTC(2026, 0, 1);

type Nest = { down: Nest } | { bottom: number };

interface Deep {
  nests: Table<Nest>;
}

const Dug = defineEvent<{ bottom: number }>('Dug', { entity: 'new' });
const Deepened = defineEvent<{ bottom: number }>('Deepened', { entity: 'existing' });

const hole = testEntityId(1, START);

function nest(bottom: number): Nest {
  let value: Nest = { bottom };
  for (let i = 1; i < LEVELS; i++) value = { down: value };
  return value;
}

function bottomOf(value: unknown): unknown {
  let at = value as Nest;
  while ('down' in at) at = at.down;
  return at.bottom;
}

function makeDeep(store: EventStore): EventSystem<Deep> {
  const system = new EventSystem<Deep>({
    seed: 8,
    store,
    initialState: { nests: {} },
    events: [Dug, Deepened],
  });
  system.apply(Dug, (draft, e) => {
    draft.nests[e.entity] = nest(e.data.bottom);
  });
  system.apply(Deepened, (draft, e) => {
    draft.nests[e.entity] = nest(e.data.bottom);
  });
  return system;
}

let system: EventSystem<Deep>;
let inspector: AttachedInspector;
let client: InspectorClient;

beforeAll(async () => {
  system = makeDeep(new MemoryStore());
  await system.tick([input(Dug, hole, { bottom: 1 }, 'digger')], { at: START + 1000 });
  await system.tick([input(Deepened, hole, { bottom: 2 }, 'digger')], { at: START + 2000 });
  inspector = await attachInspector(system, { makeSystem: makeDeep, print: () => undefined });
  await inspector.service.history?.settled();
  client = await InspectorClient.connect(inspector.wsUrl, {
    WebSocket: WebSocket as unknown as SocketConstructor,
  });
});

afterAll(async () => {
  client.close();
  await inspector.close();
  await system.close();
});

describe(`the agent over a state ${LEVELS} levels deep`, () => {
  it('serves the whole state after each event', async () => {
    const first = await client.call('stateAt', { seq: 1 });
    const last = await client.call('stateAt', { seq: 2 });

    expect(bottomOf((first.value as Deep).nests[hole])).toBe(1);
    expect(last.value).toEqual(system.state);
  });

  it("serves the entity's history, every version whole", async () => {
    const page = await client.call('entityHistory', { entity: hole });

    expect(page.versions.map((v) => bottomOf(v.components['nests']))).toEqual([1, 2]);
  });

  it("serves an event's patches with their values whole", async () => {
    const set = await client.call('patches', { seq: 2 });

    expect(bottomOf(set.patches[0]?.value)).toBe(2);
    expect(bottomOf(set.inverse[0]?.value)).toBe(1);
  });
});
