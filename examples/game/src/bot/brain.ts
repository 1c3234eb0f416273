import type { Immutable } from 'immer';
import { HEIGHT, isReverse, stepFrom, WIDTH, type Arena, type Direction } from '../sim/arena.ts';

/**
 * A bot's character: how far it looks for space before it commits to a turn, and how often it
 * wanders instead of heading for the nearest pellet.
 */
export interface Temper {
  /** Cells of free space a move must lead to, as a multiple of the snake's length. */
  readonly caution: number;
  /** Chance out of 256 per tick of taking a random safe turn. */
  readonly whim: number;
}

/** A small seeded PRNG (mulberry32) for the bot's whims; outside the loop, but reproducible. */
export class BotDice {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform integer in `[0, n)`. */
  below(n: number): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) | 0;
  }
}

/** A seed from a name (FNV-1a), so a bot's whims depend on who it is. */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const CELLS = WIDTH * HEIGHT;

/** Cells blocked next tick: every body cell, and every cell a rival's head could reach. */
function blockedCells(arena: Immutable<Arena>, me: string): Uint8Array {
  const blocked = new Uint8Array(CELLS);
  for (const id of Object.keys(arena.snake)) {
    const s = arena.snake[id];
    if (s === undefined || !s.alive) continue;
    for (const c of s.body) blocked[c] = 1;
    if (id === me) continue;
    const head = s.body[0];
    if (head === undefined) continue;
    for (let d = 0; d < 4; d++) {
      const c = stepFrom(head, d);
      if (c >= 0) blocked[c] = 2;
    }
  }
  return blocked;
}

/** Free cells reachable from `start`, counted up to `limit`. */
function roomFrom(start: number, blocked: Uint8Array, limit: number): number {
  const seen = new Uint8Array(CELLS);
  const queue = [start];
  seen[start] = 1;
  let count = 0;
  while (queue.length > 0 && count < limit) {
    const cell = queue.shift() as number;
    count++;
    for (let d = 0; d < 4; d++) {
      const next = stepFrom(cell, d);
      if (next >= 0 && seen[next] === 0 && blocked[next] === 0) {
        seen[next] = 1;
        queue.push(next);
      }
    }
  }
  return count;
}

/** Steps from `start` to the nearest pellet through free cells, or a large number. */
function distanceToFood(start: number, blocked: Uint8Array, food: Uint8Array): number {
  const dist = new Int32Array(CELLS).fill(-1);
  const queue = [start];
  dist[start] = 0;
  for (let i = 0; i < queue.length; i++) {
    const cell = queue[i] as number;
    if (food[cell] !== 0) return dist[cell] as number;
    for (let d = 0; d < 4; d++) {
      const next = stepFrom(cell, d);
      if (next >= 0 && dist[next] === -1 && blocked[next] === 0) {
        dist[next] = (dist[cell] as number) + 1;
        queue.push(next);
      }
    }
  }
  return CELLS;
}

/**
 * Picks a bot's next direction from the state after a tick: among the moves that do not die at
 * once and leave enough room to live in, the one closest to a pellet, now and then a random
 * safe one. Returns null when the snake is dead or absent.
 */
export function chooseDirection(
  arena: Immutable<Arena>,
  me: string,
  temper: Temper,
  dice: BotDice,
): Direction | null {
  const snake = arena.snake[me];
  const head = snake?.body[0];
  if (snake === undefined || !snake.alive || head === undefined) return null;
  const blocked = blockedCells(arena, me);
  const food = new Uint8Array(CELLS);
  for (const id of Object.keys(arena.food)) {
    const f = arena.food[id];
    if (f !== undefined) food[f.cell] = f.value;
  }
  const need = Math.ceil(snake.body.length * temper.caution) + 2;
  const options: { dir: Direction; room: number; dist: number }[] = [];
  for (const dir of [0, 1, 2, 3] as const) {
    if (isReverse(dir, snake.heading)) continue;
    const next = stepFrom(head, dir);
    if (next < 0 || blocked[next] === 1) continue;
    const risky = blocked[next] === 2;
    const room = roomFrom(next, blocked, need * 2) - (risky ? need : 0);
    // A golden apple one step away beats any plain pellet.
    const dist = (food[next] ?? 0) > 1 ? 0 : distanceToFood(next, blocked, food);
    options.push({ dir, room, dist });
  }
  if (options.length === 0) return snake.heading;
  const roomy = options.filter((o) => o.room >= need);
  const pool = roomy.length > 0 ? roomy : [...options].sort((a, b) => b.room - a.room).slice(0, 1);
  if (pool.length > 1 && dice.below(256) < temper.whim) {
    return (pool[dice.below(pool.length)] as (typeof pool)[number]).dir;
  }
  let best = pool[0] as (typeof pool)[number];
  for (const o of pool) {
    if (o.dist < best.dist || (o.dist === best.dist && o.dir === snake.heading)) best = o;
  }
  return best.dir;
}

/** A few tempers, so a field of bots does not move as one. */
export const tempers: readonly Temper[] = [
  { caution: 1.0, whim: 6 },
  { caution: 1.5, whim: 20 },
  { caution: 0.6, whim: 2 },
  { caution: 2.0, whim: 12 },
];
