import type { EventSystem, MakeSystem } from '@causeway/runtime';
import { attachInspector } from '@causeway/inspector/agent';
import type { Arena } from '../sim/arena.ts';

/** A developer tool attached to the running world (the inspector), with the URL to open. */
export interface AttachedTool {
  readonly name: string;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Attaches the developer tools to the hosted world; `npm start` prints each one's URL beside
 * the game's. The inspector follows the world's commits live; `makeSystem` lets it compute
 * states and verify the log.
 */
export async function attachTools(
  world: EventSystem<Arena>,
  makeSystem: MakeSystem<Arena>,
): Promise<AttachedTool[]> {
  const inspector = await attachInspector(world, { makeSystem });
  return [{ name: 'Inspector:', url: inspector.url, close: () => inspector.close() }];
}
