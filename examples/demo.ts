// The main demo (`npm start`): a tiny arena game run on Causeway's embedded file store.
// It plays a scripted match tick by tick, prints what each tick committed, follows one causal
// chain, reopens the store to rebuild the state from the log, and runs a second peer in
// lockstep to show that the same inputs give the same hashes.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileStore } from '@causeway/adapters/file';
import {
  defineComponent,
  defineEvent,
  EventSystem,
  input,
  MemoryStore,
  type Envelope,
  type EventStore,
  type Input,
  type Table,
} from '@causeway/runtime';

const PlayerJoined = defineEvent<{ name: string; x: number; y: number }>('PlayerJoined', {
  entity: 'new',
});
const MoveRequested = defineEvent<{ dx: number; dy: number }>('MoveRequested', {
  entity: 'existing',
});
const Moved = defineEvent<{ x: number; y: number }>('Moved', { entity: 'existing' });
const Bumped = defineEvent<{ by: string; damage: number }>('Bumped', { entity: 'existing' });
const ShieldRaised = defineEvent<{ until: number }>('ShieldRaised', { entity: 'existing' });
const ShieldDropped = defineEvent<Record<string, never>>('ShieldDropped', { entity: 'existing' });

const Position = defineComponent<{ x: number; y: number }, 'position'>('position');
const Health = defineComponent<number, 'health'>('health');

interface Arena {
  name: Table<string>;
  position: Table<{ x: number; y: number }>;
  health: Table<number>;
  shield: Table<boolean>;
}

const SIZE = 6;
const T0 = Date.UTC(2026, 0, 1);

/** A client-made UUIDv7 for the demo's players: fixed, so every run prints the same log. */
function playerId(n: number): string {
  const ms = (T0 - 1000).toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

function makeArena(store: EventStore): EventSystem<Arena> {
  const arena = new EventSystem<Arena>({
    seed: 2026,
    store,
    initialState: { name: {}, position: {}, health: {}, shield: {} },
    events: [ShieldDropped],
    snapshotEvery: 5,
  });
  arena.apply(PlayerJoined, (draft, e) => {
    draft.name[e.entity] = e.data.name;
    draft.position[e.entity] = { x: e.data.x, y: e.data.y };
    draft.health[e.entity] = 10;
  });
  arena.apply(Moved, (draft, e) => {
    draft.position[e.entity] = { x: e.data.x, y: e.data.y };
  });
  arena.apply(Bumped, (draft, e) => {
    draft.health[e.entity] = Math.max(0, (draft.health[e.entity] ?? 0) - e.data.damage);
  });
  arena.apply(ShieldRaised, (draft, e) => {
    draft.shield[e.entity] = true;
  });
  arena.apply(ShieldDropped, (draft, e) => {
    delete draft.shield[e.entity];
  });
  // The referee turns a request into a move, kept inside the board.
  arena.subscribe(MoveRequested, function referee(e, ctx) {
    const at = ctx.state.position[e.entity];
    if (at === undefined) return;
    const clamp = (v: number): number => Math.min(SIZE - 1, Math.max(0, v));
    ctx.emit(Moved, e.entity, { x: clamp(at.x + e.data.dx), y: clamp(at.y + e.data.dy) });
  });
  // Once per tick: players on the same square bump each other, for a random 1-3 damage.
  arena.system('collisions', (ctx) => {
    const ids = ctx.query(Position, Health);
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const [a, b] = [ids[i] as string, ids[j] as string];
        const pa = ctx.state.position[a];
        const pb = ctx.state.position[b];
        if (pa === undefined || pb === undefined || pa.x !== pb.x || pa.y !== pb.y) continue;
        if (ctx.state.shield[b] !== true)
          ctx.emit(Bumped, b, { by: a, damage: 1 + Math.floor(ctx.random() * 3) });
        if (ctx.state.shield[a] !== true)
          ctx.emit(Bumped, a, { by: b, damage: 1 + Math.floor(ctx.random() * 3) });
      }
    }
  });
  // A hard bump raises a shield for 300 ms of game time: a timer drops it.
  arena.subscribe(Bumped, function shields(e, ctx) {
    if (e.data.damage < 3) return;
    ctx.emit(ShieldRaised, e.entity, { until: ctx.now + 300 });
    ctx.schedule(300, ShieldDropped, e.entity, {});
  });
  return arena;
}

