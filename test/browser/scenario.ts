/**
 * A small deterministic run of the runtime that needs no host but ECMAScript: a few ticks
 * at fixed times with listeners that create entities, draw random numbers and schedule a
 * timer, then a rebuild and a re-execution of the log. The browser test runs it bundled in
 * Chromium and in Node, and expects the same events and hashes from both.
 */
import {
  defineEvent,
  EventSystem,
  input,
  MemoryStore,
  rebuild,
  reexecute,
  type EventStore,
  type Table,
} from '@causeway/runtime';

/** What the scenario saw, comparable across hosts. */
export interface ScenarioResult {
  readonly events: readonly { readonly id: string; readonly type: string; readonly seq: number }[];
  readonly hashes: readonly string[];
  readonly rebuiltHash: string;
  readonly reexecuted: boolean;
  readonly health: Readonly<Record<string, number>>;
}

const T0 = 1_700_000_000_000;
// A UUIDv7 whose timestamp is T0, made by hand so that both hosts send the same input.
const ARENA = '018bcfe5-6800-7000-8000-000000000001';

const ArenaOpened = defineEvent<{ name: string }>('ArenaOpened', { entity: 'new' });
const PlayerJoined = defineEvent<{ arena: string; health: number }>('PlayerJoined', {
  entity: 'new',
});
const Hit = defineEvent<{ damage: number }>('Hit', { entity: 'existing' });
const Healed = defineEvent<{ amount: number }>('Healed', { entity: 'existing' });

type Arena = { health: Table<number> };

function makeArena(store: EventStore): EventSystem<Arena> {
  const arena = new EventSystem<Arena>({
    seed: 2024,
    store,
    initialState: { health: {} },
    events: [PlayerJoined, Healed],
  });
  arena.apply(PlayerJoined, (draft, e) => {
    draft.health[e.entity] = e.data.health;
  });
  arena.apply(Hit, (draft, e) => {
    draft.health[e.entity] = (draft.health[e.entity] ?? 0) - e.data.damage;
  });
  arena.apply(Healed, (draft, e) => {
    draft.health[e.entity] = (draft.health[e.entity] ?? 0) + e.data.amount;
  });
  arena.subscribe(ArenaOpened, function spawn(e, ctx) {
    for (let i = 0; i < 3; i++) {
      ctx.emit(PlayerJoined, ctx.create(), {
        arena: e.entity,
        health: 50 + Math.floor(ctx.random() * 50),
      });
    }
  });
  arena.subscribe(PlayerJoined, function regenerate(e, ctx) {
    ctx.schedule(1500, Healed, e.entity, { amount: 5 });
  });
  return arena;
}

/** Runs the scenario on a fresh memory store. */
export async function runScenario(): Promise<ScenarioResult> {
  const store = new MemoryStore();
  const arena = makeArena(store);
  const first = await arena.tick([input(ArenaOpened, ARENA, { name: 'pit' }, 'host')], {
    at: T0,
  });
  const players = first.events.filter((e) => e.type === 'PlayerJoined').map((e) => e.entity);
  const results = [first];
  for (const [i, player] of players.entries()) {
    results.push(
      await arena.tick([input(Hit, player, { damage: 7 * (i + 1) }, 'host')], {
        at: T0 + 1000 * (i + 1),
      }),
    );
  }
  const rebuilt = await rebuild(store, makeArena);
  const replayed = await reexecute(store, makeArena);
  const health = { ...arena.state.health };
  await arena.close();
  return {
    events: results.flatMap((r) => r.events.map((e) => ({ id: e.id, type: e.type, seq: e.seq }))),
    hashes: results.map((r) => r.commit.hash),
    rebuiltHash: rebuilt.hash,
    reexecuted: replayed.ok,
    health,
  };
}
