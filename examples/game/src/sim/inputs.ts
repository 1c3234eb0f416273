import { isUuidV7, uuidV7Time, input, type EventSystem, type Input } from '@causeway/runtime';
import { inputTypes, MAX_NAME, MAX_PLAYERS, type Arena } from './arena.ts';

/**
 * An input as it travels between peers: the event type's name, the entity, the payload and the
 * actor (set by the relay to the peer that sent it).
 */
export interface WireInput {
  readonly type: string;
  readonly entity: string;
  readonly data: unknown;
  readonly actor: string;
}

/** How far ahead of a tick's time a joining snake's id may be (the runtime's default skew). */
const ENTITY_SKEW_MS = 60_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A joining player's name as the world keeps it: its first {@link MAX_NAME} characters, counted
 * by code point so that an emoji is never cut in half, with any lone UTF-16 surrogate replaced
 * by U+FFFD. A log cannot carry a lone surrogate, so the world would refuse such a name and,
 * with it, the whole tick's batch.
 */
function playerName(raw: string): string {
  // 2 × MAX_NAME code units always hold the first MAX_NAME code points.
  const chars = Array.from(raw.slice(0, 2 * MAX_NAME)).slice(0, MAX_NAME);
  return chars
    .map((c) => (c.length === 1 && c >= '\ud800' && c <= '\udfff' ? '\ufffd' : c))
    .join('');
}

/**
 * Turns one tick's wire inputs into the inputs the world accepts, dropping the ones it would
 * refuse (a second join, a steer from a stranger, a malformed payload). Every peer runs this on
 * the same committed state and the same list, so every peer drops the same inputs; without it
 * one bad input would reject the whole tick's batch.
 */
export function admit(world: EventSystem<Arena>, wire: readonly WireInput[], at: number): Input[] {
  const admitted: Input[] = [];
  const joined = new Set<string>();
  const left = new Set<string>();
  let players = Object.keys(world.state.snake).length;
  for (const w of wire) {
    if (!isUuidV7(w.entity) || typeof w.actor !== 'string' || w.actor === '') continue;
    const data = w.data;
    if (w.type === 'PlayerJoined') {
      if (!isRecord(data) || typeof data.name !== 'string') continue;
      if (world.entity(w.entity) !== undefined || joined.has(w.entity)) continue;
      if (uuidV7Time(w.entity) > at + ENTITY_SKEW_MS || players >= MAX_PLAYERS) continue;
      joined.add(w.entity);
      players++;
      const name = playerName(data.name) || 'player';
      admitted.push(input(inputTypes.PlayerJoined, w.entity, { name }, w.actor));
      continue;
    }
    const snake = world.state.snake[w.entity];
    if (snake === undefined || snake.owner !== w.actor || left.has(w.entity)) continue;
    if (world.entity(w.entity)?.owner !== w.actor) continue;
    if (w.type === 'Steer') {
      const dir = isRecord(data) ? data.dir : undefined;
      if (dir !== 0 && dir !== 1 && dir !== 2 && dir !== 3) continue;
      admitted.push(input(inputTypes.Steer, w.entity, { dir }, w.actor));
    } else if (w.type === 'PlayerLeft') {
      left.add(w.entity);
      admitted.push(input(inputTypes.PlayerLeft, w.entity, {}, w.actor));
    }
  }
  return admitted;
}
