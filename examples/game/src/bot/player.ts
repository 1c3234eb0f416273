import type { Brain } from '../lockstep/peer.ts';
import { BotDice, chooseDirection, seedOf, tempers } from './brain.ts';

/** A bot's brain for a named bot: its temper and dice follow from its name. */
export function botBrain(name: string): Brain {
  const seed = seedOf(name);
  const temper = tempers[seed % tempers.length] ?? { caution: 1, whim: 8 };
  const dice = new BotDice(seed);
  return (arena, me) => chooseDirection(arena, me, temper, dice);
}
