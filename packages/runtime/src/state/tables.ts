import { createDraft, current, finishDraft, isDraft } from 'immer';
import { copyData, PROTO_KEY } from '../events/payload.ts';
import { entryHashInto, tableLanes, unstorableEntry } from './value-hash.ts';
import type { LanePair, Lanes } from './value-hash.ts';

// How component tables are stored. A table looks like a plain object keyed by entity id. Small
// ones are plain objects; one of more than 64 entries holds them in a hash trie: branches of 32
// slots picked by five bits of the key's hash, leaves of at most 64 entries kept in one flat
// array (key hashes, keys, values). A change copies one leaf and the branches above it (a few
// dozen slots), whatever the size of the table, and a committed state shares every untouched
// node with the state before it. Each entry keeps its hash (the one the state hash sums), and
// each table the sums of its entries' hashes, so hashing a state reads two numbers per large
// table and a change rehashes only the entries it changed. Users never see the trie: committed tables are read-only
// proxies (`TableView`), and appliers write through a copy-on-write draft (`TableWork`).

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;
const LEAF_SIZE = 64;
// 32-bit hashes give six full levels; a leaf at the last level holds every key left there.
const MAX_DEPTH = 6;

/**
 * Up to {@link LEAF_SIZE} entries, in no order, in one flat array of {@link STRIDE} slots an
 * entry: the key's 32-bit hash (which places it in the trie), the key, the value, and the
 * entry's hash (see `entryHashInto`) in two lanes. Hashes are kept as signed 32-bit integers,
 * which V8 stores unboxed in such an array. Not an object keyed by entity id, because V8 gives
 * an object with many distinct string keys a hidden class per key and copying one costs tens of
 * microseconds; and one array rather than one per field, because at 100,000 entities the first
 * read of an entry in a tick misses the cache for every object it touches (a leaf of four arrays
 * was nine objects), and a path copy makes as many. A lookup compares the key hashes first, so it
 * touches a key string only on a match.
 */
type Leaf = unknown[] & { readonly [nodeKind]: 'leaf' };
/** {@link WIDTH} slots, each a child node or null. */
type Branch = (TrieNode | null)[] & { readonly [nodeKind]: 'branch' };
type TrieNode = Leaf | Branch;
declare const nodeKind: unique symbol;

const STRIDE = 5;
const KEY = 1;
const VALUE = 2;
const SUM_A = 3;
const SUM_B = 4;

/** A branch has exactly {@link WIDTH} slots; a leaf never does ({@link STRIDE} does not divide it). */
function isBranch(node: TrieNode): node is Branch {
  return node.length === WIDTH;
}

// A table of at most this many entries stays a plain object (immer copies it whole, as cheap as
// copying a leaf); one that grows past it becomes a trie when its draft ends.
const PLAIN_TABLE_SIZE = 64;

/**
 * A table stored as a trie. Nodes are never written once the trie is committed. Not frozen: its
 * read-only view is made on first use and kept on it (a field, not a weak map: a weak map's
 * writes took a slow path in V8 that cost a few percent of a tick).
 */
class StoredTable {
  #view: object | null = null;

  constructor(
    readonly root: TrieNode,
    /**
     * The sums, mod 2^32 per lane, of the entries' hashes; NaN for a table taken from a draft
     * in progress (see {@link TableWork.snapshot}), whose changed entries are not hashed.
     */
    readonly sumA: number,
    readonly sumB: number,
    /** The number of entries. */
    readonly count: number,
    /** Its keys: shared with the table it was built from when a build added and removed none. */
    readonly keySet: KeySet,
  ) {}

  /** Its keys, sorted (by UTF-16 code units, as `Array.prototype.sort`), frozen. */
  sortedKeys(): readonly string[] {
    return this.keySet.sorted(this.root);
  }

  /** Whether it holds `key`. */
  holds(key: string): boolean {
    return holds(this.root, key);
  }

  /** The table as users read it (one view a table, so a table keeps its identity). */
  get view(): object {
    return (this.#view ??= new Proxy(
      Object.create(SHOWN_AS_ENTRIES) as object,
      new TableView(this),
    ));
  }
}

/**
 * A large table's set of keys, apart from its values. A build that only changes values keeps its
 * table's set, so what depends on keys alone (a query's result, the sorted key list) holds
 * across such commits by identity. A build that adds or removes keys makes a new set linked to
 * the one before with what changed (sorted), so its sorted list is the last one merged with the
 * changes, and a query cached against an earlier set is brought up to date from the changes
 * alone: at 100,000 entities, a listener's query in a tick that touched the table listed and
 * sorted every key (about half a second through the table's proxy).
 *
 * What the links keep is bounded: at most {@link KEY_SET_LINKS} sets, each with its changes; a
 * sorted list only on the newest set of a chain that asked for one (a committed set that merges
 * its list from an ancestor's takes it over), and on a draft's snapshots while their tick runs.
 */
export class KeySet {
  #sorted: readonly string[] | null;
  #parent: KeySet | null;
  readonly #links: number;
  readonly #added: readonly string[];
  readonly #removed: readonly string[];
  // A draft's snapshot (a query's view during a tick) reads its ancestor's list without taking
  // it over: the tick's commit merges from that list again.
  readonly #transient: boolean;

  /**
   * A set of keys: `parent`'s with `added` (keys it lacks) and without `removed` (keys it holds),
   * both sorted; or, without a parent, whatever a trie holds (`sorted`, when known).
   */
  constructor(
    parent: KeySet | null,
    added: readonly string[],
    removed: readonly string[],
    transient: boolean,
    sorted: readonly string[] | null = null,
  ) {
    const links = parent === null ? 0 : parent.#links + 1;
    this.#parent = links > KEY_SET_LINKS ? null : parent;
    this.#links = this.#parent === null ? 0 : links;
    this.#added = added;
    this.#removed = removed;
    this.#transient = transient;
    this.#sorted = sorted;
  }

