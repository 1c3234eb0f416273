import type { LockstepPeer } from '../src/lockstep/peer.ts';

/**
 * The first tick at or after `from` in which the food system placed a pellet, read from an
 * honest peer's log: where the injected bug must be caught.
 */
export async function firstFoodTick(peer: LockstepPeer, from: number): Promise<number | null> {
  const world = peer.world;
  if (world === null) return null;
  for (let next: number | null = 1; next !== null;) {
    const page = await world.readEvents({ type: 'FoodPlaced', fromSeq: next, limit: 1000 });
    const hit = page.items.find((e) => e.actor === 'food' && e.tick >= from);
    if (hit !== undefined) return hit.tick;
    next = page.next;
  }
  return null;
}
