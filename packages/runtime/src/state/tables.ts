import { createDraft, current, finishDraft, immerable } from 'immer';

// How component tables are stored. A table looks like a plain object keyed by entity id. Small
// ones are plain objects; one of more than 64 entries holds them in a hash trie of plain objects
// and arrays: branches of 32 slots picked by five bits of the key's hash, leaves of at most 32
// entries. Immer drafts the trie like any
// other tree, so a change copies one leaf and the branches above it (a few dozen slots),
// whatever the size of the table, and a committed state shares every untouched node with the
// state before it. Users never see the trie: committed tables are read-only proxies
// (`TableView`), and appliers write through proxies over the trie's drafts (`TableDraft`).

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;
const LEAF_SIZE = 32;
// 32-bit hashes give six full levels; a leaf at the last level holds every key left there.
const MAX_DEPTH = 6;

type Leaf = Record<string, unknown>;
type Branch = (TrieNode | null)[];
type TrieNode = Leaf | Branch;

// A table of at most this many entries stays a plain object (immer copies it whole, as cheap as
// copying a leaf); one that grows past it becomes a trie when its draft ends.
const PLAIN_TABLE_SIZE = 64;

/** A table stored as a trie: the root of its trie (immer drafts it like a plain object). */
class StoredTable {
  static [immerable] = true;
  constructor(public root: TrieNode) {}
}

/** The state as stored: large tables as {@link StoredTable}, every other value as is. */
type StoredState = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** FNV-1a over the key's UTF-16 units, finished by murmur3's mixer so every bit counts. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function slotOf(hash: number, depth: number): number {
  return (hash >>> (depth * BITS)) & MASK;
}

/** A node's own value under `key` without making immer draft it (drafts give their latest). */
function rawChild(node: object, key: string | number): unknown {
  return Reflect.getOwnPropertyDescriptor(node, key)?.value;
}

/**
 * Builds the subtree at `depth` holding `entries` (keys all sharing the path to it). A subtree
 * built inside a draft (a leaf split) stays unfrozen: immer finalises the drafts it holds only
 * in objects it may still walk, and freezes it when the draft ends.
 */
function buildNode(
  entries: readonly (readonly [string, unknown])[],
  depth: number,
  frozen: boolean,
): TrieNode {
  if (entries.length <= LEAF_SIZE || depth >= MAX_DEPTH) {
    const leaf: Leaf = {};
    for (const [key, value] of entries) leaf[key] = value;
    return frozen ? Object.freeze(leaf) : leaf;
  }
  const slots: (readonly [string, unknown])[][] = Array.from({ length: WIDTH }, () => []);
  for (const entry of entries) (slots[slotOf(hashKey(entry[0]), depth)] as unknown[]).push(entry);
  const branch = slots.map((s) => (s.length === 0 ? null : buildNode(s, depth + 1, frozen)));
  return frozen ? (Object.freeze(branch) as Branch) : branch;
}

/** Every key of a (committed or draft) subtree, unsorted. */
function collectKeys(node: TrieNode | null, out: string[]): void {
  if (node === null || node === undefined) return;
  if (Array.isArray(node)) {
    for (let i = 0; i < WIDTH; i++) collectKeys(rawChild(node, i) as TrieNode | null, out);
  } else for (const key of Object.keys(node)) out.push(key);
}

/** Every entry of a subtree, as raw values (a draft's latest values, never new drafts). */
function collectEntries(node: TrieNode | null, out: [string, unknown][]): void {
  if (node === null || node === undefined) return;
  if (Array.isArray(node)) {
    for (let i = 0; i < WIDTH; i++) collectEntries(rawChild(node, i) as TrieNode | null, out);
  } else for (const key of Object.keys(node)) out.push([key, rawChild(node, key)]);
}

