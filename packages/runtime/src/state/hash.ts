import { storedTableLanes } from './tables.ts';
import { entryHash, fmix, hashString, hashValue, tableLanes, toHex } from './value-hash.ts';
import type { Lanes } from './value-hash.ts';

export { hashValue } from './value-hash.ts';

function isTable(value: unknown): value is Record<string, unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof Uint8Array
  )
    return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** What the hasher remembers of one plain top-level table. */
interface TableCache {
  /** The table last hashed. */
  ref: object;
  sumA: number;
  sumB: number;
  count: number;
  entries: Map<string, Lanes>;
}

/**
 * Hashes states incrementally. The state's top-level values are tables (component tables keyed
 * by entity id, or any plain object); a table's hash is the sum, mod 2^32 per lane, of its
 * entries' hashes, so it does not depend on key order and can be updated entry by entry.
 *
 * A large (stored) table carries its entries' hashes and their sums, kept up to date by the
 * draft that made it, so hashing it reads two numbers. A plain table is hashed here: immer's
 * structural sharing tells what changed (an unchanged table or entry keeps its identity), so
 * the next state costs the keys of its changed tables and the encoding of its changed entries.
 * The hasher compares against the last state it hashed, whichever that was, so it stays correct
 * after a discarded tick.
 */
export class StateHasher {
  private readonly tables = new Map<string, TableCache>();
  private readonly others = new Map<string, { ref: unknown; lanes: Lanes }>();

  /** The hash of `state` (16 hex digits). */
  hash(state: object): string {
    const keys = Object.keys(state).sort();
    let a = 0x2545f491;
    let b = 0x6c62272e;
    for (const key of keys) {
      const value = (state as Record<string, unknown>)[key];
      let lanes: Lanes;
      const stored = storedTableLanes(value);
      if (stored !== undefined) {
        lanes = stored;
        this.tables.delete(key);
        this.others.delete(key);
      } else if (isTable(value)) {
        lanes = this.tableHash(key, value);
        this.others.delete(key);
      } else {
        const cached = this.others.get(key);
        if (cached !== undefined && cached.ref === value) lanes = cached.lanes;
        else {
          lanes = hashValue(value);
          this.others.set(key, { ref: value, lanes });
        }
        this.tables.delete(key);
      }
      [a, b] = hashString(key, a ^ lanes[0], b ^ lanes[1]);
    }
    for (const key of this.tables.keys()) if (!Object.hasOwn(state, key)) this.tables.delete(key);
    for (const key of this.others.keys()) if (!Object.hasOwn(state, key)) this.others.delete(key);
    return toHex(fmix(a ^ keys.length), fmix(b));
  }

  private tableHash(name: string, table: Record<string, unknown>): Lanes {
    let cache = this.tables.get(name);
    if (cache === undefined) {
      cache = { ref: table, sumA: 0, sumB: 0, count: 0, entries: new Map() };
      for (const key in table) this.add(cache, key, entryHash(key, table[key]));
      this.tables.set(name, cache);
    } else if (cache.ref !== table) {
      this.update(cache, table);
    }
    return tableLanes(cache.sumA, cache.sumB, cache.count);
  }

  private update(cache: TableCache, next: Record<string, unknown>): void {
    const prev = cache.ref as Record<string, unknown>;
    const prevCount = cache.count;
    let kept = 0;
    for (const key in next) {
      const value = next[key];
      if (Object.hasOwn(prev, key)) {
        kept++;
        if (prev[key] === value) continue;
        this.replace(cache, key, entryHash(key, value));
      } else this.add(cache, key, entryHash(key, value));
    }
    // Keys of the previous table that are gone: only walk it again when some are.
    if (kept < prevCount) {
      for (const key in prev) if (!Object.hasOwn(next, key)) this.remove(cache, key);
    }
    cache.ref = next;
  }

  private add(cache: TableCache, key: string, lanes: Lanes): void {
    cache.entries.set(key, lanes);
    cache.sumA = (cache.sumA + lanes[0]) >>> 0;
    cache.sumB = (cache.sumB + lanes[1]) >>> 0;
    cache.count++;
  }

  /** Swaps a kept entry's hash in place (no Map write: most changes of a tick are these). */
  private replace(cache: TableCache, key: string, lanes: Lanes): void {
    const old = cache.entries.get(key);
    if (old === undefined) {
      this.add(cache, key, lanes);
      return;
    }
    cache.sumA = (cache.sumA - old[0] + lanes[0]) >>> 0;
    cache.sumB = (cache.sumB - old[1] + lanes[1]) >>> 0;
    old[0] = lanes[0];
    old[1] = lanes[1];
  }

  private remove(cache: TableCache, key: string): void {
    const lanes = cache.entries.get(key);
    if (lanes === undefined) return;
    cache.entries.delete(key);
    cache.sumA = (cache.sumA - lanes[0]) >>> 0;
    cache.sumB = (cache.sumB - lanes[1]) >>> 0;
    cache.count--;
  }
}

/** Hashes a state from scratch (no cache): what a fresh process computes. */
export function hashState(state: object): string {
  return new StateHasher().hash(state);
}