  /** The keys, sorted and frozen; `root` is the trie of a table that has this set. */
  sorted(root: TrieNode): readonly string[] {
    if (this.#sorted !== null) return this.#sorted;
    let base = this.#parent;
    while (base !== null && base.#sorted === null) base = base.#parent;
    let keys: string[];
    if (base === null) {
      keys = [];
      collectKeys(root, keys);
      keys.sort();
    } else {
      const { added, removed } = this.changesSince(base) as KeyChanges;
      keys = mergeKeys(base.#sorted as readonly string[], added, removed);
      if (!this.#transient && !base.#transient) base.#sorted = null;
    }
    this.#sorted = Object.freeze(keys);
    return this.#sorted;
  }

  /**
   * The keys added and removed (each sorted) from `earlier` to this set, or null when the two
   * share no set they link back to. Usually `earlier` is one this set links back to; a draft's
   * snapshot links to its tick's committed set, so two ticks' snapshots are one step apart
   * through the commit between them.
   */
  changesSince(earlier: KeySet): KeyChanges | null {
    if (earlier === this) return { added: [], removed: [] };
    if (this.#parent === earlier) return { added: this.#added, removed: this.#removed };
    // `earlier`'s ancestors (itself first), then this set's path up to the first of them.
    const back: KeySet[] = [];
    for (let at: KeySet | null = earlier; at !== null; at = at.#parent) back.push(at);
    const up: KeySet[] = [];
    const common = KeySet.#climb(this, back, up);
    if (common === null) return null;
    // From `earlier`'s keys: undo its sets' changes down to the common one (newest first), then
    // make this path's (oldest first). Each key's first change tells whether `earlier` held it,
    // its last whether this set does.
    const first = new Map<string, boolean>();
    const last = new Map<string, boolean>();
    const change = (key: string, held: boolean): void => {
      if (!first.has(key)) first.set(key, !held);
      last.set(key, held);
    };
    for (const set of back.slice(0, back.indexOf(common))) {
      for (const key of set.#added) change(key, false);
      for (const key of set.#removed) change(key, true);
    }
    for (let i = up.length - 1; i >= 0; i--) {
      const set = up[i] as KeySet;
      for (const key of set.#added) change(key, true);
      for (const key of set.#removed) change(key, false);
    }
    const added: string[] = [];
    const removed: string[] = [];
    for (const [key, held] of first) {
      const holds = last.get(key) as boolean;
      if (holds && !held) added.push(key);
      else if (!holds && held) removed.push(key);
    }
    return { added: added.sort(), removed: removed.sort() };
  }

  /** The first of `stops` from `from` up its links, the sets before it pushed onto `path`. */
  static #climb(from: KeySet, stops: readonly KeySet[], path: KeySet[]): KeySet | null {
    let at: KeySet | null = from;
    while (at !== null && !stops.includes(at)) {
      path.push(at);
      at = at.#parent;
    }
    return at;
  }
}

/** What changed between two key sets: keys added and keys removed, each sorted. */
export interface KeyChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** How many sets a key set links back to at most (see {@link KeySet}). */
const KEY_SET_LINKS = 32;

/** `sorted` without the keys of `removed` (all in it) and with those of `added` (none in it). */
export function mergeKeys(
  sorted: readonly string[],
  added: readonly string[],
  removed: readonly string[],
): string[] {
  const out = new Array<string>(sorted.length + added.length - removed.length);
  let n = 0;
  let a = 0;
  let r = 0;
  for (let i = 0; i < sorted.length; i++) {
    const key = sorted[i] as string;
    while (a < added.length && (added[a] as string) < key) out[n++] = added[a++] as string;
    if (r < removed.length && removed[r] === key) {
      r++;
      continue;
    }
    out[n++] = key;
  }
  while (a < added.length) out[n++] = added[a++] as string;
  return out;
}

/**
 * The prototype of the objects behind table proxies (their traps say `Object.prototype`). Node's
 * `util.inspect` (`console.log`) shows a proxy's target, not what its traps answer: this tells it
 * to show the table's entries, as it would a plain table, where it showed `{}`.
 */
const SHOWN_AS_ENTRIES: object = {};
Object.defineProperty(SHOWN_AS_ENTRIES, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: Record<string | symbol, unknown>): Record<string, unknown> {
    // A draft shows its entries without copying them into itself, as reading each would.
    const work = this[INTERNAL];
    return work instanceof TableWork ? work.shown() : { ...this };
  },
});

/**
 * The key under which a table view's proxy answers its stored table, and a table draft's proxy
 * its draft (see `tableOfView`, `workOf`): no object of the user's has it, and a proxy that
 * forwards to ours (immer's draft of a view, the patch recorder's) is told apart by identity.
 */
const INTERNAL: unique symbol = Symbol('causeway.table');

/** The state as stored: large tables as {@link StoredTable}, every other value as is. */
type StoredState = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * FNV-1a over the key's UTF-16 units, finished by murmur3's mixer so every bit counts; a signed
 * 32-bit integer (see {@link Leaf}).
 */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function slotOf(hash: number, depth: number): number {
  return (hash >>> (depth * BITS)) & MASK;
}

/** A value under `key` of an immer draft (or any object) without making immer draft it. */
function rawChild(node: object, key: string | number): unknown {
  return Reflect.getOwnPropertyDescriptor(node, key)?.value;
}

function emptyLeaf(): Leaf {
  return [] as unknown[] as Leaf;
}

function emptyBranch(): Branch {
  return new Array<TrieNode | null>(WIDTH).fill(null) as Branch;
}

/** Appends an entry to a leaf. */
function pushEntry(leaf: Leaf, hash: number, key: string, value: unknown, a: number, b: number) {
  leaf.push(hash, key, value, a, b);
}

/** Where the entry of `key` (of hash `hash`) starts in `leaf`, or -1. */
function indexIn(leaf: Leaf, hash: number, key: string): number {
  for (let i = 0; i < leaf.length; i += STRIDE)
    if (leaf[i] === hash && leaf[i + KEY] === key) return i;
  return -1;
}

/** The leaf that holds or would hold a key of `hash` (null: no such leaf). */
function leafAt(root: TrieNode, hash: number): Leaf | null {
  let node: TrieNode = root;
  for (let depth = 0; isBranch(node); depth++) {
    const child: TrieNode | null = node[slotOf(hash, depth)] ?? null;
    if (child === null) return null;
    node = child;
  }
  return node;
}

/** Returned by {@link lookup} for a key the trie does not hold. */
const ABSENT: unique symbol = Symbol('absent');

/** The value under `key` in a committed trie, or ABSENT (no object made: reads are hot). */
function lookup(root: TrieNode, key: string): unknown {
  return lookupHashed(root, hashKey(key), key);
}

/** {@link lookup} for a key whose hash is known. */
function lookupHashed(root: TrieNode, hash: number, key: string): unknown {
  const leaf = leafAt(root, hash);
  if (leaf === null) return ABSENT;
  const index = indexIn(leaf, hash, key);
  return index < 0 ? ABSENT : leaf[index + VALUE];
}

/** Whether a committed trie holds `key`. */
function holds(root: TrieNode, key: string): boolean {
  return lookup(root, key) !== ABSENT;
}

/**
 * Builds the subtree at `depth` holding `entries` (keys all sharing the path to it). `entries`
 * is the caller's own: it becomes the leaf when it is small enough.
 */
function buildNode(entries: Leaf, depth: number): TrieNode {
  if (entries.length <= LEAF_SIZE * STRIDE || depth >= MAX_DEPTH) return entries;
  const branch = emptyBranch();
  for (let i = 0; i < entries.length; i += STRIDE) {
    const slot = slotOf(entries[i] as number, depth);
    let leaf = branch[slot] as Leaf | null;
    if (leaf === null) branch[slot] = leaf = emptyLeaf();
    for (let j = i; j < i + STRIDE; j++) leaf.push(entries[j]);
  }
  for (let i = 0; i < WIDTH; i++) {
    const leaf = branch[i] as Leaf | null;
    if (leaf !== null) branch[i] = buildNode(leaf, depth + 1);
  }
  return branch;
}

/** Every key of a subtree, unsorted. */
function collectKeys(node: TrieNode | null, out: string[]): void {
  if (node === null) return;
  if (isBranch(node)) {
    for (let i = 0; i < WIDTH; i++) collectKeys(node[i] ?? null, out);
  } else for (let i = KEY; i < node.length; i += STRIDE) out.push(node[i] as string);
}

/** Where table builds have an entry's hash written. */
const entryLanes: LanePair = { a: 0, b: 0 };

function storeTable(plain: object): StoredTable {
  const keys = Object.keys(plain);
  return storeColumns(
    keys,
    keys.map((key) => (plain as Record<string, unknown>)[key]),
  );
}

/**
 * A stored table of the entries `keys[i]: values[i]` (keys distinct; `sorted` when they are in
 * increasing order, as a snapshot's columns are), its values frozen.
 */
function storeColumns(
  keys: readonly string[],
  values: readonly unknown[],
  sorted = false,
): StoredTable {
  const n = keys.length;
  const columns: EntryColumns = {
    hashes: new Int32Array(n),
    keys,
    values: new Array<unknown>(n),
    a: new Int32Array(n),
    b: new Int32Array(n),
  };
  let sumA = 0;
  let sumB = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    const value = freezeDeep(values[i]);
    entryHashInto(key, value, entryLanes);
    const { a, b } = entryLanes;
    columns.hashes[i] = hashKey(key);
    columns.values[i] = value;
    columns.a[i] = a;
    columns.b[i] = b;
    sumA = (sumA + a) >>> 0;
    sumB = (sumB + b) >>> 0;
  }
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const keySet = new KeySet(null, [], [], false, sorted ? Object.freeze([...keys]) : null);
  return new StoredTable(buildIndexed(all, 0, columns), sumA, sumB, n, keySet);
}

/** The entries a table is built from, by column. */
interface EntryColumns {
  readonly hashes: Int32Array;
  readonly keys: readonly string[];
  readonly values: unknown[];
  readonly a: Int32Array;
  readonly b: Int32Array;
}

/**
 * The subtree at `depth` holding the entries numbered `entries` (keys all sharing the path to
 * it), as {@link buildNode} builds it from one list, without that list: the entries are
 * sorted into the 32 slots of each level by counting (stably, so each leaf keeps their order)
 * and copied once, into their leaf (building a 10,000-entry table from a snapshot spent most of
 * its time growing and copying the list).
 */
function buildIndexed(entries: Int32Array, depth: number, columns: EntryColumns): TrieNode {
  const n = entries.length;
  const { hashes } = columns;
  if (n <= LEAF_SIZE || depth >= MAX_DEPTH) {
    const leaf = emptyLeaf();
    for (let i = 0; i < n; i++) {
      const j = entries[i] as number;
      pushEntry(
        leaf,
        hashes[j] as number,
        columns.keys[j] as string,
        columns.values[j],
        columns.a[j] as number,
        columns.b[j] as number,
      );
    }
    return leaf;
  }
  const starts = new Int32Array(WIDTH + 1);
  for (let i = 0; i < n; i++) {
    const slot = slotOf(hashes[entries[i] as number] as number, depth);
    starts[slot + 1] = (starts[slot + 1] as number) + 1;
  }
  for (let slot = 0; slot < WIDTH; slot++)
    starts[slot + 1] = (starts[slot + 1] as number) + (starts[slot] as number);
  const next = starts.slice(0, WIDTH);
  const sorted = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = entries[i] as number;
    const slot = slotOf(hashes[j] as number, depth);
    sorted[next[slot] as number] = j;
    next[slot] = (next[slot] as number) + 1;
  }
  const branch = emptyBranch();
  for (let slot = 0; slot < WIDTH; slot++) {
    const from = starts[slot] as number;
    const to = starts[slot + 1] as number;
    if (to > from) branch[slot] = buildIndexed(sorted.subarray(from, to), depth + 1, columns);
  }
  return branch;
}

// ---- Committed tables ---------------------------------------------------------------------

/** The stored table behind `value` if it is a committed table's view. */
function tableOfView(value: unknown): StoredTable | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const table = (value as { [INTERNAL]?: unknown })[INTERNAL];
  return table instanceof StoredTable && table.view === value ? table : undefined;
}

/**
 * A committed table as users read it: `table[id]`, `id in table`, `Object.keys(table)` (in
 * sorted key order), `for…in`, spread and JSON all behave as on a frozen plain object.
 *
 * It reads the trie on demand, so it cannot be a frozen object (a proxy of a non-extensible
 * object must list exactly that object's keys). When something freezes it after all (immer
 * freezes what `produce` or `applyPatches` return), its entries are copied onto its target
 * once, and from then on the target answers.
 */
class TableView implements ProxyHandler<object> {
  private keys: readonly string[] | null = null;
  private materialised = false;

  constructor(private readonly table: StoredTable) {}

  get(target: object, key: string | symbol): unknown {
    if (typeof key === 'string') {
      if (!this.materialised) {
        const value = lookup(this.table.root, key);
        if (value !== ABSENT) return value;
      }
      // A key from a payload must never reach the prototype: an object reached that way and
      // written (`state.index[tag][id] = true`) would change every object of the process.
      if (key === PROTO_KEY) return Reflect.getOwnPropertyDescriptor(target, key)?.value;
    } else if (key === INTERNAL) return this.table;
    return Reflect.get(target, key);
  }

  has(target: object, key: string | symbol): boolean {
    if (typeof key === 'string' && !this.materialised && holds(this.table.root, key)) return true;
    return key === PROTO_KEY ? Object.hasOwn(target, key) : Reflect.has(target, key);
  }

  // Sorted, materialised or not: the target, an ordinary object, would list keys that look like
  // array indices ('2' before '10') first. A proxy of a frozen target may list its keys in any
  // order, and the target holds no other keys.
  ownKeys(): string[] {
    this.keys ??= this.table.sortedKeys();
    return this.keys as string[];
  }

  getOwnPropertyDescriptor(target: object, key: string | symbol): PropertyDescriptor | undefined {
    if (this.materialised) return Reflect.getOwnPropertyDescriptor(target, key);
    if (typeof key !== 'string') return undefined;
    const value = lookup(this.table.root, key);
    if (value === ABSENT) return undefined;
    return { value, writable: false, enumerable: true, configurable: true };
  }

  set(): boolean {
    return false;
  }

  deleteProperty(): boolean {
    return false;
  }

  defineProperty(target: object, key: string | symbol, desc: PropertyDescriptor): boolean {
    // Only `Object.freeze`, re-stating what the materialised target already holds, succeeds.
    return this.materialised && Reflect.defineProperty(target, key, desc);
  }

  getPrototypeOf(target: object): object | null {
    return this.materialised ? Reflect.getPrototypeOf(target) : Object.prototype;
  }

  // A committed table is frozen: asked whether it is (`Object.isFrozen`, `Object.isExtensible`),
  // it materialises, as when it is frozen, so that it can truthfully say it is.
  isExtensible(target: object): boolean {
    this.preventExtensions(target);
    return false;
  }

  preventExtensions(target: object): boolean {
    if (!this.materialised) {
      Object.setPrototypeOf(target, Object.prototype);
      for (const key of this.ownKeys()) {
        Object.defineProperty(target, key, {
          value: lookup(this.table.root, key),
          writable: false,
          enumerable: true,
          configurable: false,
        });
      }
      Object.preventExtensions(target);
      this.materialised = true;
    }
    return true;
  }

  setPrototypeOf(): boolean {
    return false;
  }
}

/** A base class whose constructor returns the object it is given (see {@link StateStorage}). */
class Stamped {
  constructor(target: object) {
    // The point of the class: a subclass's fields land on `target`.
    return target;
  }
}

/**
 * Keeps a user-facing state's stored form in a private field of the state itself: a subclass of
 * {@link Stamped} adds its fields to the object it is given. A private field is invisible to
 * `Object.keys`, `Reflect.ownKeys`, spread, JSON, msgpack and the payload check, is never copied
 * with the state, and, unlike a weak map (which the state used to be looked up in), costs a
 * property write, not a slow path in V8 every tick.
 */
class StateStorage extends Stamped {
  readonly #stored: StoredState;

  private constructor(state: object, stored: StoredState) {
    super(state);
    this.#stored = stored;
  }

  /** Gives `state` (not frozen yet) its stored form. */
  static attach(state: object, stored: StoredState): void {
    new StateStorage(state, stored);
  }

  /** The stored form of a state given one by {@link StateStorage.attach}, or undefined. */
  static of(state: object): StoredState | undefined {
    return #stored in state ? state.#stored : undefined;
  }
}

/** The user-facing state of a stored one: each table behind a read-only view, frozen. */
function viewState(stored: StoredState): object {
  const state: Record<string, unknown> = {};
  for (const key of Object.keys(stored)) {
    const value = stored[key];
    state[key] = value instanceof StoredTable ? value.view : value;
  }
  StateStorage.attach(state, stored);
  return Object.freeze(state);
}

/** The stored form of a user-facing state made by {@link viewState}, or undefined. */
function knownStorage(state: object): StoredState | undefined {
  return StateStorage.of(state);
}

function isLargeTable(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).length > PLAIN_TABLE_SIZE;
}

/** The stored form of a state: one of ours as it is, a plain one (initial, snapshot) built. */
function storageOf(state: object): StoredState {
  const known = knownStorage(state);
  if (known !== undefined) return known;
  const stored: StoredState = {};
  for (const key of Object.keys(state)) {
    const value = (state as Record<string, unknown>)[key];
    const table = tableOfView(value);
    if (table !== undefined) stored[key] = table;
    else if (isLargeTable(value)) stored[key] = storeTable(value);
    else stored[key] = freezeDeep(value);
  }
  return stored;
}

/**
 * The committed form of a state: a top-level plain object of more than 64 entries is stored as
 * a trie and shown as a read-only view over it; smaller values stay as they are. Everything is
 * frozen (a state is immutable: a listener that wrote to it would change a committed, hashed
 * state behind the loop's back). A state already in that form is returned as it is.
 */
export function committedState<S extends object>(state: S): S {
  if (knownStorage(state) !== undefined) return state;
  return viewState(storageOf(state)) as S;
}

/** A large table's entries as two columns, keys sorted: how a snapshot stores it. */
export type TableColumns = [keys: string[], values: unknown[]];

/** The columns of a committed large table, or undefined for any other value. */
export function tableColumns(value: unknown): TableColumns | undefined {
  const table = storedTableOf(value) as StoredTable | undefined;
  if (table === undefined) return undefined;
  const keys = [...table.sortedKeys()];
  return [keys, keys.map((key) => lookup(table.root, key))];
}

/**
 * The committed state of a snapshot: `plain` holds the state's top-level values in their
 * order, and `columns` the entries of its large tables (for which `plain` holds a placeholder).
 * Building a table from columns spares making a plain object of every entry first.
 * @throws TypeError when the columns are not two arrays of one length, the keys sorted strings
 */
export function restoredState(
  plain: Record<string, unknown>,
  columns: Readonly<Record<string, unknown>>,
): object {
  const stored: StoredState = {};
  for (const key of Object.keys(plain)) {
    if (!Object.hasOwn(columns, key)) {
      const value = plain[key];
      stored[key] = isLargeTable(value) ? storeTable(value) : freezeDeep(value);
      continue;
    }
    const table = columns[key];
    if (!isColumns(table)) throw new TypeError(`The columns of table "${key}" are malformed.`);
    stored[key] = storeColumns(table[0], table[1], true);
  }
  return viewState(Object.freeze(stored));
}

/** Two columns of one length, the keys strings in strictly increasing order (so distinct). */
function isColumns(value: unknown): value is TableColumns {
  if (!Array.isArray(value) || value.length !== 2) return false;
  const [keys, values] = value as unknown[];
  if (!Array.isArray(keys) || !Array.isArray(values) || keys.length !== values.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key: unknown = keys[i];
    if (typeof key !== 'string' || (i > 0 && !((keys[i - 1] as string) < key))) return false;
  }
  return true;
}

/** The stored table behind a committed table view, or undefined for anything else. */
export function storedTableOf(value: unknown): object | undefined {
  return tableOfView(value);
}

/** What a query reads of a committed large table: its size, its keys, membership. */
export interface LargeTableKeys {
  readonly count: number;
  readonly keySet: KeySet;
  sortedKeys(): readonly string[];
  holds(key: string): boolean;
}

/** The keys of a committed large table's view, or undefined for any other value. */
export function largeTableKeys(value: unknown): LargeTableKeys | undefined {
  return tableOfView(value);
}

/**
 * The keys whose entries differ between two committed large tables (added, removed, or holding
 * another value object), sorted; undefined unless both are large tables. Subtrees the two
 * tables share are skipped, so two neighbouring states of a 100,000-entry table compare in the
 * time of what changed between them.
 */
export function changedTableKeys(before: unknown, after: unknown): string[] | undefined {
  const a = tableOfView(before);
  const b = tableOfView(after);
  if (a === undefined || b === undefined) return undefined;
  const out: string[] = [];
  diffNodes(a.root, b.root, out);
  return out.sort();
}

function diffNodes(x: TrieNode | null, y: TrieNode | null, out: string[]): void {
  if (x === y) return;
  if (x === null || y === null) {
    collectKeys(x ?? y, out);
    return;
  }
  if (isBranch(x) && isBranch(y)) {
    for (let i = 0; i < WIDTH; i++) diffNodes(x[i] ?? null, y[i] ?? null, out);
    return;
  }
  // A leaf against a leaf or a branch: their entries, by key.
  const left = new Map<string, unknown>();
  collectEntries(x, left);
  const right = new Map<string, unknown>();
  collectEntries(y, right);
  for (const [key, value] of right) if (!left.has(key) || left.get(key) !== value) out.push(key);
  for (const key of left.keys()) if (!right.has(key)) out.push(key);
}

/** Every entry of a subtree, into `out`. */
function collectEntries(node: TrieNode | null, out: Map<string, unknown>): void {
  if (node === null) return;
  if (isBranch(node)) {
    for (let i = 0; i < WIDTH; i++) collectEntries(node[i] ?? null, out);
  } else
    for (let i = KEY; i < node.length; i += STRIDE)
      out.set(node[i] as string, node[i - KEY + VALUE]);
}

/**
 * The hash of a committed large table (the same as a plain table of the same entries would
 * have), read from the sums it carries; undefined for any other value.
 */
export function storedTableLanes(value: unknown): Lanes | undefined {
  const table = storedTableOf(value) as StoredTable | undefined;
  if (table === undefined) return undefined;
  if (!Number.isNaN(table.sumA)) return tableLanes(table.sumA, table.sumB, table.count);
  const sums = { a: 0, b: 0 };
  sumEntries(table.root, sums);
  return tableLanes(sums.a, sums.b, table.count);
}

/** Adds the hashes of a subtree's entries to `sums`, hashing those not hashed yet. */
function sumEntries(node: TrieNode | null, sums: LanePair): void {
  if (node === null) return;
  if (isBranch(node)) {
    for (let i = 0; i < WIDTH; i++) sumEntries(node[i] ?? null, sums);
    return;
  }
  for (let i = 0; i < node.length; i += STRIDE) {
    let a = node[i + SUM_A] as number;
    let b = node[i + SUM_B] as number;
    if (Number.isNaN(a)) {
      entryHashInto(node[i + KEY] as string, node[i + VALUE], entryLanes);
      ({ a, b } = entryLanes);
    }
    sums.a = (sums.a + a) >>> 0;
    sums.b = (sums.b + b) >>> 0;
  }
}

// ---- Drafts -------------------------------------------------------------------------------

/** The table draft whose proxy `value` is, if it is one. */
function workOfProxy(value: object): TableWork | undefined {
  const work = (value as { [INTERNAL]?: unknown })[INTERNAL];
  return work instanceof TableWork && work.proxy === value ? work : undefined;
}

/**
 * The keys of the entries a large table's draft holds apart from its committed table (read or
 * written in the draft, and not deleted), sorted; undefined for anything but a table draft. Its
 * other entries are committed values, frozen, which hold nothing of the draft: a search of the
 * draft for one of its objects (the patch recorder's, once an event put an object in two
 * places) reads only these, where listing the table read every entry, and copied each.
 */
export function draftedTableKeys(value: object): string[] | undefined {
  return workOfProxy(value)?.draftedKeys();
}

/** Marks a table draft whose commit is under way. */
const BUILDING: unique symbol = Symbol('building');

/** A draft entry's place in the stored trie that no read has looked up. */
const UNKNOWN: unique symbol = Symbol('unknown');

/** Marks an entry an applier deleted in the draft. */
const REMOVED: unique symbol = Symbol('removed');

/**
 * Freezes a value and everything in it that is not frozen yet (byte arrays cannot be), and
 * returns it; a table draft found in it (a table put inside another value) is replaced by the
 * table it commits, and an immer draft (a value of a small table or another top-level value,
 * moved into a large table) by a frozen copy of what it holds. (Also what a memory read model
 * freezes its committed rows with.)
 */
export function freezeDeep(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  const work = workOfProxy(value);
  if (work !== undefined) return work.committedValue();
  if (isDraft(value)) return freezeDeep(current(value));
  if (ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const frozen = freezeDeep(item);
      if (frozen !== item) value[i] = frozen;
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const item = record[key];
      const frozen = freezeDeep(item);
      if (frozen !== item) record[key] = frozen;
    }
  }
  return Object.freeze(value);
}

/** Equal data, keys in the same order (so keeping either value is invisible). */
function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const x: unknown = a[i];
      if (!sameData(x, b[i])) return false;
      // A hole and an undefined item read alike, but are not the same data.
      if (x === undefined && i in a !== i in b) return false;
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length)
      return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  // A differing field found first settles it without listing keys (the usual case: an entry
  // an applier changed). Reading an inherited key here can only answer "different" for data
  // the full comparison would call equal, which costs a kept copy, never a wrong state.
  for (const key in a) {
    const x = (a as Record<string, unknown>)[key];
    const y = (b as Record<string, unknown>)[key];
    if (
      !Object.is(x, y) &&
      (typeof x !== 'object' || x === null || typeof y !== 'object' || y === null)
    )
      return false;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const key = ka[i] as string;
    if (key !== kb[i]) return false;
    if (!sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
      return false;
  }
  return true;
}

/**
 * A large table as appliers write it, copy-on-write at the entry level. The stored trie is
 * never written: an entry read in the draft is copied once (`copyData`) and the applier changes the
 * copy; an assigned or deleted entry is noted. `commit()` then path-copies the trie for the
 * entries that really changed (an entry read and left equal keeps its stored value), so a tick
 * costs the entries it touches, however large the table.
 *
 * For what an applier can observe this is immer's contract on the entries: reads see the
 * latest writes, a value read from the state is a private copy, a value assigned in the draft
 * is the applier's own object (an object put in two places is one object until the draft ends),
 * and everything is frozen when it does. Immer itself is not in the way: its proxies cost far
 * more per touched entity than the copy of a small component value.
 */
class TableWork implements ProxyHandler<object> {
  readonly proxy: object;
  // The entries read or written in this draft, in the order first touched: each key's hash,
  // and its private copy, assigned value, or REMOVED; `slots` finds a key's place. Arrays
  // rather than one map, so that commit walks them without iterator entries and keeps the
  // key hashes the reads computed.
  private readonly slots = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly hashes: number[] = [];
  private readonly values: unknown[] = [];
  // Where a read found each entry in the stored trie: its leaf (null: no leaf holds its hash)
  // and its index there (-1: absent), so that commit does not walk the trie for it again (at
  // 100,000 entities the walk is a string of cache misses). UNKNOWN for a key only written.
  private readonly baseLeaves: (Leaf | null | typeof UNKNOWN)[] = [];
  private readonly baseIndexes: number[] = [];
  private committed: StoredTable | typeof BUILDING | null = null;
  private readonly root: TrieNode;
  // Bumped by every assignment and deletion: `keysChanged` recounts only after one.
  private writes = 0;
  private keysCheckedAt = -1;
  private keysMoved = false;