/** The leaf that holds or would hold `key`, reading raw values only (null: no such leaf). */
function rawLeaf(table: StoredTable, key: string): Leaf | null {
  let node = rawChild(table, 'root') as TrieNode | null;
  const hash = hashKey(key);
  for (let depth = 0; Array.isArray(node); depth++) {
    node = rawChild(node, slotOf(hash, depth)) as TrieNode | null;
    if (node === null || node === undefined) return null;
  }
  return node;
}

function sortedKeys(table: StoredTable): string[] {
  const keys: string[] = [];
  collectKeys(rawChild(table, 'root') as TrieNode, keys);
  return keys.sort();
}

function storeTable(plain: object): StoredTable {
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(plain))
    entries.push([key, (plain as Record<string, unknown>)[key]]);
  return Object.freeze(new StoredTable(buildNode(entries, 0, true)));
}

// ---- Committed tables ---------------------------------------------------------------------

const views = new WeakMap<object, object>();
const tableOfView = new WeakMap<object, StoredTable>();

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
  private keys: string[] | null = null;
  private materialised = false;

  constructor(private readonly table: StoredTable) {}

  get(target: object, key: string | symbol): unknown {
    if (typeof key === 'string' && !this.materialised) {
      const leaf = rawLeaf(this.table, key);
      if (leaf !== null && Object.hasOwn(leaf, key)) return leaf[key];
    }
    return Reflect.get(target, key);
  }

  has(target: object, key: string | symbol): boolean {
    if (typeof key === 'string' && !this.materialised) {
      const leaf = rawLeaf(this.table, key);
      if (leaf !== null && Object.hasOwn(leaf, key)) return true;
    }
    return Reflect.has(target, key);
  }

  ownKeys(target: object): (string | symbol)[] {
    if (this.materialised) return Reflect.ownKeys(target);
    this.keys ??= sortedKeys(this.table);
    return this.keys;
  }

  getOwnPropertyDescriptor(target: object, key: string | symbol): PropertyDescriptor | undefined {
    if (this.materialised) return Reflect.getOwnPropertyDescriptor(target, key);
    if (typeof key !== 'string') return undefined;
    const leaf = rawLeaf(this.table, key);
    if (leaf === null || !Object.hasOwn(leaf, key)) return undefined;
    return { value: leaf[key], writable: false, enumerable: true, configurable: true };
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

  preventExtensions(target: object): boolean {
    if (!this.materialised) {
      for (const key of this.ownKeys(target) as string[]) {
        const leaf = rawLeaf(this.table, key) as Leaf;
        Object.defineProperty(target, key, {
          value: leaf[key],
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

function viewOf(table: StoredTable): object {
  let view = views.get(table);
  if (view === undefined) {
    view = new Proxy({}, new TableView(table));
    views.set(table, view);
    tableOfView.set(view, table);
  }
  return view;
}

const stateOfStorage = new WeakMap<object, object>();
const storageOfState = new WeakMap<object, StoredState>();

/** The user-facing state of a stored one: each table behind a read-only view, frozen. */
function viewState(stored: StoredState): object {
  const known = stateOfStorage.get(stored);
  if (known !== undefined) return known;
  const state: Record<string, unknown> = {};
  for (const key of Object.keys(stored)) {
    const value = stored[key];
    state[key] = value instanceof StoredTable ? viewOf(value) : value;
  }
  Object.freeze(state);
  stateOfStorage.set(stored, state);
  storageOfState.set(state, stored);
  return state;
}

function isLargeTable(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).length > PLAIN_TABLE_SIZE;
}

/** The stored form of a state: one of ours as it is, a plain one (initial, snapshot) built. */
function storageOf(state: object): StoredState {
  const known = storageOfState.get(state);
  if (known !== undefined) return known;
  const stored: StoredState = {};
  for (const key of Object.keys(state)) {
    const value = (state as Record<string, unknown>)[key];
    const table = typeof value === 'object' && value !== null ? tableOfView.get(value) : undefined;
    if (table !== undefined) stored[key] = table;
    else if (isLargeTable(value)) stored[key] = storeTable(value);
    else stored[key] = value;
  }
  return stored;
}

/**
 * The committed form of a state: a top-level plain object of more than 64 entries is stored as
 * a trie and shown as a read-only view over it; smaller values stay as they are. A state
 * already in that form is returned as it is.
 */
export function committedState<S extends object>(state: S): S {
  if (storageOfState.has(state)) return state;
  return viewState(storageOf(state)) as S;
}

/** A committed table as the hasher sees it: an opaque handle, compared by identity. */
export type StoredTableHandle = object;

/**
 * The stored table behind a committed table view, or undefined for anything else. Two versions
 * of a table share every node they have in common, which {@link diffTables} relies on.
 */
export function storedTableOf(value: unknown): StoredTableHandle | undefined {
  return typeof value === 'object' && value !== null ? tableOfView.get(value) : undefined;
}

/** What {@link diffTables} reports, entry by entry. */
export interface TableChanges {
  /** `key` was added (`existed` false) or holds another value than before (`existed` true). */
  set(key: string, value: unknown, existed: boolean): void;
  remove(key: string): void;
}

/** Calls `visit` for every entry of a committed table, in no particular order. */
export function eachEntry(
  table: StoredTableHandle,
  visit: (key: string, value: unknown) => void,
): void {
  const entries: [string, unknown][] = [];
  collectEntries((table as StoredTable).root, entries);
  for (const [key, value] of entries) visit(key, value);
}

/**
 * Reports how `next` differs from `prev`, visiting only the nodes that are not shared: a tick
 * that changed a few entries of a large table costs a few leaves, not the table.
 */
export function diffTables(
  prev: StoredTableHandle,
  next: StoredTableHandle,
  changes: TableChanges,
): void {
  diffNodes((prev as StoredTable).root, (next as StoredTable).root, changes);
}

function diffNodes(prev: TrieNode | null, next: TrieNode | null, changes: TableChanges): void {
  if (prev === next) return;
  if (Array.isArray(prev) && Array.isArray(next)) {
    for (let i = 0; i < WIDTH; i++) diffNodes(prev[i] ?? null, next[i] ?? null, changes);
    return;
  }
  if (prev !== null && next !== null && !Array.isArray(prev) && !Array.isArray(next)) {
    for (const key of Object.keys(next)) {
      const value = next[key];
      if (!Object.hasOwn(prev, key)) changes.set(key, value, false);
      else if (prev[key] !== value) changes.set(key, value, true);
    }
    for (const key of Object.keys(prev)) if (!Object.hasOwn(next, key)) changes.remove(key);
    return;
  }
  // A leaf that split (or an emptied slot): compare the two subtrees' entries.
  const before: [string, unknown][] = [];
  const after: [string, unknown][] = [];
  collectEntries(prev, before);
  collectEntries(next, after);
  const old = new Map(before);
  for (const [key, value] of after) {
    if (!old.has(key)) changes.set(key, value, false);
    else if (old.get(key) !== value) changes.set(key, value, true);
    old.delete(key);
  }
  for (const key of old.keys()) changes.remove(key);
}

// ---- Drafts -------------------------------------------------------------------------------

/** A table as appliers write it: a proxy over the immer draft of its trie. */
class TableDraft implements ProxyHandler<object> {
  readonly proxy: object;

  constructor(
    readonly table: StoredTable,
    private readonly inserted: string[],
    /**
     * What `get` returned per key, shared by every `TableDraft` of the same table draft. Only
     * this class writes the trie's leaves, so forgetting a key when it is written keeps it
     * right, and a tick (or a replayed page of ticks) that reads an entry again pays a lookup.
     */
    private readonly read: Map<string, unknown>,
  ) {
    this.proxy = new Proxy({}, this);
  }

  get(target: object, key: string | symbol): unknown {
    if (typeof key !== 'string') return Reflect.get(target, key);
    const known = this.read.get(key);
    if (known !== undefined) return known;
    // Read through immer at every level, so an object value comes back as its draft (and a
    // missing key falls back to the prototype, as on a drafted plain object).
    let node: TrieNode | null = this.table.root;
    const hash = hashKey(key);
    for (let depth = 0; Array.isArray(node); depth++) {
      node = node[slotOf(hash, depth)] as TrieNode | null;
      if (node === null || node === undefined) return Reflect.get(target, key);
    }
    const value = node[key];
    if (value !== undefined) this.read.set(key, value);
    return value;
  }

  has(target: object, key: string | symbol): boolean {
    if (typeof key === 'string') {
      const leaf = rawLeaf(this.table, key);
      if (leaf !== null && Object.hasOwn(leaf, key)) return true;
    }
    return Reflect.has(target, key);
  }

  ownKeys(): string[] {
    return sortedKeys(this.table);
  }

  getOwnPropertyDescriptor(_target: object, key: string | symbol): PropertyDescriptor | undefined {
    if (typeof key !== 'string') return undefined;
    const leaf = rawLeaf(this.table, key);
    if (leaf === null || !Object.hasOwn(leaf, key)) return undefined;
    return { value: rawChild(leaf, key), writable: true, enumerable: true, configurable: true };
  }

  set(target: object, key: string | symbol, value: unknown): boolean {
    if (typeof key !== 'string') return Reflect.set(target, key, value);
    const hash = hashKey(key);
    let node = this.table.root;
    for (let depth = 0; Array.isArray(node); depth++) {
      const s = slotOf(hash, depth);
      let child = node[s] as TrieNode | null;
      if (child === null || child === undefined) {
        node[s] = {};
        child = node[s];
      }
      node = child;
    }
    // A leaf that outgrows its size is split when the draft ends (see `splitLeaves`): a subtree
    // built here would hold raw values where immer hands out drafts.
    if (!Object.hasOwn(node, key)) this.inserted.push(key);
    this.read.delete(key);
    node[key] = value;
    return true;
  }

  deleteProperty(target: object, key: string | symbol): boolean {
    if (typeof key !== 'string') return Reflect.deleteProperty(target, key);
    const leaf = rawLeaf(this.table, key);
    if (leaf === null || !Object.hasOwn(leaf, key)) return true;
    let node = this.table.root;
    const hash = hashKey(key);
    for (let depth = 0; Array.isArray(node); depth++) node = node[slotOf(hash, depth)] as TrieNode;
    this.read.delete(key);
    delete node[key];
    return true;
  }

  defineProperty(): boolean {
    throw new TypeError(
      'Object.defineProperty() cannot be used on a table in an applier: assign the entry instead.',
    );
  }

  preventExtensions(): boolean {
    return false;
  }

  setPrototypeOf(): boolean {
    return false;
  }
}

/**
 * The root of the state as appliers write it. A top-level plain object is a table: reading it
 * gives its {@link TableDraft}, assigning an object (plain, a table view or a table draft) to a
 * top-level key makes that object the table. Every other top-level value is immer's as usual.
 */
class RootDraft implements ProxyHandler<object> {
  readonly proxy: object;
  private readonly tables = new Map<string, TableDraft>();
  /** The read caches of the table drafts, per table draft (two keys may hold one). */
  private readonly reads = new Map<StoredTable, Map<string, unknown>>();
  /** Keys inserted per table during the draft, whose leaves may need splitting. */
  readonly inserted = new Map<string, string[]>();

  constructor(private readonly draft: StoredState) {
    this.proxy = new Proxy({}, this);
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
    if (typeof key !== 'string' || !Object.hasOwn(this.draft, key)) return undefined;
    const table = this.tableDraft(key);
    const value = table !== undefined ? table.proxy : rawChild(this.draft, key);
    return { value, writable: true, enumerable: true, configurable: true };
  }

  set(_target: object, key: string | symbol, value: unknown): boolean {
    if (typeof key !== 'string') return false;
    this.tables.delete(key);
    const table = this.asTable(value);
    this.draft[key] = table ?? value;
    return true;
  }

  deleteProperty(_target: object, key: string | symbol): boolean {
    if (typeof key !== 'string') return false;
    this.tables.delete(key);
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

  private tableDraft(key: string): TableDraft | undefined {
    const known = this.tables.get(key);
    if (known !== undefined) return known;
    if (!(rawChild(this.draft, key) instanceof StoredTable)) return;
    let inserted = this.inserted.get(key);
    if (inserted === undefined) {
      inserted = [];
      this.inserted.set(key, inserted);
    }
    const stored = this.draft[key] as StoredTable;
    let read = this.reads.get(stored);
    if (read === undefined) {
      read = new Map();
      this.reads.set(stored, read);
    }
    const table = new TableDraft(stored, inserted, read);
    this.tables.set(key, table);
    return table;
  }

  /** The stored table for a value assigned at the top level, or undefined if it is none. */
  private asTable(value: unknown): StoredTable | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    for (const table of this.tables.values()) if (table.proxy === value) return table.table;
    return tableOfView.get(value);
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
  private readonly draft: StoredState;
  private readonly handler: RootDraft;

  constructor(state: object) {
    this.base = storageOf(state);
    this.draft = createDraft(this.base);
    this.handler = new RootDraft(this.draft);
    this.root = this.handler.proxy;
  }

  /** The state as the draft holds it now, in committed form (unchanged tables keep theirs). */
  current(): object {
    return viewState(current(this.draft));
  }

  /**
   * Ends the draft; returns the committed state. Trie leaves that grew past their size are
   * split, and plain tables that grew past {@link PLAIN_TABLE_SIZE} become tries.
   */
  finish(): object {
    const stored = finishDraft(this.draft);
    if (stored === this.base) return viewState(stored);
    let changed: StoredState | null = null;
    for (const name of Object.keys(stored)) {
      const table = stored[name];
      if (table === this.base[name]) continue;
      let next: unknown = table;
      if (table instanceof StoredTable) {
        const keys = this.handler.inserted.get(name);
        if (keys !== undefined && keys.length > 0) next = splitLeaves(table, keys);
      } else if (isLargeTable(table)) next = storeTable(table);
      if (next !== table) (changed ??= { ...stored })[name] = next;
    }
    return viewState(changed === null ? stored : Object.freeze(changed));
  }
}

/**
 * Splits the leaves that grew past their size while a draft ran (where `keys` were inserted),
 * copying the branches above them; everything else stays shared.
 */
function splitLeaves(table: StoredTable, keys: readonly string[]): StoredTable {
  const fresh = new Set<Branch>();
  const own = (branch: Branch): Branch => {
    if (fresh.has(branch)) return branch;
    const copy = branch.slice();
    fresh.add(copy);
    return copy;
  };
  let root = table.root;
  for (const key of keys) {
    const hash = hashKey(key);
    const path: Branch[] = [];
    let node: TrieNode | null = root;
    while (Array.isArray(node)) {
      path.push(node);
      node = node[slotOf(hash, path.length - 1)] ?? null;
    }
    const depth = path.length;
    if (node === null || depth >= MAX_DEPTH) continue;
    const leaf: Leaf = node;
    const leafKeys = Object.keys(leaf);
    if (leafKeys.length <= LEAF_SIZE) continue;
    let replacement: TrieNode = buildNode(
      leafKeys.map((k) => [k, leaf[k]] as const),
      depth,
      true,
    );
    let d = depth - 1;
    for (; d >= 0; d--) {
      const original = path[d] as Branch;
      const parent = own(original);
      parent[slotOf(hash, d)] = replacement;
      // A branch copied earlier in this pass is already linked from its (copied) parents.
      if (parent === original) break;
      replacement = parent;
    }
    if (d < 0) root = replacement;
  }
  if (root === table.root) return table;
  for (const branch of fresh) Object.freeze(branch);
  return Object.freeze(new StoredTable(root));
}
