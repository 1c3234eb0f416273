/**
 * The state tree as rows: a plain value (what msgpack carries) turned into the flat list of
 * rows a virtualised list draws, one row per visible node. Only expanded nodes contribute their
 * children, so a table of 100,000 entities costs one row until it is opened.
 */

import { isTruncated, type StatePath, type StateWindow } from '../protocol/index.ts';

/** A place in the state, as the protocol carries it. */
export type { StatePath };

/** What kind of value a node holds, which decides how it is drawn. */
export type ValueKind =
  'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' | 'bytes' | 'undefined' | 'other';

/** One drawn row of the state tree. */
export interface TreeRow {
  readonly path: StatePath;
  /** The last key of the path (a number for an array index). */
  readonly key: string | number;
  /** 0 for the root's children. */
  readonly depth: number;
  readonly kind: ValueKind;
  /** Number of children for objects and arrays, bytes for byte arrays, else 0. */
  readonly size: number;
  /** One-line text of the value, cut at {@link PREVIEW_LENGTH} characters. */
  readonly preview: string;
  readonly expanded: boolean;
  /**
   * Set on the row drawn after the entries of a branch the agent sent part of: the branch, and
   * how many of its entries are not shown yet. Such a row's path is the branch's plus
   * {@link MORE_KEY}.
   */
  readonly more?: { readonly branch: StatePath; readonly remaining: number };
}

/**
 * Entries of a map or array the state tree asks for at once (`stateAt`'s `width`): a table of
 * 100,000 entities comes this many at a time, the rest a page at a time as the user asks.
 */
export const WINDOW_ENTRIES = 200;

/** The last key of the path of a "more entries" row (see {@link TreeRow.more}). */
export const MORE_KEY = '\u2026';

/** The entries of a branch the agent sent part of, as far as they were fetched, and its size. */
export interface BranchWindow {
  readonly size: number;
  readonly entries: readonly (readonly [string | number, unknown])[];
}

/** Finds what was fetched of a branch the agent sent part of (by path key). */
export type WindowLookup = (key: string) => BranchWindow | undefined;

/**
 * The entries of each branch a `stateAt` answer (the value at `base`) carries part of, by path
 * key: its windows' entries, an array's numbered from the window's offset.
 */
export function windowsOf(
  base: StatePath,
  value: unknown,
  windows: readonly StateWindow[],
): Map<string, BranchWindow> {
  const out = new Map<string, BranchWindow>();
  for (const window of windows) {
    const node = valueAt(value, window.path.slice(base.length));
    const entries = childrenOf(node).map(([key, child]) =>
      typeof key === 'number' ? ([key + window.offset, child] as const) : ([key, child] as const),
    );
    out.set(pathKey(window.path), { size: window.size, entries });
  }
  return out;
}

/** Longest preview drawn on a row. */
export const PREVIEW_LENGTH = 120;

/** A stable string for a path, usable as a set or map key (keys may hold dots). */
export function pathKey(path: StatePath): string {
  return JSON.stringify(path);
}

/** The path a {@link pathKey} was made from. */
export function pathFromKey(key: string): StatePath {
  const parsed: unknown = JSON.parse(key);
  if (
    !Array.isArray(parsed) ||
    !parsed.every((s) => typeof s === 'string' || typeof s === 'number')
  ) {
    throw new TypeError(`Not a state path key: ${key}. Make keys with pathKey().`);
  }
  return parsed;
}

/** The dotted form people read and the runtime reports (`position.<id>.x`). */
export function formatPath(path: StatePath): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The {@link ValueKind} of a value; a branch the agent left out counts as what it stands for. */
export function kindOf(value: unknown): ValueKind {
  if (value === null) return 'null';
  if (isTruncated(value)) return value.$truncated === 'array' ? 'array' : 'object';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'bytes';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return isPlainObject(value) ? 'object' : 'other';
    default:
      return 'other';
  }
}

/**
 * The children of an object or array as `[key, value]` pairs, in the value's own order; array
 * indices are numbers, as the protocol's paths carry them.
 */
export function childrenOf(value: unknown): readonly (readonly [string | number, unknown])[] {
  if (isTruncated(value)) return [];
  if (Array.isArray(value)) return value.map((v: unknown, i) => [i, v] as const);
  if (!isPlainObject(value)) return [];
  // One `ownKeys` and one read an entry: `Object.entries` also asks for each key's descriptor,
  // which a large table of the runtime's state answers by looking the entry up a second time.
  const out: (readonly [string, unknown])[] = [];
  for (const key of Reflect.ownKeys(value))
    if (typeof key === 'string') out.push([key, value[key]]);
  return out;
}

/** The value at a path, or `undefined` when the path is absent. */
export function valueAt(root: unknown, path: StatePath): unknown {
  let node = root;
  for (const key of path) {
    if (Array.isArray(node)) node = node[Number(key)] as unknown;
    else if (isPlainObject(node) && Object.hasOwn(node, String(key))) node = node[String(key)];
    else return undefined;
  }
  return node;
}