  constructor(readonly table: StoredTable) {
    this.proxy = new Proxy(Object.create(SHOWN_AS_ENTRIES) as object, this);
    this.root = table.root;
  }

  /** Whether the draft read or wrote any entry (a read entry may still turn out unchanged). */
  get touched(): boolean {
    return this.keys.length > 0;
  }

  // A string key answers only the table's entries: an applier that writes through
  // `draft.table[key]` with a key taken from a payload ('constructor', '__proto__') must not
  // reach `Object.prototype` or its members, and change them for the whole process.
  get(target: object, key: string | symbol): unknown {
    if (typeof key !== 'string') return key === INTERNAL ? this : Reflect.get(target, key);
    const value = this.entry(key);
    return value === ABSENT ? undefined : value;
  }

  has(target: object, key: string | symbol): boolean {
    return typeof key === 'string' ? this.hasEntry(key) : Reflect.has(target, key);
  }

  ownKeys(): string[] {
    const keys: string[] = [];
    collectKeys(this.root, keys);
    if (this.keys.length === 0) return keys.sort();
    const out: string[] = [];
    for (const key of keys) {
      const slot = this.slots.get(key);
      if (slot === undefined || this.values[slot] !== REMOVED) out.push(key);
    }
    for (let i = 0; i < this.keys.length; i++) {
      if (this.values[i] === REMOVED) continue;
      const key = this.keys[i] as string;
      if (!holds(this.root, key)) out.push(key);
    }
    return out.sort();
  }

