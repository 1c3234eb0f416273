import { ErrorCodes, InvalidEntityIdError } from '../errors/index.ts';
import type { TickRandom } from '../random/prng.ts';

const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function hex8(n: number): string {
  return (
    (hex[(n >>> 24) & 0xff] as string) +
    hex[(n >>> 16) & 0xff] +
    hex[(n >>> 8) & 0xff] +
    hex[n & 0xff]
  );
}

/** True when `id` is a UUIDv7 in canonical lowercase form (version 7, RFC 9562 variant). */
export function isUuidV7(id: unknown): id is string {
  return typeof id === 'string' && id.length === 36 && pattern.test(id);
}

/** The Unix-epoch millisecond timestamp in a UUIDv7. */
export function uuidV7Time(id: string): number {
  return parseInt(id.slice(0, 8), 16) * 65536 + parseInt(id.slice(9, 13), 16);
}

/**
 * Checks a client-supplied entity id: a canonical UUIDv7 whose timestamp is at most
 * `skewMs` after `now`.
 * @throws InvalidEntityIdError `CW_INVALID_ENTITY_ID` or `CW_ENTITY_ID_FROM_FUTURE`.
 */
export function assertEntityId(id: unknown, now: number, skewMs: number): asserts id is string {
  if (!isUuidV7(id)) {
    const reason =
      typeof id !== 'string'
        ? `it is a ${id === null ? 'null' : typeof id}, not a string`
        : /^[0-9a-fA-F-]{36}$/.test(id) && id !== id.toLowerCase()
          ? 'it is not in lowercase canonical form'
          : 'it is not a UUIDv7 (version 7, RFC 9562 variant, canonical 8-4-4-4-12 form); make entity ids with newEntityId() or ctx.create()';
    throw new InvalidEntityIdError(ErrorCodes.InvalidEntityId, id, reason);
  }
  const time = uuidV7Time(id);
  if (time > now + skewMs) {
    throw new InvalidEntityIdError(
      ErrorCodes.EntityIdFromFuture,
      id,
      `its timestamp ${new Date(time).toISOString()} is ${time - now} ms ahead of the system's time, more than the allowed skew of ${skewMs} ms; check the client's clock`,
    );
  }
}

const COUNTER_BITS = 20;
const TICK_MASK = 0x3fffff; // 22 bits

/**
 * Makes the UUIDv7s of one tick: timestamp from the tick's logical time, a 42-bit counter
 * (RFC 9562, method 1) made of the tick number's low 22 bits and a 20-bit index within the
 * tick, and 32 random bits from the tick's PRNG. Ids are therefore unique and monotonic within
 * a millisecond across ticks too, and a replay of the tick regenerates exactly the same ids
 * with no generator state to carry between ticks.
 */
export class TickIds {
  private ms: number;
  private prefix: string;
  private index = 0;
  private readonly tickBits: number;

  constructor(
    at: number,
    tick: number,
    private readonly random: TickRandom,
  ) {
    this.ms = at;
    this.prefix = prefixOf(at);
    this.tickBits = tick & TICK_MASK;
  }

  /** The next id of this tick. */
  next(): string {
    if (this.index === 1 << COUNTER_BITS) {
      // The counter is spent: RFC 9562 lets the timestamp move on by a millisecond.
      this.ms += 1;
      this.prefix = prefixOf(this.ms);
      this.index = 0;
    }
    const counter = this.tickBits * (1 << COUNTER_BITS) + this.index++;
    const high12 = Math.floor(counter / 0x40000000);
    const low30 = counter % 0x40000000;
    const mid12 = (low30 >>> 16) & 0xfff;
    const low16 = low30 & 0xffff;
    return (
      this.prefix +
      hex3(high12) +
      '-' +
      (0x8 | (low30 >>> 28)).toString(16) +
      hex3(mid12) +
      '-' +
      (hex[low16 >> 8] as string) +
      (hex[low16 & 0xff] as string) +
      hex8(this.random.u32())
    );
  }

  /** How many ids this tick has made. */
  get count(): number {
    return this.index;
  }
}

function hex3(n: number): string {
  return (hex[n >> 8] as string).slice(1) + (hex[n & 0xff] as string);
}

function prefixOf(ms: number): string {
  const high = Math.floor(ms / 65536);
  const low = ms % 65536;
  return `${hex8(high)}-${hex[low >> 8] as string}${hex[low & 0xff] as string}-7`;
}
