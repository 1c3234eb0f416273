import { current, isDraft, type Patch } from 'immer';
import { draftedTableKeys } from './tables.ts';

/** A patch path: keys from the state's root, array indices as numbers (immer's shape). */
type Path = (string | number)[];

/** One event's patches: forward in write order, inverse to be applied in their order to undo. */
export interface RecordedPatches {
  readonly patches: Patch[];
  readonly inverse: Patch[];
}

// Array methods that move elements: run on the draft itself and recorded as one replacement of
// the whole array. Through the recording proxy they would read each moved element as a proxy
// and write it back elsewhere, which looks like aliasing and costs a patch per index anyway.
const REWRITES = new Set(['shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin']);

const ROOT_PATHS: readonly Path[] = [[]];
const NO_PATHS: readonly Path[] = [];

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** An array index written as a property key ("0", "17"), as a number; -1 otherwise. */
function indexOf(key: string): number {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && String(n) === key && n < 4294967295 ? n : -1;
}

/** The value under `key` without making immer draft it. */
function rawGet(obj: object, key: string | number): unknown {
  if (isDraft(obj)) return Reflect.getOwnPropertyDescriptor(obj, key)?.value;
  return Object.hasOwn(obj, key) ? (obj as Record<string | number, unknown>)[key] : undefined;
}

/**
 * A plain, unchanging copy of a value as it is now: primitives and frozen values as they are
 * (frozen values are committed state, which never changes), drafts through immer's `current`,
 * objects new in this tick copied deeply (they stay mutable in the draft).
 */
function snapshot(value: unknown): unknown {
  if (!isObject(value) || Object.isFrozen(value)) return value;
  if (isDraft(value)) return current(value);
  if (Array.isArray(value)) return value.map(snapshot);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    copy[key] = snapshot((value as Record<string, unknown>)[key]);
  return copy;
}

/** True when `path` begins with every key of `prefix`. */
function startsWith(path: readonly (string | number)[], prefix: readonly (string | number)[]) {
  if (path.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/**
 * Applies patches to a plain value, as immer's `applyPatches` does, without changing it: each
 * object on a patch's path is copied once, and patch values are put in as copies (as immer
 * does: the result shares nothing writable with the patches). A patch with an empty path puts a
 * whole value there, so what came before it (patches about whatever was there before) is not
 * applied. Keys are own keys whatever their name: immer's `applyPatches` refuses a path through
 * `constructor` or `__proto__`, which halted a tick with patches on (a word count keyed by
 * words from a payload) that commits with patches off.
 * @throws Error when a patch's path does not lead to an object
 */
function applyPatchesTo(value: unknown, patches: readonly Patch[]): unknown {
  let out = value;
  let start = 0;
  for (let i = patches.length - 1; i >= 0; i--) {
    const p = patches[i] as Patch;
    if (p.path.length === 0) {
      out = p.op === 'remove' ? undefined : p.value;
      start = i + 1;
      break;
    }
  }
  if (start === patches.length || !isObject(out)) return out;
  const copies = new Set<object>();
  const own = <T extends object>(obj: T): T => {
    if (copies.has(obj)) return obj;
    let copy: object;
    if (Array.isArray(obj)) copy = obj.slice();
    else if (ArrayBuffer.isView(obj)) copy = (obj as unknown as Uint8Array).slice();
    else {
      const record: Record<string, unknown> = {};
      for (const key of Object.keys(obj))
        setOwn(record, key, (obj as Record<string, unknown>)[key]);
      copy = record;
    }
    copies.add(copy);
    return copy as T;
  };
  out = own(out);
  for (let i = start; i < patches.length; i++) {
    const { op, path } = patches[i] as Patch;
    const patchValue = snapshot((patches[i] as Patch).value);
    let node = out as Record<string | number, unknown>;
    for (let j = 0; j < path.length - 1; j++) {
      const key = path[j] as string | number;
      const child = Object.hasOwn(node, key) ? node[key] : undefined;
      if (!isObject(child)) throw new Error(`The patch path ${path.join('/')} does not resolve.`);
      const copy = own(child);
      if (copy !== child) setOwn(node, key, copy);
      node = copy as Record<string | number, unknown>;
    }
    const key = path[path.length - 1] as string | number;
    if (Array.isArray(node)) {
      if (op === 'add') {
        if (key === '-') node.push(patchValue);
        else node.splice(Number(key), 0, patchValue);
      } else if (op === 'remove') node.splice(Number(key), 1);
      else (node as unknown as Record<string | number, unknown>)[key] = patchValue;
    } else if (op === 'remove') delete node[key];
    else setOwn(node, key, patchValue);
  }
  for (const copy of copies) if (!ArrayBuffer.isView(copy)) Object.freeze(copy);
  return out;
}

/** Writes an own property, `__proto__` included (an assignment would set the prototype). */
function setOwn(obj: Record<string | number, unknown>, key: string | number, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  else obj[key] = value;
}

/** Structural equality of plain data (what snapshots hold). */
function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!isObject(a) || !isObject(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length)
      return false;
    return a.every((byte, i) => byte === b[i]);
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
      return false;
  }
  return true;
}