  // Also asked after every read through a proxy that wraps this one (the patch recorder's):
  // one lookup answers both.
  getOwnPropertyDescriptor(_target: object, key: string | symbol): PropertyDescriptor | undefined {
    if (typeof key !== 'string') return undefined;
    const value = this.entry(key);
    if (value === ABSENT) return undefined;
    return { value, writable: true, enumerable: true, configurable: true };
  }

  set(target: object, key: string | symbol, value: unknown): boolean {
    if (typeof key !== 'string') return Reflect.set(target, key, value);
    this.writes++;
    const slot = this.slots.get(key);
    if (slot !== undefined) this.values[slot] = value;
    else this.note(key, hashKey(key), value);
    return true;
  }

  deleteProperty(target: object, key: string | symbol): boolean {
    if (typeof key !== 'string') return Reflect.deleteProperty(target, key);
    // REMOVED also stands for a key the table never held: nothing to commit for it.
    return this.set(target, key, REMOVED);
  }

  defineProperty(): boolean {
    throw new TypeError(
      'Object.defineProperty() cannot be used on a table in an applier: assign the entry instead.',
    );
  }

  preventExtensions(): boolean {
    return false;
  }

  getPrototypeOf(): object {
    return Object.prototype;
  }

  setPrototypeOf(): boolean {
    return false;
  }