function cut(text: string): string {
  return text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text;
}

/** One-line text of a value, as a row shows it. */
export function previewOf(value: unknown): string {
  if (isTruncated(value)) {
    return value.$truncated === 'array' ? '[…]' : '{…}';
  }
  switch (kindOf(value)) {
    case 'string':
      return cut(JSON.stringify(value));
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'boolean':
    case 'null':
    case 'undefined':
      return String(value);
    case 'bytes':
      return `bytes[${(value as Uint8Array).length}]`;
    case 'array': {
      const items = value as unknown[];
      return cut(
        `[${items.slice(0, 8).map(shortPreview).join(', ')}${items.length > 8 ? ', …' : ''}]`,
      );
    }
    case 'object': {
      const entries = Object.entries(value as Record<string, unknown>);
      const shown = entries.slice(0, 6).map(([k, v]) => `${k}: ${shortPreview(v)}`);
      return cut(`{${shown.join(', ')}${entries.length > 6 ? ', …' : ''}}`);
    }
    default:
      return cut(String(value));
  }
}

function shortPreview(value: unknown): string {
  if (isTruncated(value)) return previewOf(value);
  const kind = kindOf(value);
  if (kind === 'array') return `[${(value as unknown[]).length}]`;
  if (kind === 'object') return '{…}';
  return previewOf(value);
}

function sizeOf(value: unknown, kind: ValueKind): number {
  if (isTruncated(value)) return value.size;
  if (kind === 'array') return (value as unknown[]).length;
  if (kind === 'object') return Object.keys(value as object).length;
  if (kind === 'bytes') return (value as Uint8Array).length;
  return 0;
}

/** Whether a node of this kind can be opened. */
export function isBranch(kind: ValueKind): boolean {
  return kind === 'object' || kind === 'array';
}

/** Finds the loaded value of a branch the agent left out (by path key), if it was fetched. */
export type BranchLoader = (key: string) => unknown;

/**
 * The rows to draw for a state: the root's children, and recursively the children of every
 * node whose {@link pathKey} is in `expanded`. A branch the agent left out (a truncated value)
 * shows the children `loaded` has for it, or none until they arrive.
 */
export function visibleRows(
  root: unknown,
  expanded: ReadonlySet<string>,
  loaded: BranchLoader = () => undefined,
  windows: WindowLookup = () => undefined,
): TreeRow[] {
  const rows: TreeRow[] = [];
  const visit = (value: unknown, path: StatePath, depth: number): void => {
    const window = windows(pathKey(path));
    for (const [key, stored] of window?.entries ?? childrenOf(value)) {
      const childPath = [...path, key];
      const child = isTruncated(stored) ? (loaded(pathKey(childPath)) ?? stored) : stored;
      const kind = kindOf(child);
      const open = isBranch(kind) && expanded.has(pathKey(childPath));
      rows.push({
        path: childPath,
        key,
        depth,
        kind,
        size: sizeOf(child, kind),
        preview: previewOf(child),
        expanded: open,
      });
      if (open) visit(child, childPath, depth + 1);
    }
    if (window !== undefined && window.entries.length < window.size) {
      const remaining = window.size - window.entries.length;
      rows.push({
        path: [...path, MORE_KEY],
        key: MORE_KEY,
        depth,
        kind: 'other',
        size: remaining,
        preview: `${remaining.toLocaleString('en-US')} more of ${window.size.toLocaleString('en-US')}`,
        expanded: false,
        more: { branch: path, remaining },
      });
    }
  };
  visit(root, [], 0);
  return rows;
}

/**
 * The open branches that the agent left out and that are not loaded yet: what to fetch next.
 */
export function branchesToLoad(
  root: unknown,
  expanded: ReadonlySet<string>,
  loaded: BranchLoader,
  windows: WindowLookup = () => undefined,
): StatePath[] {
  const out: StatePath[] = [];
  const visit = (value: unknown, path: StatePath): void => {
    const window = windows(pathKey(path));
    for (const [key, stored] of window?.entries ?? childrenOf(value)) {
      const childPath = [...path, key];
      const id = pathKey(childPath);
      if (!expanded.has(id)) continue;
      if (isTruncated(stored)) {
        const child = loaded(id);
        if (child === undefined) out.push(childPath);
        else visit(child, childPath);
      } else visit(stored, childPath);
    }
  };
  visit(root, []);
  return out;
}

/** Every proper ancestor of a path, shortest first (not the root, not the path itself). */
export function ancestorsOf(path: StatePath): StatePath[] {
  const out: StatePath[] = [];
  for (let i = 1; i < path.length; i++) out.push(path.slice(0, i));
  return out;
}
