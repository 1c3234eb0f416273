import { existsSync } from 'node:fs';
import { FileStore } from '@causeway/adapters/file';
import type { EventStore, EventSystem, InputRecord } from '@causeway/runtime';
import { inputTypes, type Arena } from '../sim/arena.ts';
import type { WireInput } from '../sim/inputs.ts';
import { makeWorld } from '../sim/world.ts';
import type { WireTick } from '../lockstep/protocol.ts';

/** A world opened on its durable log, with what the relay needs to continue it. */
export interface HostedWorld {
  readonly world: EventSystem<Arena>;
  readonly seed: number;
  /** Every committed tick, for peers to catch up on. */
  readonly history: WireTick[];
  /** Each committed tick's hash. */
  readonly hashes: Map<number, string>;
  /** Inputs journaled after the last commit (a run stopped between journal and commit). */
  readonly pending: WireInput[];
}

function wire(record: InputRecord): WireInput {
  return { type: record.type, entity: record.entity, data: record.data, actor: record.actor };
}

/** The seed of the log in `dir`, or null when there is no log yet. */
export async function seedOfLog(dir: string): Promise<number | null> {
  if (!existsSync(dir)) return null;
  const reader = new FileStore({ dir, readOnly: true });
  try {
    return (await reader.open())?.seed ?? null;
  } finally {
    await reader.close();
  }
}

/** Whether `dir` holds a file store log of this game (its schema names the game's inputs). */
export async function isGameLog(dir: string): Promise<boolean> {
  const reader = new FileStore({ dir, readOnly: true });
  try {
    const header = await reader.open();
    return header !== null && Object.hasOwn(header.schema, inputTypes.Steer.name);
  } catch {
    return false;
  } finally {
    await reader.close().catch(() => undefined);
  }
}

/** Reads a log's committed ticks as the relay sends them: time, and inputs in order. */
export async function ticksOfLog(
  store: EventStore,
): Promise<{ history: WireTick[]; hashes: Map<number, string>; pending: WireInput[] }> {
  const history: WireTick[] = [];
  const hashes = new Map<number, string>();
  const inputs: InputRecord[] = [];
  for (;;) {
    const page = await store.readInputs(inputs.length, 1000);
    if (page.length === 0) break;
    inputs.push(...page);
  }
  let used = 0;
  for (;;) {
    const commits = await store.readCommits(history.length, 1000);
    if (commits.length === 0) break;
    for (const commit of commits) {
      history.push({
        tick: commit.tick,
        at: commit.at,
        inputs: inputs.slice(used, commit.lastInput).map(wire),
      });
      hashes.set(commit.tick, commit.hash);
      used = commit.lastInput;
    }
  }
  return { history, hashes, pending: inputs.slice(used).map(wire) };
}

/**
 * Opens (or creates) the world's log in `dir` on the file store and rebuilds the world from it.
 * A log that exists keeps its own seed; `seed` only names the seed of a new one.
 */
export async function openHostedWorld(
  dir: string,
  seed: number,
  options: { patches?: boolean } = {},
): Promise<HostedWorld> {
  const logSeed = (await seedOfLog(dir)) ?? seed;
  const world = makeWorld(new FileStore({ dir }), { seed: logSeed, ...options });
  await world.open();
  const { history, hashes, pending } = await ticksOfLog(world.store);
  return { world, seed: logSeed, history, hashes, pending };
}
