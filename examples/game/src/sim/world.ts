import type { Draft } from 'immer';
import {
  EventSystem,
  type EventStore,
  type EventSystemOptions,
  type ListenerContext,
} from '@causeway/runtime';
import {
  cellOf,
  emptyArena,
  FoodComponent,
  FoodEaten,
  FoodPlaced,
  gameEvents,
  GOLDEN_EVERY,
  HEIGHT,
  isReverse,
  MAX_PLAYERS,
  PlayerJoined,
  PlayerLeft,
  RESPAWN_MS,
  RespawnDue,
  SnakeComponent,
  SnakeDied,
  SnakeMoved,
  SnakeSpawned,
  SPAWN_LENGTH,
  Steer,
  stepFrom,
  WIDTH,
  type Arena,
  type DeathCause,
  type Direction,
  type Snake,
} from './arena.ts';

/** Options of {@link makeWorld}. */
export interface WorldOptions {
  /** The PRNG seed, recorded in the log header. */
  readonly seed: number;
  /**
   * Injects the demo's deliberate nondeterminism bug from this tick on: the food system places
   * pellets with `Math.random()` instead of the tick's seeded PRNG, as a careless port might
   * do. A peer running it diverges at the first tick, at or after this one, in which the food
   * system places a pellet.
   */
  readonly bugFromTick?: number;
  /** Snapshot interval in ticks (default 1,000). */
  readonly snapshotEvery?: number;
  /** Record immer patches per event (for an attached inspector). */
  readonly patches?: boolean;
}

type Ctx = ListenerContext<Arena>;

const CELLS = WIDTH * HEIGHT;

/** A uniform integer in `[0, n)` from the tick's PRNG (an exact product of two integers). */
function randomBelow(ctx: Ctx, n: number): number {
  return Math.floor(ctx.random() * n);
}

/** Every cell a snake's body or a pellet covers. */
function occupiedCells(arena: Arena): Set<number> {
  const taken = new Set<number>();
  for (const id of Object.keys(arena.snake))
    for (const c of arena.snake[id]?.body ?? []) taken.add(c);
  for (const id of Object.keys(arena.food)) {
    const food = arena.food[id];
    if (food !== undefined) taken.add(food.cell);
  }
  return taken;
}

/** The first free cell at or after `start` (wrapping), or -1 on a full board. */
function freeCellFrom(start: number, taken: ReadonlySet<number>): number {
  for (let i = 0; i < CELLS; i++) {
    const cell = (start + i) % CELLS;
    if (!taken.has(cell)) return cell;
  }
  return -1;
}

/** Cells of a snake laid out behind `head` (opposite to its heading), or null if blocked. */
function spawnBody(head: number, heading: Direction, taken: ReadonlySet<number>): number[] | null {
  const body: number[] = [];
  let cell = head;
  const back = (heading + 2) % 4;
  for (let i = 0; i < SPAWN_LENGTH; i++) {
    if (cell < 0 || taken.has(cell)) return null;
    body.push(cell);
    cell = stepFrom(cell, back);
  }
  // Keep the three cells ahead clear too, so a spawn is never an instant death.
  let ahead = head;
  for (let i = 0; i < 3; i++) {
    ahead = stepFrom(ahead, heading);
    if (ahead < 0 || taken.has(ahead)) return null;
  }
  return body;
}

/** Places a snake on a random clear stretch of the board, or retries later when there is none. */
function spawn(ctx: Ctx, id: string): void {
  const taken = occupiedCells(ctx.state);
  for (let attempt = 0; attempt < 24; attempt++) {
    const x = 4 + randomBelow(ctx, WIDTH - 8);
    const y = 3 + randomBelow(ctx, HEIGHT - 6);
    const heading: Direction = x < WIDTH / 2 ? 1 : 3;
    const body = spawnBody(cellOf(x, y), heading, taken);
    if (body !== null) {
      ctx.emit(SnakeSpawned, id, { body, heading });
      return;
    }
  }
  ctx.schedule(RESPAWN_MS, RespawnDue, id, {});
}

interface Move {
  readonly id: string;
  readonly head: number;
  readonly heading: Direction;
}

/**
 * The movement system: every living snake moves one cell at once. Collisions are judged on the
 * board as it will be after the move (a tail that moves away frees its cell), so the outcome
 * does not depend on the order snakes are looked at.
 */
