import { Encoder } from '@msgpack/msgpack';
import { diffTables, eachEntry, storedTableOf, type StoredTableHandle } from './tables.ts';

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
  return streamHash(value) ?? hashBytes(canonical.encode(value), 0, 0);
}

// The streaming hasher below feeds the bytes of the canonical msgpack encoding straight into
// `hashBytes`' two lanes, without building them: the same hash for the values it knows (plain
// objects and arrays, numbers, ASCII strings, booleans, null and undefined), and `null` for
// anything else, which then goes through the encoder. Hashing the changed entries of every tick
// is a large part of a tick's cost; the encoder's buffer, key sort and copy were most of it.
let laneA = 0;
let laneB = 0;
let fed = 0;
const float = new DataView(new ArrayBuffer(8));

function feed(x: number): void {
  laneA = Math.imul(laneA ^ x, 0x9e3779b1);
  laneB = Math.imul(laneB ^ x, 0x85ebca77);
  fed++;
}

function feed16(x: number): void {
  feed((x >>> 8) & 0xff);
  feed(x & 0xff);
}

function feed32(x: number): void {
  feed((x >>> 24) & 0xff);
  feed((x >>> 16) & 0xff);
  feed((x >>> 8) & 0xff);
  feed(x & 0xff);
}

function streamHash(value: unknown): Lanes | null {
  laneA = 0x811c9dc5;
  laneB = 0x01000193;
  fed = 0;
  if (!feedValue(value, 1)) return null;
  return [fmix(laneA ^ fed), fmix(laneB ^ (fed * 0x27d4eb2f))];
}

function feedValue(value: unknown, depth: number): boolean {
  if (depth > 100) return false;
  if (value === null || value === undefined) feed(0xc0);
  else if (typeof value === 'number') feedNumber(value);
  else if (typeof value === 'string') return feedString(value);
  else if (typeof value === 'boolean') feed(value ? 0xc3 : 0xc2);
  else if (typeof value !== 'object') return false;
  else if (Array.isArray(value)) {
    const size = value.length;
    if (size < 16) feed(0x90 + size);
    else if (size < 0x10000) {
      feed(0xdc);
      feed16(size);
    } else {
      feed(0xdd);
      feed32(size);
    }
    for (let i = 0; i < size; i++) if (!feedValue(value[i], depth + 1)) return false;
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length > 1) keys.sort();
    const size = keys.length;
    if (size < 16) feed(0x80 + size);
    else if (size < 0x10000) {
      feed(0xde);
      feed16(size);
    } else {
      feed(0xdf);
      feed32(size);
    }
    for (let i = 0; i < size; i++) {
      const key = keys[i] as string;
      if (!feedString(key) || !feedValue(obj[key], depth + 1)) return false;
    }
  }
  return true;
}

function feedNumber(n: number): void {
  if (Number.isSafeInteger(n)) {
    if (n >= 0) {
      if (n < 0x80) feed(n);
      else if (n < 0x100) {
        feed(0xcc);
        feed(n);
      } else if (n < 0x10000) {
        feed(0xcd);
        feed16(n);
      } else if (n < 0x100000000) {
        feed(0xce);
        feed32(n);
      } else {
        feed(0xcf);
        feed32(Math.trunc(n / 4294967296) >>> 0);
        feed32(n >>> 0);
      }
    } else if (n >= -0x20) feed((0xe0 | (n + 0x20)) & 0xff);
    else if (n >= -0x80) {
      feed(0xd0);
      feed(n & 0xff);
    } else if (n >= -0x8000) {
      feed(0xd1);
      feed16(n & 0xffff);
    } else if (n >= -0x80000000) {
      feed(0xd2);
      feed32(n >>> 0);
    } else {
      feed(0xd3);
      feed32(Math.floor(n / 4294967296) >>> 0);
      feed32(n >>> 0);
    }
    return;
  }
  feed(0xcb);
  float.setFloat64(0, n);
  for (let i = 0; i < 8; i++) feed(float.getUint8(i));
}

function feedString(s: string): boolean {
  const size = s.length;
  if (size < 32) feed(0xa0 + size);
  else if (size < 0x100) {
    feed(0xd9);
    feed(size);
  } else if (size < 0x10000) {
    feed(0xda);
    feed16(size);
  } else {
    feed(0xdb);
    feed32(size);
  }
  for (let i = 0; i < size; i++) {
    const c = s.charCodeAt(i);
    // Beyond ASCII a character is several UTF-8 bytes: left to the encoder.
    if (c >= 0x80) return false;
    feed(c);
  }
  return true;
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
  /** The table last hashed: a plain object, or the storage of a committed table. */
  ref: object;
  stored: boolean;
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
 * identity. Hashing the next state therefore walks the keys of changed plain tables, or the
 * trie nodes a committed large table does not share with its previous version (identity
 * comparisons only), and encodes just the changed entries. The hasher compares against the last
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
      const stored = storedTableOf(value);
      if (stored !== undefined) {
        lanes = this.storedTableHash(key, stored);
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
    if (cache === undefined || cache.stored) {
      cache = { ref: table, stored: false, sumA: 0, sumB: 0, count: 0, entries: new Map() };
      for (const key in table) this.add(cache, key, entryHash(key, table[key]));
      this.tables.set(name, cache);
    } else if (cache.ref !== table) {
      this.update(cache, table);
    }
    return [fmix(cache.sumA ^ cache.count), fmix(cache.sumB)];
  }

  /**
   * A committed table's hash: the same sum as for a plain table, updated from the nodes the new
   * version does not share with the one hashed last.
   */
  private storedTableHash(name: string, table: StoredTableHandle): Lanes {
    let cache = this.tables.get(name);
    if (cache === undefined || !cache.stored) {
      const fresh: TableCache = {
        ref: table,
        stored: true,
        sumA: 0,
        sumB: 0,
        count: 0,
        entries: new Map(),
      };
      eachEntry(table, (key, value) => this.add(fresh, key, entryHash(key, value)));
      this.tables.set(name, fresh);
      cache = fresh;
    } else if (cache.ref !== table) {
      const known = cache;
      diffTables(known.ref, table, {
        set: (key, value, existed) =>
          existed
            ? this.replace(known, key, entryHash(key, value))
            : this.add(known, key, entryHash(key, value)),
        remove: (key) => this.remove(known, key),
      });
      known.ref = table;
    }
    return [fmix(cache.sumA ^ cache.count), fmix(cache.sumB)];
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