/** The proxy of one object of the draft tree, and where it was last known to be. */
class Node implements ProxyHandler<object> {
  readonly proxy: object;
  readonly isArray: boolean;
  // Frozen objects are handed out as they are: a proxy's `get` may not return another value
  // than a frozen target holds, and writing to them throws anyway.
  readonly frozen: boolean;

  constructor(
    readonly rec: PatchRecorder,
    readonly target: object,
    /** The path it was reached by, or null when unknown. */
    public path: Path | null,
    /** The recorder's generation at which `path` was known to be right. */
    public gen: number,
  ) {
    this.isArray = Array.isArray(target);
    this.frozen = !isDraft(target) && Object.isFrozen(target);
    this.proxy = new Proxy(target, this);
  }

  get(target: object, key: string | symbol): unknown {
    const value: unknown = Reflect.get(target, key);
    if (typeof key === 'symbol') return value;
    if (!isObject(value)) {
      if (this.isArray && typeof value === 'function' && REWRITES.has(key))
        return this.rewrite(key, value as (...args: unknown[]) => unknown);
      return value;
    }
    if (this.frozen) return value;
    return this.rec.child(this, key, value);
  }

  set(target: object, key: string | symbol, value: unknown): boolean {
    if (typeof key === 'symbol') return Reflect.set(target, key, value);
    const stored = this.rec.adopt(value);
    const mark = this.rec.mark(this, key);
    const done = this.isArray
      ? this.rec.writeArray(this, key, stored, () => Reflect.set(target, key, stored))
      : this.rec.writeObject(this, key, stored, false);
    if (done) this.rec.noteInserted(stored, mark);
    return done;
  }

  deleteProperty(target: object, key: string | symbol): boolean {
    if (typeof key === 'symbol') return Reflect.deleteProperty(target, key);
    this.rec.mark(this, key);
    if (this.isArray)
      return this.rec.writeArray(this, key, undefined, () => Reflect.deleteProperty(target, key));
    return this.rec.writeObject(this, key, undefined, true);
  }

  defineProperty(): boolean {
    throw new TypeError(
      'Object.defineProperty() cannot be used on the draft of an applier: assign the property instead.',
    );
  }

  private rewrite(
    name: string,
    method: (...args: unknown[]) => unknown,
  ): (...args: unknown[]) => unknown {
    return (...args: unknown[]) => this.rec.rewriteArray(this, name, method, args);
  }
}

