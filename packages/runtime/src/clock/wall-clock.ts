/**
 * The live driver's clock: epoch milliseconds UTC from the wall clock. It is read by the
 * driver when a tick starts, outside any listener; the time is recorded in the tick's commit,
 * so replay never reads it.
 */
export function wallClock(): number {
  return Date.now();
}

/** A clock returns the time for the next tick, in epoch milliseconds UTC. */
export type Clock = () => number;
