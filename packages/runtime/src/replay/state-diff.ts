/** One place where two values differ: a dotted path (`position.<id>.x`) and both values. */
export interface PathDifference {
  /** Dotted path from the root; array indices are path segments too (`items.0.name`). */
  readonly path: string;
  /** The value on the first side, `undefined` when the path is absent there. */
  readonly a: unknown;
  /** The value on the second side, `undefined` when the path is absent there. */
  readonly b: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function walk(a: unknown, b: unknown, path: string, out: PathDifference[], limit: number): void {
  if (out.length >= limit || Object.is(a, b)) return;
  const join = (key: string): string => (path === '' ? key : `${path}.${key}`);
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x: unknown = a[i];
      const y: unknown = b[i];
      // A hole and an undefined item read alike, and hash apart: the path is where they differ.
      if (x === undefined && y === undefined && i in a !== i in b) {
        if (out.length < limit) out.push({ path: join(String(i)), a: x, b: y });
      } else walk(x, y, join(String(i)), out, limit);
    }
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of [...keys].sort()) {
      const inA = Object.hasOwn(a, key);
      const inB = Object.hasOwn(b, key);
      if (inA && inB) walk(a[key], b[key], join(key), out, limit);
      // Read only own keys: an absent `constructor` would otherwise show as `Object`.
      else if (out.length < limit)
        out.push({ path: join(key), a: inA ? a[key] : undefined, b: inB ? b[key] : undefined });
    }
    return;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b)) return;
  out.push({ path: path === '' ? '(root)' : path, a, b });
}

/**
 * The paths where two plain values (two states, two payloads) differ, in sorted key order,
 * at most `limit` of them. Objects and arrays are compared member by member; anything else by
 * `Object.is` (byte arrays by content). An empty result means the values are equal.
 *
 * @example
 * ```ts
 * diffValues({ position: { [id]: { x: 1 } } }, { position: { [id]: { x: 2 } } });
 * // [{ path: `position.${id}.x`, a: 1, b: 2 }]
 * ```
 */
export function diffValues(a: unknown, b: unknown, limit = 100): PathDifference[] {
  const out: PathDifference[] = [];
  walk(a, b, '', out, limit);
  return out;
}