/**
 * Records the patches of each event while the tick's appliers write to ONE immer draft.
 *
 * Appliers get {@link PatchRecorder.root}, a proxy over the tick's draft that forwards every
 * read and write to it (so the state is exactly what the appliers make of the draft without
 * patches) and, for each write at any depth, records immer patches: the path, `add` or
 * `replace` by whether the key existed, `remove` for a deletion, with plain snapshots of the
 * new and the old value. Forward patches come in write order, inverse patches in reverse order,
 * so `applyPatches(before, patches)` gives the state after the event and
 * `applyPatches(after, inverse)` the state before it.
 *
 * Where an object lives is known from the path it was reached by. That path stays right until a
 * write moves or detaches objects (overwriting or deleting an object, shrinking or reordering an
 * array): each such write bumps a generation, and a path from an older generation is checked
 * against the draft before use, or the object is searched for. Once an applier puts an object
 * that already lives in the draft somewhere else (aliasing: `d.b = d.a`), every write of the
 * tick searches the draft for all the places its object lives and patches each of them.
 *
 * Writes through a plain reference an applier kept to a new object it assigned into the draft
 * (`(d.t[k] ??= []).push(x)`, `(d.t[k] ||= {}).n = 1`, `Object.assign((d.t[k] = {}), props)`,
 * `const u = {}; d.units[id] = u; u.hp = 2`) are not seen by the proxy. So each object assigned
 * in an event is checked when the event ends: when it no longer holds what its patch and the
 * later patches under it say, a `replace` of it with what it holds is added (its inverse puts
 * back what the patches said), so the patches stay right both ways.
 */
export class PatchRecorder {
  /** The proxy appliers write to. */
  readonly root: object;
  private readonly rootNode: Node;
  private readonly byTarget = new Map<object, Node>();
  private readonly byProxy = new Map<object, Node>();
  // Objects new in this tick, put into the draft through the proxy: assigning one again puts it
  // in a second place.
  private readonly inserted = new Set<object>();
  private gen = 0;
  private aliased = false;
  // New objects assigned in this event: what the patches say each holds (`said`) as of patch
  // `from`, at `path`. Checked before every recorded write and when the event ends.
  private assigned: { readonly value: object; path: Path; said: unknown; from: number }[] = [];
  private patches: Patch[] = [];
  // Inverse patches in the reverse of the order they apply in; `take` turns them around.
  private inverse: Patch[] = [];

  constructor(private readonly draft: object) {
    this.rootNode = new Node(this, draft, [], 0);
    this.root = this.rootNode.proxy;
    this.byTarget.set(draft, this.rootNode);
    this.byProxy.set(this.root, this.rootNode);
  }

  /** The patches recorded since the last call (one event's), or null when it wrote nothing. */
  take(): RecordedPatches | null {
    this.checkAssigned(null);
    this.assigned = [];
    if (this.patches.length === 0) return null;
    const patches = this.patches;
    const inverse = this.inverse.reverse();
    this.patches = [];
    this.inverse = [];
    return { patches, inverse };
  }

  /** Drops what was recorded since the last `take` (an applier failed). */
  discard(): void {
    this.patches = [];
    this.inverse = [];
    this.assigned = [];
  }

  /**
   * Called before each write: follows the new objects assigned earlier (see `checkAssigned`),
   * then returns where the write's patches will start.
   */
  mark(node: Node, key: string | null): number {
    if (this.assigned.length > 0) this.checkAssigned(this.writePath(node, key));
    return this.patches.length;
  }

  /**
   * The path a write will touch, when known cheaply (no aliasing, the node's path current);
   * null when any followed object may be touched.
   */
  private writePath(node: Node, key: string | null): Path | null {
    if (this.aliased || node.path === null || (node !== this.rootNode && node.gen !== this.gen))
      return null;
    if (key === null) return node.path;
    const index = node.isArray ? indexOf(key) : -1;
    return [...node.path, index >= 0 ? index : key];
  }

  /**
   * Notes a new object just assigned into the draft, whose patch (if its place is known) starts
   * at `mark`: the applier may keep writing to it through its own reference.
   */
  noteInserted(stored: unknown, mark: number): void {
    if (!isObject(stored) || isDraft(stored) || Object.isFrozen(stored)) return;
    if (this.byProxy.has(stored)) return;
    // Growing an array past its end patches its length first.
    for (let i = mark; i < this.patches.length; i++) {
      const p = this.patches[i] as Patch;
      if (p.op !== 'remove' && isObject(p.value)) {
        this.assigned.push({ value: stored, path: p.path, said: p.value, from: i + 1 });
        return;
      }
    }
  }

  // --- Called by the nodes -------------------------------------------------------------------

