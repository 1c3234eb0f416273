import { CausewayError, ErrorCodes } from '../errors/index.ts';

/**
 * The latest time a tick may have: the largest timestamp of a UUIDv7 (48 bits of milliseconds,
 * in the year 10889), since every id a tick makes carries its time.
 */
export const MAX_TICK_TIME = 2 ** 48 - 1;

/**
 * Checks a tick's time, given or read from the system's clock: epoch milliseconds from 0 to
 * {@link MAX_TICK_TIME}. A time outside it cannot be written into the ids the tick makes (a
 * negative one made malformed ids, a larger one wrapped around to ids of 1970).
 *
 * @throws CausewayError `CW_INVALID_TICK` naming the time and where it came from.
 */
export function assertTickTime(at: unknown, source: string): asserts at is number {
  // Written so that NaN, which fails every comparison, fails it too.
  if (typeof at === 'number' && at >= 0 && at <= MAX_TICK_TIME) return;
  throw new CausewayError(
    ErrorCodes.InvalidTick,
    `A tick's time must be epoch milliseconds from 0 to ${MAX_TICK_TIME} (what a UUIDv7 timestamp holds), got ${String(at)} from ${source}; nothing was journaled or run. Pass a valid time, or fix the clock.`,
    { at: typeof at === 'number' ? at : String(at), source },
  );
}