const [ada, bo, cy] = [playerId(1), playerId(2), playerId(3)];
const players = new Map([
  [ada, 'ada'],
  [bo, 'bo'],
  [cy, 'cy'],
]);
// Each turn: [player, dx, dy]. The paths cross at (2,2) and (3,2).
const moves: [string, number, number][][] = [
  [
    [ada, 1, 0],
    [bo, 0, 1],
    [cy, -1, 0],
  ],
  [
    [ada, 1, 0],
    [bo, 0, 1],
    [cy, 0, -1],
  ],
  [
    [ada, 0, 1],
    [bo, -1, 0],
  ],
  [[ada, 0, 1]],
  [[cy, 1, 0]],
  [
    [bo, 1, 0],
    [ada, 0, 1],
  ],
  [[ada, 1, -1]],
  [
    [cy, 0, 1],
    [bo, 0, 1],
  ],
  [
    [ada, 0, 1],
    [cy, -1, 0],
  ],
  [
    [bo, -1, 0],
    [ada, -1, 0],
  ],
  [[cy, 1, 0]],
];
const script: { at: number; inputs: Input[] }[] = [
  {
    at: T0,
    inputs: [
      input(PlayerJoined, ada, { name: 'Ada', x: 0, y: 0 }, 'ada'),
      input(PlayerJoined, bo, { name: 'Bo', x: 3, y: 0 }, 'bo'),
      input(PlayerJoined, cy, { name: 'Cy', x: 3, y: 3 }, 'cy'),
    ],
  },
  ...moves.map((turn, k) => ({
    at: T0 + 100 * (k + 1),
    inputs: turn.map(([who, dx, dy]) =>
      input(MoveRequested, who, { dx, dy }, players.get(who) as string),
    ),
  })),
];

function describeTick(events: readonly Envelope[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${n} ${type.replace('causeway.', '')}`).join(', ');
}

function board(state: Arena): string {
  const rows: string[] = [];
  for (let y = 0; y < SIZE; y++) {
    let row = '';
    for (let x = 0; x < SIZE; x++) {
      const here = Object.keys(state.position).filter(
        (id) => state.position[id]?.x === x && state.position[id]?.y === y,
      );
      row +=
        here.length === 0
          ? ' .'
          : here.length > 1
            ? ` ${here.length}`
            : ` ${(state.name[here[0] as string] ?? '?')[0] as string}`;
    }
    rows.push(`   ${row}`);
  }
  return rows.join('\n');
}

const dir = resolve('.data/demo');
rmSync(dir, { recursive: true, force: true });
console.log(
  `Causeway demo: a ${SIZE}x${SIZE} arena, three players, ${script.length} ticks, on the file store in ${dir}\n`,
);
console.log(' tick    time   events  state hash        what happened');

const live = makeArena(new FileStore({ dir }));
const peer = makeArena(new MemoryStore());
const liveHashes: string[] = [];
let agreed = 0;
let firstDrop: Envelope | undefined;
for (const step of script) {
  const result = await live.tick(step.inputs, { at: step.at });
  const twin = await peer.tick(step.inputs, { at: step.at });
  liveHashes.push(result.commit.hash);
  if (twin.commit.hash === result.commit.hash) agreed++;
  firstDrop ??= result.events.find((e) => e.type === 'ShieldDropped');
  const time = `+${step.at - T0}ms`.padStart(7);
  console.log(
    `${String(result.commit.tick).padStart(5)} ${time} ${String(result.events.length).padStart(8)}  ${result.commit.hash}  ${describeTick(result.events)}`,
  );
}

const state = live.state as Arena;
console.log('\nFinal board (a digit: players sharing a square) and health:');
console.log(board(state));
for (const id of [ada, bo, cy])
  console.log(
    `   ${state.name[id] ?? '?'}: ${state.health[id] ?? 0} hp${state.shield[id] === true ? ' (shielded)' : ''}`,
  );

if (firstDrop !== undefined) {
  const page = await live.readEvents({ correlation: firstDrop.correlation, limit: 100 });
  console.log(
    `\nThe chain behind the first dropped shield, across ticks (correlation ${firstDrop.correlation}):`,
  );
  for (const e of page.items) {
    const cause =
      e.causation === null
        ? 'root'
        : `caused by seq ${page.items.find((c) => c.id === e.causation)?.seq ?? '?'}`;
    console.log(
      `   tick ${String(e.tick).padStart(2)}  seq ${String(e.seq).padStart(3)}  ${e.type.padEnd(24)} by ${e.actor.padEnd(10)} ${cause}`,
    );
  }
}
const totalEvents = live.lastCommit?.lastSeq ?? 0;
await live.close();

const reopened = makeArena(new FileStore({ dir }));
await reopened.open();
const rebuiltHash = reopened.lastCommit?.hash;
const same = JSON.stringify(reopened.state) === JSON.stringify(state);
console.log(
  `\nReopened ${dir}: rebuilt ${totalEvents} events of ${reopened.lastCommit?.tick ?? 0} ticks from the latest snapshot and the log; state hash ${rebuiltHash ?? '-'} ${rebuiltHash === liveHashes.at(-1) && same ? 'matches the live run' : 'DIFFERS from the live run'}.`,
);
console.log(
  `Lockstep: a second peer on a memory store, fed the same inputs, agreed on ${agreed} of ${script.length} tick hashes.`,
);
await reopened.close();
await peer.close();
if (agreed !== script.length || rebuiltHash !== liveHashes.at(-1) || !same) process.exitCode = 1;
