import { defineComponent, defineEvent, type Table } from '@causeway/runtime';

/** Width of the arena in cells. */
export const WIDTH = 44;
/** Height of the arena in cells. */
export const HEIGHT = 28;
/** Milliseconds of logical time between two ticks (10 Hz). */
export const TICK_MS = 100;
/** A golden apple appears every this many ticks when none is on the board. */
export const GOLDEN_EVERY = 50;
/** Logical milliseconds a dead snake waits before it comes back. */
export const RESPAWN_MS = 1500;
/** Cells of a freshly spawned snake. */
export const SPAWN_LENGTH = 4;
/** Most players in one arena. */
export const MAX_PLAYERS = 8;
/** Longest player name, in characters. */
export const MAX_NAME = 16;

/** A heading: 0 up, 1 right, 2 down, 3 left. */
export type Direction = 0 | 1 | 2 | 3;

/** Column step of each {@link Direction}. */
export const DX: readonly number[] = [0, 1, 0, -1];
/** Row step of each {@link Direction}. */
export const DY: readonly number[] = [-1, 0, 1, 0];

/** A cell's index: `y * WIDTH + x`. Integers only, so every peer computes the same cells. */
export function cellOf(x: number, y: number): number {
  return y * WIDTH + x;
}

/** The column of a cell index. */
export function columnOf(cell: number): number {
  return cell % WIDTH;
}

/** The row of a cell index. */
export function rowOf(cell: number): number {
  return (cell - (cell % WIDTH)) / WIDTH;
}

/** The cell one step from `cell` towards `dir`, or -1 past a wall. */
export function stepFrom(cell: number, dir: number): number {
  const x = columnOf(cell) + (DX[dir] ?? 0);
  const y = rowOf(cell) + (DY[dir] ?? 0);
  return x < 0 || y < 0 || x >= WIDTH || y >= HEIGHT ? -1 : cellOf(x, y);
}

/** Whether `dir` is the opposite of `heading` (a snake cannot turn back into itself). */
export function isReverse(dir: number, heading: number): boolean {
  return (dir + 2) % 4 === heading;
}

/** Why a snake died. */
export type DeathCause = 'wall' | 'self' | 'snake' | 'head-on';

/** A player's snake. Its body lists cell indices, head first. */
export interface Snake {
  readonly name: string;
  /** The actor (peer) that joined it; only its inputs steer it. */
  readonly owner: string;
  /** Index into the view's palette. */
  readonly color: number;
  /** The direction the player asked for, taken at the next move. */
  readonly wanted: Direction;
  /** The direction of the last move. */
  readonly heading: Direction;
  /** Cells, head first; empty while dead. */
  readonly body: readonly number[];
  /** Cells still to grow (the tail stays put while positive). */
  readonly grow: number;
  readonly alive: boolean;
  readonly score: number;
  /** Best length reached. */
  readonly best: number;
  readonly kills: number;
  readonly deaths: number;
}

/** A pellet on the board: 1 point, or 5 for a golden apple. */
export interface Food {
  readonly cell: number;
  readonly value: number;
}

/** The arena's state: one table per component, keyed by entity id. */
export interface Arena {
  snake: Table<Snake>;
  food: Table<Food>;
}

/** The snake component. */
export const SnakeComponent = defineComponent<Snake, 'snake'>('snake');
/** The food component. */
export const FoodComponent = defineComponent<Food, 'food'>('food');

/** A new arena: no snakes, no food. */
export function emptyArena(): Arena {
  return { snake: {}, food: {} };
}

/** Input: a player joins with a snake whose id the client made. */
export const PlayerJoined = defineEvent<{ name: string }>('PlayerJoined', { entity: 'new' });
/** Input: a player asks its snake to turn. */
export const Steer = defineEvent<{ dir: Direction }>('Steer', { entity: 'existing' });
/** Input: a player left; its snake leaves the arena. */
export const PlayerLeft = defineEvent<Record<string, never>>('PlayerLeft', { entity: 'existing' });

/** A snake enters the arena (on joining, and after each death). */
export const SnakeSpawned = defineEvent<{ body: number[]; heading: Direction }>('SnakeSpawned', {
  entity: 'existing',
});
/** A snake moved one cell; its head is now `head`. */
export const SnakeMoved = defineEvent<{ head: number; heading: Direction }>('SnakeMoved', {
  entity: 'existing',
});
/**
 * A snake died; `by` is the snake it ran into, if another one, and `remains` the cells where
 * its body turns into pellets.
 */
export const SnakeDied = defineEvent<{ cause: DeathCause; by: string | null; remains: number[] }>(
  'SnakeDied',
  { entity: 'existing' },
);
/** A snake ate a pellet. */
export const FoodEaten = defineEvent<{ food: string; value: number }>('FoodEaten', {
  entity: 'existing',
});
/** A pellet appeared. */
export const FoodPlaced = defineEvent<{ cell: number; value: number }>('FoodPlaced', {
  entity: 'new',
});
/** A dead snake's respawn delay ran out (scheduled as a timer). */
export const RespawnDue = defineEvent<Record<string, never>>('RespawnDue', { entity: 'existing' });

/** The types clients may send, by name (what the relay forwards). */
export const inputTypes = { PlayerJoined, Steer, PlayerLeft } as const;

/** Name of a type clients may send. */
export type InputTypeName = keyof typeof inputTypes;

/** Every event type of the game, for opening a log that holds them. */
export const gameEvents = [
  PlayerJoined,
  Steer,
  PlayerLeft,
  SnakeSpawned,
  SnakeMoved,
  SnakeDied,
  FoodEaten,
  FoodPlaced,
  RespawnDue,
] as const;