  /**
   * Whether the draft added or deleted an entry: otherwise it has its committed table's keys,
   * whatever it did to the values (which is all a query reads).
   */
  keysChanged(): boolean {
    if (this.keysCheckedAt !== this.writes) {
      this.keysCheckedAt = this.writes;
      this.keysMoved = false;
      for (let i = 0; i < this.keys.length; i++) {
        const existed =
          this.baseLeaves[i] === UNKNOWN
            ? holds(this.root, this.keys[i] as string)
            : (this.baseIndexes[i] as number) >= 0;
        if (existed === (this.values[i] === REMOVED)) {
          this.keysMoved = true;
          break;
        }
      }
    }
    return this.keysMoved;
  }

  /** The keys of the entries read or written in the draft and not deleted, sorted. */
  draftedKeys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++)
      if (this.values[i] !== REMOVED) out.push(this.keys[i] as string);
    return out.sort();
  }

  /** The draft's entries as a plain object, for display: nothing is copied into the draft. */
  shown(): Record<string, unknown> {
    return Object.fromEntries(
      this.ownKeys().map((key) => {
        const slot = this.slots.get(key);
        return [key, slot === undefined ? lookup(this.root, key) : this.values[slot]];
      }),
    );
  }

  /** The table as the draft holds it now, its changed entries copied (the draft goes on). */
  snapshot(): StoredTable {
    return this.build(true);
  }

  /** The committed table: the changed entries frozen in a path-copied trie. Once per draft. */
  commit(): StoredTable {
    if (this.committed === BUILDING)
      throw new TypeError('A table cannot be put inside itself: copy its entries instead.');
    if (this.committed === null) {
      this.committed = BUILDING;
      this.committed = this.build(false);
    }
    return this.committed;
  }

  /** The committed table as a value found inside another value: its read-only view. */
  committedValue(): object {
    return this.commit().view;
  }

  /** Whether `key` is an entry (stored and not deleted, or written in the draft). */
  private hasEntry(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot !== undefined) return this.values[slot] !== REMOVED;
    return holds(this.root, key);
  }

  /**
   * The entry under `key` as the draft holds it, or ABSENT. The first read of a stored object
   * value copies it into the draft.
   */
  private entry(key: string): unknown {
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      const own = this.values[slot];
      return own === REMOVED ? ABSENT : own;
    }
    const hash = hashKey(key);
    const leaf = leafAt(this.root, hash);
    const index = leaf === null ? -1 : indexIn(leaf, hash, key);
    const value = index < 0 ? ABSENT : (leaf as Leaf)[index + VALUE];
    if (value === ABSENT || typeof value !== 'object' || value === null) return value;
    const copy = copyData(value);
    this.note(key, hash, copy, leaf, index);
    return copy;
  }

  private note(
    key: string,
    hash: number,
    value: unknown,
    leaf: Leaf | null | typeof UNKNOWN = UNKNOWN,
    index = -1,
  ): void {
    this.slots.set(key, this.keys.length);
    this.keys.push(key);
    this.hashes.push(hash);
    this.values.push(value);
    this.baseLeaves.push(leaf);
    this.baseIndexes.push(index);
  }

  private build(copy: boolean): StoredTable {
    const base = this.root;
    let root = base;
    let grew = false;
    let { sumA, sumB, count } = this.table;
    // A draft's snapshot serves reads in the tick (queries), not the hasher: its changed entries
    // are hashed only if it is ever hashed (see storedTableLanes). So is a table built on one.
    const hashed = !copy && !Number.isNaN(sumA);
    // Until an entry is removed, an entry keeps its index when its leaf is copied.
    let moved = false;
    const { keys, hashes, values, baseLeaves, baseIndexes } = this;
    // The keys this build adds and removes: its table's key set is its base's unless there are some.
    let added: string[] | null = null;
    let removed: string[] | null = null;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const hash = hashes[i] as number;
      const value = values[i];
      const known = baseLeaves[i];
      const baseLeaf = known === UNKNOWN ? leafAt(base, hash) : (known as Leaf | null);
      const at =
        known !== UNKNOWN
          ? (baseIndexes[i] as number)
          : baseLeaf === null
            ? -1
            : indexIn(baseLeaf, hash, key);
      const existed = at >= 0;
      if (value === REMOVED) {
        if (!existed) continue;
      } else if (existed && sameData((baseLeaf as Leaf)[at + VALUE], value)) continue;
      if (existed && hashed) {
        // The entry's old hash leaves the sums (a changed value adds its new one below).
        sumA = (sumA - ((baseLeaf as Leaf)[at + SUM_A] as number)) >>> 0;
        sumB = (sumB - ((baseLeaf as Leaf)[at + SUM_B] as number)) >>> 0;
      }
      if (existed) count--;
      if (value === REMOVED) (removed ??= []).push(key);
      else if (!existed) (added ??= []).push(key);
      // Copy the path from the root to the entry's leaf. A node that is still the base's node
      // at the same place is copied; one that is not was copied (or made) by this build.
      if (root === base) root = copyNode(base);
      let node: TrieNode = root;
      let baseNode: TrieNode | null = base;
      for (let depth = 0; isBranch(node); depth++) {
        const slot = slotOf(hash, depth);
        const baseChild: TrieNode | null =
          baseNode !== null && isBranch(baseNode) ? (baseNode[slot] ?? null) : null;
        let child: TrieNode | null = node[slot] ?? null;
        if (child === null) node[slot] = child = emptyLeaf();
        else if (child === baseChild) node[slot] = child = copyNode(child);
        node = child;
        baseNode = baseChild;
      }
      const leaf: Leaf = node;
      // The entry's place in the copied leaf (an earlier change of this build may have moved it).
      const index = !existed ? -1 : moved ? indexIn(leaf, hash, key) : at;
      if (value === REMOVED) {
        // Order within a leaf means nothing: the last entry fills the hole.
        moved = true;
        const last = leaf.length - STRIDE;
        for (let j = 0; j < STRIDE; j++) leaf[index + j] = leaf[last + j];
        leaf.length = last;
        continue;
      }
      let stored: unknown;
      try {
        stored = copy ? freezeDeep(copyData(value)) : freezeDeep(value);
      } catch (err) {
        // A cycle recurses until the stack is exhausted.
        throw unstorableEntry(key, value, err);
      }
      let a = NaN;
      let b = NaN;
      if (hashed) {
        entryHashInto(key, stored, entryLanes);
        sumA = (sumA + entryLanes.a) >>> 0;
        sumB = (sumB + entryLanes.b) >>> 0;
        a = entryLanes.a | 0;
        b = entryLanes.b | 0;
      }
      count++;
      if (index >= 0) {
        leaf[index + VALUE] = stored;
        leaf[index + SUM_A] = a;
        leaf[index + SUM_B] = b;
      } else {
        pushEntry(leaf, hash, key, stored, a, b);
        if (leaf.length > LEAF_SIZE * STRIDE) grew = true;
      }
    }
    if (root === base) return this.table;
    if (grew) root = splitLeaves(root, base, 0);
    const keySet =
      added === null && removed === null
        ? this.table.keySet
        : new KeySet(this.table.keySet, (added ?? []).sort(), (removed ?? []).sort(), copy);
    return new StoredTable(root, hashed ? sumA : NaN, hashed ? sumB : NaN, count, keySet);
  }
}

