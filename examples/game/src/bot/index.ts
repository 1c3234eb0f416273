/** Bots: a brain that reads the arena and picks a direction. */
export { BotDice, chooseDirection, seedOf, tempers } from './brain.ts';
export type { Temper } from './brain.ts';
export { botBrain } from './player.ts';
