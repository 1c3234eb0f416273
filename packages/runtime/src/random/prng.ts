/**
 * The system's deterministic randomness: sfc32 (Chris Doty-Humphrey's Small Fast Counter),
 * a 128-bit-state generator that passes PractRand and costs a few integer operations a draw.
 *
 * Each tick gets its own generator, seeded from the log's seed and the tick number, so a
 * tick's draws depend on nothing but (seed, tick): replay needs no generator state, and a
 * tick that diverged in its draws cannot drag the next tick along with it.
 */
export class TickRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, tick: number) {
    // splitmix32 spreads the two small integers over the whole state.
    const s = (seed ^ Math.imul(tick, 0x9e3779b9)) >>> 0;
    this.a = splitmix32(s, 1);
    this.b = splitmix32(s, 2);
    this.c = splitmix32(s, 3);
    this.d = (tick >>> 0) | 1;
    // Discard the first draws: sfc32 mixes its fresh state in a dozen rounds.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniformly distributed float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.u32() / 4294967296;
  }
}

/** The `n`th output of splitmix32 seeded with `s`. */
function splitmix32(s: number, n: number): number {
  let z = (s + Math.imul(n, 0x9e3779b9)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Checks a seed: an unsigned 32-bit integer. */
export function isValidSeed(seed: unknown): seed is number {
  return typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff;
}
