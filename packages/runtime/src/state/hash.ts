import { Encoder } from '@msgpack/msgpack';

// Canonical form: msgpack with sorted map keys, so two equal values hash the same whatever
// their insertion order (a state rebuilt from a snapshot has the same hash as the live one).
const canonical = new Encoder({ sortKeys: true, ignoreUndefined: false });

/** A 64-bit hash as two unsigned 32-bit lanes. */
type Lanes = [number, number];

function hashBytes(bytes: Uint8Array, seedA: number, seedB: number): Lanes {
  let a = 0x811c9dc5 ^ seedA;
  let b = 0x01000193 ^ seedB;
  for (let i = 0; i < bytes.length; i++) {
    const x = bytes[i] as number;
    a = Math.imul(a ^ x, 0x9e3779b1);
    b = Math.imul(b ^ x, 0x85ebca77);
  }
  return [fmix(a ^ bytes.length), fmix(b ^ (bytes.length * 0x27d4eb2f))];
}

function hashString(s: string, a: number, b: number): Lanes {
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    a = Math.imul(a ^ x, 0x9e3779b1);
    b = Math.imul(b ^ x, 0x85ebca77);
  }
  return [fmix(a), fmix(b)];
}

// murmur3's finaliser: every input bit affects every output bit.
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes any plain value through its canonical encoding. */
export function hashValue(value: unknown): Lanes {
  return hashBytes(canonical.encode(value), 0, 0);
}

function entryHash(key: string, value: unknown): Lanes {
  const [va, vb] = hashValue(value);
  return hashString(key, va, vb);
}

function toHex(a: number, b: number): string {
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

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

/** What the hasher remembers of one top-level table. */
interface TableCache {
  ref: Record<string, unknown>;
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
 * Immer's structural sharing tells what changed: an unchanged table or entry keeps its
 * identity. Hashing the next state therefore walks the keys of changed tables (identity
 * comparisons only) and encodes just the changed entries. The hasher compares against the last
 * state it hashed, whichever that was, so it stays correct after a discarded tick.
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
      if (isTable(value)) {
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
    return [fmix(cache.sumA ^ cache.count), fmix(cache.sumB)];
  }

  private update(cache: TableCache, next: Record<string, unknown>): void {
    const prev = cache.ref;
    const prevCount = cache.count;
    let kept = 0;
    for (const key in next) {
      const value = next[key];
      if (Object.hasOwn(prev, key)) {
        kept++;
        if (prev[key] === value) continue;
        this.remove(cache, key);
      }
      this.add(cache, key, entryHash(key, value));
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