/**
 * Splits every leaf under `node` that holds more than {@link LEAF_SIZE} entries above the last
 * level into a subtree, and returns the node (replaced if it was such a leaf). Only nodes a
 * build copied or made can have grown, and those are the ones that are not `base`'s node at
 * the same place: shared ones are not walked, and copied ones are written in place.
 */
function splitLeaves(node: TrieNode, base: TrieNode | null, depth: number): TrieNode {
  if (!isBranch(node)) return buildNode(node, depth);
  for (let i = 0; i < WIDTH; i++) {
    const child = node[i] ?? null;
    const baseChild = base !== null && isBranch(base) ? (base[i] ?? null) : null;
    if (child === null || child === baseChild) continue;
    const split = splitLeaves(child, baseChild, depth + 1);
    if (split !== child) node[i] = split;
  }
  return node;
}

/** A copy of a node that the build that made it may write. */
function copyNode<N extends TrieNode>(node: N): N {
  return node.slice() as N;
}

/**
 * The root of the state as appliers write it. A large table (a stored trie) is drafted by its
 * {@link TableWork}; assigning a table (a committed view or a table draft) to a top-level key
 * makes that key hold it. Every other top-level value, small tables included, is immer's.
 */
class RootDraft implements ProxyHandler<object> {
  readonly proxy: object;
  /**
   * The draft of each top-level key that holds a table. Two keys share one only when an applier
   * assigned one's draft to the other (as immer shares a draft put in two places); two keys that
   * merely hold the same committed table get a draft each.
   */
  readonly tables = new Map<string, TableWork>();
  /** Every table draft of this draft. */
  private readonly works = new Set<TableWork>();
  /** Top-level keys assigned or deleted in the draft: the others are read from `base`. */
  private readonly written = new Set<string>();
  // Immer's draft of the top level, made at the first use of a key that is not a large table's:
  // a tick whose appliers only touch large tables (the usual one) costs none.
  private immer: StoredState | null = null;