function movement(ctx: Ctx): void {
  const arena = ctx.state;
  const alive = ctx.query(SnakeComponent).filter((id) => arena.snake[id]?.alive === true);
  const bodies = new Map<number, string>();
  for (const id of alive) {
    const s = arena.snake[id] as Snake;
    const kept = s.grow > 0 ? s.body.length : s.body.length - 1;
    for (let i = 0; i < kept; i++) bodies.set(s.body[i] as number, id);
  }
  const moves: Move[] = [];
  const headsAt = new Map<number, string[]>();
  for (const id of alive) {
    const s = arena.snake[id] as Snake;
    const heading = isReverse(s.wanted, s.heading) ? s.heading : s.wanted;
    const head = stepFrom(s.body[0] as number, heading);
    moves.push({ id, head, heading });
    if (head >= 0) headsAt.set(head, [...(headsAt.get(head) ?? []), id]);
  }
  const foodAt = new Map<number, string>();
  for (const id of ctx.query(FoodComponent)) {
    const food = arena.food[id];
    if (food !== undefined) foodAt.set(food.cell, id);
  }
  for (const { id, head, heading } of moves) {
    let cause: DeathCause | null = null;
    let by: string | null = null;
    const rivals = headsAt.get(head) ?? [];
    if (head < 0) cause = 'wall';
    else if (rivals.length > 1) {
      cause = 'head-on';
      by = rivals.find((r) => r !== id) ?? null;
    } else if (bodies.has(head)) {
      const owner = bodies.get(head) ?? null;
      cause = owner === id ? 'self' : 'snake';
      by = owner === id ? null : owner;
    }
    if (cause !== null) {
      ctx.emit(SnakeDied, id, {
        cause,
        by,
        remains: remainsOf(id, arena.snake[id] as Snake, bodies, headsAt),
      });
      continue;
    }
    ctx.emit(SnakeMoved, id, { head, heading });
    const food = foodAt.get(head);
    if (food !== undefined) {
      ctx.emit(FoodEaten, id, { food, value: arena.food[food]?.value ?? 1 });
      foodAt.delete(head);
    }
  }
}

/** Every second cell of a dead snake becomes a pellet, where no other snake will be. */
function remainsOf(
  id: string,
  snake: Snake,
  bodies: ReadonlyMap<number, string>,
  heads: ReadonlyMap<number, readonly string[]>,
): number[] {
  const cells: number[] = [];
  for (let i = 0; i < snake.body.length && cells.length < 12; i += 2) {
    const cell = snake.body[i] as number;
    const holder = bodies.get(cell);
    if ((holder === undefined || holder === id) && !heads.has(cell)) cells.push(cell);
  }
  return cells;
}

/**
 * The food system: keeps pellets on the board, and a golden apple every {@link GOLDEN_EVERY}
 * ticks. Each pellet's cell is a draw from the tick's PRNG; with the demo's bug on, a draw from
 * global randomness instead.
 */
function foodSupply(bugFromTick: number | undefined) {
  return function food(ctx: Ctx): void {
    const arena = ctx.state;
    const taken = occupiedCells(arena);
    const place = (value: number): boolean => {
      let cell = freeCellFrom(randomBelow(ctx, CELLS), taken);
      if (bugFromTick !== undefined && ctx.tick >= bugFromTick && cell >= 0) {
        // The injected bug: a draw from global randomness, different on every peer. If it
        // happens to land on the honest cell, take the next free one, so the demo always diverges.
        const careless = freeCellFrom(Math.floor(Math.random() * CELLS), taken);
        cell = careless === cell ? freeCellFrom(cell + 1, taken) : careless;
      }
      if (cell < 0) return false;
      taken.add(cell);
      ctx.emit(FoodPlaced, ctx.create(), { cell, value });
      return true;
    };
    const living = ctx.query(SnakeComponent).filter((id) => arena.snake[id]?.alive === true);
    const wanted = Math.max(3, 2 + living.length);
    let plain = 0;
    let golden = false;
    for (const id of ctx.query(FoodComponent)) {
      if ((arena.food[id]?.value ?? 1) > 1) golden = true;
      else plain++;
    }
    for (let placed = 0; plain + placed < wanted && placed < 2; placed++) {
      if (!place(1)) return;
    }
    if (ctx.tick % GOLDEN_EVERY === 0 && !golden) place(5);
  };
}