  child(parent: Node, key: string, value: object): object {
    const known = this.byTarget.get(value);
    if (known !== undefined) return known.proxy;
    let path: Path | null = null;
    if (parent.path !== null) {
      const index = parent.isArray ? indexOf(key) : -1;
      path = [...parent.path, index >= 0 ? index : key];
    }
    return this.node(value, path, parent === this.rootNode ? this.gen : parent.gen).proxy;
  }

  /**
   * The value to store for `value`: the object behind a proxy of this recorder (what the applier
   * would have held without patches), also inside new objects. Notes aliasing.
   */
  adopt(value: unknown): unknown {
    if (!isObject(value)) return value;
    const node = this.byProxy.get(value);
    if (node !== undefined) {
      this.aliased = true;
      return node.target;
    }
    if (isDraft(value)) {
      this.aliased = true;
      return value;
    }
    if (!Object.isFrozen(value)) this.scan(value);
    return value;
  }

  writeObject(node: Node, key: string, stored: unknown, remove: boolean): boolean {
    const target = node.target;
    const desc = Reflect.getOwnPropertyDescriptor(target, key);
    const existed = desc !== undefined;
    const old: unknown = desc?.value;
    if (remove ? !existed : existed && Object.is(old, stored)) {
      return remove ? Reflect.deleteProperty(target, key) : Reflect.set(target, key, stored);
    }
    const paths = this.locate(node);
    const before = existed && paths.length > 0 ? snapshot(old) : undefined;
    const done = remove ? Reflect.deleteProperty(target, key) : Reflect.set(target, key, stored);
    if (!done) return false;
    if (isObject(old)) this.gen++;
    if (paths.length === 0) return true;
    const after = remove ? undefined : snapshot(stored);
    for (const base of paths) {
      const path = [...base, key];
      if (remove) this.patches.push({ op: 'remove', path });
      else this.patches.push({ op: existed ? 'replace' : 'add', path, value: after });
      this.inverse.push(
        existed ? { op: remove ? 'add' : 'replace', path, value: before } : { op: 'remove', path },
      );
    }
    return true;
  }

  /**
   * A write to an array (an index, `length`, or a deletion, which immer turns into writing
   * `undefined`): `write` performs it on the target, and the patches follow from the length
   * and the element before and after.
   */
  writeArray(node: Node, key: string, stored: unknown, write: () => boolean): boolean {
    const target = node.target as unknown[];
    const index = indexOf(key);
    const lengthBefore = target.length;
    const old: unknown = index >= 0 ? rawGet(target, index) : undefined;
    if (key !== 'length' && index < 0) {
      // A named property on an array is no state (it is not encoded); record it as a plain key.
      const paths = this.locate(node);
      if (!write()) return false;
      for (const base of paths) {
        const path = [...base, key];
        this.patches.push({ op: 'replace', path, value: snapshot(rawGet(target, key)) });
        this.inverse.push({ op: 'replace', path, value: snapshot(old) });
      }
      return true;
    }
    const paths = this.locate(node);
    const removed: unknown[] = [];
    if (key === 'length' && paths.length > 0) {
      const cut = Number(stored);
      for (let i = Number.isInteger(cut) && cut >= 0 ? cut : lengthBefore; i < lengthBefore; i++)
        removed[i] = rawGet(target, i);
    }
    const before =
      index >= 0 && index < lengthBefore && paths.length > 0 ? snapshot(old) : undefined;
    if (!write()) return false;
    const lengthAfter = target.length;
    if (index >= 0) {
      const value: unknown = rawGet(target, index);
      if (index < lengthBefore) {
        if (Object.is(value, old)) return true;
        if (isObject(old)) this.gen++;
        const after = snapshot(value);
        for (const base of paths) {
          const path = [...base, index];
          this.patches.push({ op: 'replace', path, value: after });
          this.inverse.push({ op: 'replace', path, value: before });
        }
      } else if (lengthAfter !== lengthBefore) {
        const after = snapshot(value);
        for (const base of paths) {
          const path = [...base, index];
          if (index > lengthBefore) {
            this.patches.push({ op: 'replace', path: [...base, 'length'], value: index });
            this.inverse.push({ op: 'replace', path: [...base, 'length'], value: lengthBefore });
          }
          this.patches.push({ op: 'add', path, value: after });
          this.inverse.push({ op: 'remove', path });
        }
      }
      return true;
    }
    if (lengthAfter === lengthBefore) return true;
    if (lengthAfter < lengthBefore) this.gen++;
    for (const base of paths) {
      const path = [...base, 'length'];
      this.patches.push({ op: 'replace', path, value: lengthAfter });
      if (lengthAfter > lengthBefore) {
        this.inverse.push({ op: 'replace', path, value: lengthBefore });
      } else {
        // Undoing a shrink adds the cut elements back, first to last: pushed last to first.
        for (let i = lengthBefore - 1; i >= lengthAfter; i--)
          this.inverse.push({ op: 'add', path: [...base, i], value: snapshot(removed[i]) });
      }
    }
    return true;
  }

