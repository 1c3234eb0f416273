/**
 * The snake arena's simulation: components, events, and the world (appliers, listeners,
 * per-tick systems). Pure: it runs the same in Node and in the browser.
 */
export * from './arena.ts';
export { admit } from './inputs.ts';
export type { WireInput } from './inputs.ts';
export { makeWorld } from './world.ts';
export type { WorldOptions } from './world.ts';
