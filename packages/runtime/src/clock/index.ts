export { wallClock } from './wall-clock.ts';
export type { Clock } from './wall-clock.ts';
export { assertTickTime, MAX_TICK_TIME } from './tick-time.ts';