  /** `splice`, `sort` and the other methods that move elements: one replacement of the array. */
  rewriteArray(
    node: Node,
    name: string,
    method: (...args: unknown[]) => unknown,
    args: unknown[],
  ): unknown {
    if (this.assigned.length > 0) this.checkAssigned(this.writePath(node, null));
    const stored = args.map((a) => this.adopt(a));
    // `fill` puts one object in many places; `copyWithin` copies elements within the array.
    if (name === 'copyWithin' || (name === 'fill' && isObject(stored[0]))) this.aliased = true;
    const paths = this.locate(node);
    const before = paths.length > 0 ? snapshot(node.target) : undefined;
    const result = method.apply(node.target, stored);
    this.gen++;
    if (paths.length > 0) {
      const after = snapshot(node.target);
      for (const path of paths) {
        this.patches.push({ op: 'replace', path: [...path], value: after });
        this.inverse.push({ op: 'replace', path: [...path], value: before });
      }
      // New objects it put in (`unshift(o)`, `splice(i, 0, o)`) may be written to through the
      // applier's own reference afterwards, as after an assignment.
      const array = node.target as unknown[];
      for (const value of stored) {
        if (!isObject(value) || isDraft(value) || Object.isFrozen(value)) continue;
        if (this.byProxy.has(value)) continue;
        const index = array.indexOf(value);
        if (index < 0) continue;
        this.assigned.push({
          value,
          path: [...(paths[0] as Path), index],
          said: snapshot(value),
          from: this.patches.length,
        });
      }
    }
    if (result === node.target) return node.proxy;
    // Removed elements (splice, shift) are handed out as proxies too: an applier may put them
    // back elsewhere and keep writing to them.
    if (Array.isArray(result) && name === 'splice')
      return result.map((v: unknown) =>
        isObject(v) && !Object.isFrozen(v) ? this.detached(v) : v,
      );
    return isObject(result) && !Object.isFrozen(result) ? this.detached(result) : result;
  }

  // --- Internals ------------------------------------------------------------------------------