  constructor(private readonly base: StoredState) {
    this.proxy = new Proxy({}, this);
  }

  /** Immer's draft of the top level (made now if it was not yet). */
  get draft(): StoredState {
    return (this.immer ??= createDraft(this.base));
  }

  /** Immer's draft of the top level, or null if nothing needed one: the top level is `base`. */
  get drafted(): StoredState | null {
    return this.immer;
  }

  get(target: object, key: string | symbol): unknown {
    if (typeof key !== 'string') return Reflect.get(target, key);
    const table = this.tableDraft(key);
    if (table !== undefined) return table.proxy;
    if (Object.hasOwn(this.draft, key)) return this.draft[key];
    return Reflect.get(target, key);
  }

  has(target: object, key: string | symbol): boolean {
    return Reflect.has(this.draft, key) || Reflect.has(target, key);
  }

  ownKeys(): (string | symbol)[] {
    return Reflect.ownKeys(this.draft);
  }

  getOwnPropertyDescriptor(_target: object, key: string | symbol): PropertyDescriptor | undefined {
    if (typeof key !== 'string') return undefined;
    // A table drafted already is an own key: spare immer's trap (this is asked after every
    // read through the patch recorder's proxy).
    const known = this.tables.get(key);
    if (known !== undefined)
      return { value: known.proxy, writable: true, enumerable: true, configurable: true };
    if (!Object.hasOwn(this.draft, key)) return undefined;
    const table = this.tableDraft(key);
    const value = table !== undefined ? table.proxy : rawChild(this.draft, key);
    return { value, writable: true, enumerable: true, configurable: true };
  }

