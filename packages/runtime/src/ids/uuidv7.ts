import { ErrorCodes, InvalidEntityIdError } from '../errors/index.ts';
import type { TickRandom } from '../random/prng.ts';
import { uuidOf } from './uuid-words.ts';

/** True when `id` is a UUIDv7 in canonical lowercase form (version 7, RFC 9562 variant). */
export function isUuidV7(id: unknown): id is string {
  if (typeof id !== 'string' || id.length !== 36) return false;
  // /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/ by char codes:
  // every entity of every event goes through it, and a regular expression costs several times more.
  const variant = id.charCodeAt(19);
  return (
    id.charCodeAt(8) === 0x2d &&
    id.charCodeAt(13) === 0x2d &&
    id.charCodeAt(18) === 0x2d &&
    id.charCodeAt(23) === 0x2d &&
    id.charCodeAt(14) === 0x37 &&
    (variant === 0x38 || variant === 0x39 || variant === 0x61 || variant === 0x62) &&
    isHexRun(id, 0, 8) &&
    isHexRun(id, 9, 13) &&
    isHexRun(id, 15, 18) &&
    isHexRun(id, 20, 23) &&
    isHexRun(id, 24, 36)
  );
}

function isHexRun(id: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** The value of the lowercase hex digits of `id` from `start` to `end` (already validated). */
function hexValue(id: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = id.charCodeAt(i);
    value = value * 16 + (c <= 0x39 ? c - 0x30 : c - 0x57);
  }
  return value;
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
  assertEntityIdTime(id, now, skewMs);
}

/**
 * The timestamp half of {@link assertEntityId}, for an id already known to be a canonical
 * UUIDv7 (a registered entity's).
 * @throws InvalidEntityIdError `CW_ENTITY_ID_FROM_FUTURE`.
 */
export function assertEntityIdTime(id: string, now: number, skewMs: number): void {
  const time = hexValue(id, 0, 8) * 65536 + hexValue(id, 9, 13);
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
  private index = 0;
  private readonly tickBits: number;
  // The id's first two words and its third's high half (timestamp, version, the counter's top
  // 26 bits, variant), which change only every 65,536 ids: worked out once per such block.
  private a = 0;
  private b = 0;
  private cHigh = 0;
  private headBlock = -1;

  constructor(
    at: number,
    tick: number,
    private readonly random: TickRandom,
  ) {
    this.ms = at;
    this.tickBits = tick & TICK_MASK;
  }

  /**
   * The next id of this tick, one flat string. Joined to a shared head, each id would be a
   * rope, cheaper to make but made flat again (a copy) by the first reader of its characters:
   * every store, which writes or packs them (the memory store keeps ids as words), and the
   * registry and tables, which key entities by them.
   */
  next(): string {
    if (this.index === 1 << COUNTER_BITS) {
      // The counter is spent: RFC 9562 lets the timestamp move on by a millisecond.
      this.ms += 1;
      this.index = 0;
      this.headBlock = -1;
    }
    const index = this.index++;
    if (index >>> 16 !== this.headBlock) {
      this.headBlock = index >>> 16;
      const counter = this.tickBits * (1 << COUNTER_BITS) + index;
      const high12 = Math.floor(counter / 0x40000000);
      const low30 = counter % 0x40000000;
      // ms: 48 bits; then the version (7) and the counter's top 12 bits; then the variant (10),
      // the counter's next 14 bits, and (the low 16 bits) the index's, below.
      this.a = Math.floor(this.ms / 65536);
      this.b = ((this.ms % 65536) << 16) | 0x7000 | high12;
      this.cHigh = 0x8000 | (low30 >>> 16);
    }
    return uuidOf(this.a, this.b, (this.cHigh << 16) | (index & 0xffff), this.random.u32());
  }

  /** How many ids this tick has made. */
  get count(): number {
    return this.index;
  }
}