  /**
   * For each new object assigned in this event: what the patches say it holds (the value its
   * patch put, with the later patches under its path applied) against what it holds. Where they
   * differ, the applier wrote through its own reference since the last check: a `replace` with
   * what it holds is added at each place it lives, and its inverse puts back what the patches
   * said. Run before every recorded write, so later patches apply to what was really there.
   */
  private checkAssigned(touched: Path | null): void {
    if (this.assigned.length === 0) return;
    // A write that touches neither a followed object nor a place above it leaves its patches
    // apart from the object's: those objects are checked later.
    if (
      touched !== null &&
      !this.assigned.some((e) => startsWith(e.path, touched) || startsWith(touched, e.path))
    )
      return;
    // An object no longer in the draft is no state: it is not followed any further.
    this.assigned = this.assigned.filter((entry) => {
      if (this.resolve(entry.path) === entry.value) return true;
      const place = this.placesOf(entry.value)[0];
      if (place === undefined) return false;
      // Moved by a recorded write, whose patch at the new place is among the later ones.
      entry.path = place;
      return true;
    });
    for (const entry of this.assigned) {
      const count = this.patches.length;
      const holds = snapshot(entry.value);
      // Each place the object lives is checked on its own: a write above one place (recorded
      // from the draft itself, object included) covers that place only.
      const places = this.aliased ? this.placesOf(entry.value) : [entry.path];
      for (const place of places) {
        const later: Patch[] = [];
        let covered = false;
        for (let i = entry.from; i < count; i++) {
          const p = this.patches[i] as Patch;
          if (startsWith(p.path, place)) later.push({ ...p, path: p.path.slice(place.length) });
          else if (startsWith(place, p.path)) covered = true;
        }
        if (covered) continue;
        let said: unknown;
        try {
          said = later.length > 0 ? applyPatchesTo(entry.said, later) : entry.said;
        } catch (err) {
          throw new Error(
            `The patches of this event cannot follow the writes made through a plain reference to the object at ${place.join('.')}; write through the draft instead. (${err instanceof Error ? err.message : String(err)})`,
          );
        }
        if (sameData(said, holds)) continue;
        this.patches.push({ op: 'replace', path: [...place], value: holds });
        this.inverse.push({ op: 'replace', path: [...place], value: said });
      }
      entry.said = holds;
      entry.from = this.patches.length;
    }
  }

  /** Every place `target` lives in the draft. */
  private placesOf(target: object): Path[] {
    const found: Path[] = [];
    this.search(this.draft, [], target, found, false);
    return found;
  }

  private node(target: object, path: Path | null, gen: number): Node {
    const node = new Node(this, target, path, gen);
    this.byTarget.set(target, node);
    this.byProxy.set(node.proxy, node);
    return node;
  }

  /** A proxy for an object whose place is unknown (it is searched for when written to). */
  private detached(target: object): object {
    return (this.byTarget.get(target) ?? this.node(target, null, -1)).proxy;
  }

  /** Walks a new value: unwraps proxies inside it, notes objects already in the draft. */
  private scan(value: object): void {
    if (this.inserted.has(value)) this.aliased = true;
    else this.inserted.add(value);
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const child = obj[key];
      if (!isObject(child)) continue;
      const node = this.byProxy.get(child);
      if (node !== undefined) {
        obj[key] = node.target;
        this.aliased = true;
      } else if (isDraft(child)) this.aliased = true;
      else if (!Object.isFrozen(child)) this.scan(child);
    }
  }

  /** Every path at which the node's object now lives in the draft (none when detached). */
  private locate(node: Node): readonly Path[] {
    if (node === this.rootNode) return ROOT_PATHS;
    if (!this.aliased) {
      if (node.gen === this.gen) return node.path === null ? NO_PATHS : [node.path];
      if (node.path !== null && this.resolve(node.path) === node.target) {
        node.gen = this.gen;
        return [node.path];
      }
    }
    const found: Path[] = [];
    this.search(this.draft, [], node.target, found, !this.aliased);
    if (!this.aliased) {
      node.path = found[0] ?? null;
      node.gen = this.gen;
    }
    return found;
  }

  private resolve(path: Path): unknown {
    let value: unknown = this.draft;
    for (const key of path) {
      if (!isObject(value)) return undefined;
      value = rawGet(value, key);
    }
    return value;
  }

  /**
   * Depth-first search of the draft for `target`. Frozen values are committed state and hold
   * neither drafts nor new objects, so only drafts and new objects are entered; of a large
   * table's draft, only the entries it read or wrote (the others are committed values, and
   * listing them all made every write after an aliasing one cost the size of the table).
   */
  private search(
    obj: object,
    path: Path,
    target: object,
    found: Path[],
    firstOnly: boolean,
  ): boolean {
    const array = Array.isArray(obj);
    for (const key of draftedTableKeys(obj) ?? Object.keys(obj)) {
      const value = rawGet(obj, key);
      if (!isObject(value)) continue;
      const here = [...path, array ? Number(key) : key];
      if (value === target) {
        found.push(here);
        if (firstOnly) return true;
      } else if (isDraft(value) || !Object.isFrozen(value)) {
        if (this.search(value, here, target, found, firstOnly)) return true;
      }
    }
    return false;
  }
}