  set(_target: object, key: string | symbol, value: unknown): boolean {
    if (typeof key !== 'string') return false;
    this.tables.delete(key);
    this.written.add(key);
    const work = this.workOf(value);
    if (work !== undefined) {
      this.tables.set(key, work);
      this.draft[key] = work.table;
      return true;
    }
    this.draft[key] = tableOfView(value) ?? value;
    return true;
  }

  deleteProperty(_target: object, key: string | symbol): boolean {
    if (typeof key !== 'string') return false;
    this.tables.delete(key);
    this.written.add(key);
    delete this.draft[key];
    return true;
  }

  defineProperty(): boolean {
    throw new TypeError(
      'Object.defineProperty() cannot be used on the state in an applier: assign the property instead.',
    );
  }

  preventExtensions(): boolean {
    return false;
  }

  setPrototypeOf(): boolean {
    return false;
  }

  private tableDraft(key: string): TableWork | undefined {
    const known = this.tables.get(key);
    if (known !== undefined) return known;
    // A value assigned in this draft is the applier's own (immer hands it back as it is); an
    // unwritten key is read from the base directly, which spares immer's traps.
    if (this.written.has(key) || !Object.hasOwn(this.base, key)) return;
    const stored = this.base[key];
    if (!(stored instanceof StoredTable)) return;
    const work = new TableWork(stored);
    this.works.add(work);
    this.tables.set(key, work);
    return work;
  }

  /** The table draft (of this draft) whose proxy `value` is, if it is one. */
  private workOf(value: unknown): TableWork | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const work = workOfProxy(value);
    return work !== undefined && this.works.has(work) ? work : undefined;
  }
}

/**
 * One draft of the state, for one tick or a batch of replayed ticks: `root` is what appliers
 * write to (and listeners read during the tick), `current()` the state as it is now and
 * `finish()` the committed state it leads to.
 */
export class StateDraft {
  /** The draft as appliers see it. */
  readonly root: object;
  private readonly base: StoredState;
  /** The committed state the draft started from, when it was one (a draft that changes nothing ends on it). */
  private readonly baseState: object | null;
  private readonly handler: RootDraft;

  constructor(state: object) {
    const known = knownStorage(state);
    this.baseState = known === undefined ? null : state;
    this.base = known ?? storageOf(state);
    this.handler = new RootDraft(this.base);
    this.root = this.handler.proxy;
  }

  /** The state as the draft holds it now, in committed form (unchanged tables keep theirs). */
  current(): object {
    const top = this.handler.drafted;
    const stored: StoredState = { ...(top === null ? this.base : current(top)) };
    for (const [name, work] of this.handler.tables)
      if (work.touched) stored[name] = work.snapshot();
    return viewState(Object.freeze(stored));
  }

  /**
   * The tables `names` as a query reads them (which entities they hold), when that is what the
   * committed state holds: each large table whose draft added and deleted no entry as its
   * committed view, each other value as committed if the draft did not change it; null when
   * one changed (then `current()` tells). A query of the committed tables is cached: during a
   * tick whose appliers only change entries' values, a listener's query costs no more than
   * outside it, where a new snapshot of the table made each one list and sort every key.
   */
  queryTables(names: readonly string[]): Record<string, unknown> | null {
    const top = this.handler.drafted;
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const work = this.handler.tables.get(name);
      let value: unknown;
      if (work !== undefined) {
        if (work.keysChanged()) return null;
        value = work.table;
      } else {
        value = this.base[name];
        // Immer's draft answers an unchanged key with the base's value, a changed one not.
        if (top !== null && rawChild(top, name) !== value) return null;
      }
      out[name] = value instanceof StoredTable ? value.view : value;
    }
    return out;
  }

  /**
   * Whether a small table of the draft grew past {@link PLAIN_TABLE_SIZE} entries: it becomes a
   * large table when the draft ends, and until then it is drafted by immer. A replay of many
   * ticks on one draft asks after each page of ticks and goes on with a new draft.
   */
  outgrown(): boolean {
    const top = this.handler.drafted;
    // Only immer's values can grow: without its draft, the top level is the base's.
    if (top === null) return false;
    for (const key of Object.keys(top)) {
      if (this.handler.tables.has(key)) continue;
      const value = rawChild(top, key);
      // A value the draft has not touched is the base's: a plain table there is small.
      if (value === this.base[key] || value instanceof StoredTable) continue;
      // Counted with one `ownKeys` trap: `Object.keys` of an immer draft also asks its
      // `getOwnPropertyDescriptor` trap once a key.
      if (isPlainObject(value) && Reflect.ownKeys(value).length > PLAIN_TABLE_SIZE) return true;
    }
    return false;
  }

  /**
   * Ends the draft; returns the committed state. Tables get their path-copied tries or frozen
   * copies, and plain tables that grew past {@link PLAIN_TABLE_SIZE} become tries.
   */
  finish(): object {
    // Large tables first, while immer's drafts are alive: an entry moved into a large table
    // from a small one (or from any other top-level value) is immer's draft until it commits,
    // and `finishDraft` revokes it.
    for (const work of this.handler.tables.values()) if (work.touched) work.commit();
    const top = this.handler.drafted;
    const stored = top === null ? this.base : finishDraft<StoredState>(top);
    let changed: StoredState | null = null;
    for (const [name, work] of this.handler.tables) {
      if (!work.touched) continue;
      const table = work.commit();
      if (table !== stored[name]) (changed ??= { ...stored })[name] = table;
    }
    if (stored === this.base && changed === null) return this.baseState ?? viewState(stored);
    for (const name of Object.keys(stored)) {
      const table = stored[name];
      if (table === this.base[name] || table instanceof StoredTable) continue;
      if (isLargeTable(table)) (changed ??= { ...stored })[name] = storeTable(table);
    }
    return viewState(changed === null ? stored : Object.freeze(changed));
  }
}
