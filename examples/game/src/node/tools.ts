import type { EventSystem } from '@causeway/runtime';
import type { Arena } from '../sim/arena.ts';

/** A developer tool attached to the running world (the inspector), with the URL to open. */
export interface AttachedTool {
  readonly name: string;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Attaches the developer tools to the hosted world; `npm start` prints each one's URL beside
 * the game's. This is where the inspector's `attachInspector(world)` is wired once the
 * inspector package is part of the repository; until then there is nothing to attach.
 */
export function attachTools(world: EventSystem<Arena>): Promise<AttachedTool[]> {
  void world;
  return Promise.resolve([]);
}