function nextColor(arena: Arena): number {
  const used = new Set<number>();
  for (const id of Object.keys(arena.snake)) used.add(arena.snake[id]?.color ?? -1);
  let color = 0;
  while (used.has(color)) color++;
  return color % MAX_PLAYERS;
}

/**
 * Makes the arena's event system on `store`: appliers for every event, listeners that spawn and
 * respawn snakes, and two per-tick systems (movement, then food). Everything is integer maths on
 * cell indices and draws from the tick's PRNG, so peers fed the same inputs agree bit for bit.
 *
 * @example
 * ```ts
 * const world = makeWorld(new MemoryStore(), { seed: 7 });
 * await world.tick([input(PlayerJoined, newEntityId(), { name: 'ann' }, 'ann')], { at });
 * ```
 */
export function makeWorld(store: EventStore, options: WorldOptions): EventSystem<Arena> {
  const systemOptions: EventSystemOptions<Arena> = {
    seed: options.seed,
    store,
    initialState: emptyArena(),
    events: [...gameEvents],
    snapshotEvery: options.snapshotEvery ?? 1000,
    ...(options.patches === undefined ? {} : { patches: options.patches }),
    ...(options.bugFromTick === undefined ? {} : { strict: false }),
  };
  const world = new EventSystem<Arena>(systemOptions);

  world.apply(PlayerJoined, (draft, e) => {
    draft.snake[e.entity] = {
      name: e.data.name,
      owner: e.actor,
      color: nextColor(draft),
      wanted: 1,
      heading: 1,
      body: [],
      grow: 0,
      alive: false,
      score: 0,
      best: 0,
      kills: 0,
      deaths: 0,
    };
  });
  // Appliers change snakes in place on the draft: immer then copies only what they touch.
  world.apply(Steer, (draft, e) => {
    const s = draft.snake[e.entity] as Draft<Snake> | undefined;
    if (s !== undefined) s.wanted = e.data.dir;
  });
  world.apply(PlayerLeft, (draft, e) => {
    delete draft.snake[e.entity];
  });
  world.apply(SnakeSpawned, (draft, e) => {
    const s = draft.snake[e.entity];
    if (s === undefined) return;
    const { body, heading } = e.data;
    draft.snake[e.entity] = { ...s, body, heading, wanted: heading, grow: 0, alive: true };
  });
  world.apply(SnakeMoved, (draft, e) => {
    const s = draft.snake[e.entity] as Draft<Snake> | undefined;
    if (s === undefined) return;
    s.body.unshift(e.data.head);
    if (s.grow > 0) s.grow--;
    else s.body.pop();
    s.heading = e.data.heading;
    if (s.body.length > s.best) s.best = s.body.length;
  });
  world.apply(SnakeDied, (draft, e) => {
    const s = draft.snake[e.entity];
    if (s === undefined) return;
    draft.snake[e.entity] = { ...s, body: [], grow: 0, alive: false, deaths: s.deaths + 1 };
    const killer = e.data.by === null ? undefined : draft.snake[e.data.by];
    if (killer !== undefined && e.data.by !== null) {
      draft.snake[e.data.by] = { ...killer, kills: killer.kills + 1, score: killer.score + 3 };
    }
  });
  world.apply(FoodEaten, (draft, e) => {
    delete draft.food[e.data.food];
    const s = draft.snake[e.entity] as Draft<Snake> | undefined;
    if (s === undefined) return;
    s.grow += e.data.value;
    s.score += e.data.value;
  });
  world.apply(FoodPlaced, (draft, e) => {
    draft.food[e.entity] = { cell: e.data.cell, value: e.data.value };
  });

  world.subscribe(PlayerJoined, function joiner(e, ctx) {
    spawn(ctx, e.entity);
  });
  world.subscribe(SnakeDied, function undertaker(e, ctx) {
    for (const cell of e.data.remains) ctx.emit(FoodPlaced, ctx.create(), { cell, value: 1 });
    ctx.schedule(RESPAWN_MS, RespawnDue, e.entity, {});
  });
  world.subscribe(RespawnDue, function respawner(e, ctx) {
    const s = ctx.state.snake[e.entity];
    if (s !== undefined && !s.alive) spawn(ctx, e.entity);
  });
  world.system('movement', movement);
  world.system('food', foodSupply(options.bugFromTick));
  return world;
}
