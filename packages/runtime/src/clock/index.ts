export { wallClock } from './wall-clock.ts';
export type { Clock } from './wall-clock.ts';
