// The bytes of a snapshot: the state, the entity records and the timers, msgpack-encoded.
//
// Format 2 (written since the tables became tries):
//   { v: 2,
//     state: { [key]: value, or null where a large table is },
//     keys: [ [sorted entity ids], … ],          distinct key lists, each written once
//     tables: { [key]: [keys index, values] },   a large table's values in its keys' order
//     entities: [keys index, owners, ownerOf, grants],
//     timers }
// where `owners` lists the distinct owners, `ownerOf[i]` is the index of entity i's owner and
// `grants` holds `[i, actors]` for the entities that have grants. Component tables of one
// entity set share their key list, and the registry shares it too, so a state of three
// components over 10,000 entities decodes 10,000 ids, not 40,000, and restores them as one
// string each. Format 1 (the state as one plain object, the registry as [id, owner, grants]
// triples) is still read.
import type { EntityRecord } from './entity-rules.ts';
import type { Timer } from './core.ts';
import type { TableColumns } from '../state/tables.ts';

/** What a snapshot holds, decoded and checked. */
export interface SnapshotContent {
  /** The state's top-level values (a large table's place holds null in format 2). */
  readonly state: Record<string, unknown>;
  /** The columns of the large tables (format 2), by top-level key. */
  readonly tables: Record<string, TableColumns>;
  readonly registry: (readonly [string, EntityRecord])[];
  readonly timers: Timer[];
}

/** The body of a format 2 snapshot, ready for the codec. */
export function snapshotBody(
  state: Record<string, unknown>,
  columnsOf: (value: unknown) => TableColumns | undefined,
  records: ReadonlyMap<string, EntityRecord>,
  timers: readonly Timer[],
): object {
  const keys: string[][] = [];
  const placeOf = (list: string[]): number => {
    for (let i = 0; i < keys.length; i++) if (sameList(keys[i] as string[], list)) return i;
    keys.push(list);
    return keys.length - 1;
  };
  const plain: Record<string, unknown> = {};
  const tables: Record<string, [number, unknown[]]> = {};
  for (const key of Object.keys(state)) {
    const columns = columnsOf(state[key]);
    if (columns === undefined) plain[key] = state[key];
    else {
      plain[key] = null;
      tables[key] = [placeOf(columns[0]), columns[1]];
    }
  }
  const ids = [...records.keys()].sort();
  const owners: string[] = [];
  const ownerIndex = new Map<string, number>();
  const ownerOf: number[] = [];
  const grants: [number, readonly string[]][] = [];
  ids.forEach((id, i) => {
    const record = records.get(id) as EntityRecord;
    let owner = ownerIndex.get(record.owner);
    if (owner === undefined) {
      owner = owners.push(record.owner) - 1;
      ownerIndex.set(record.owner, owner);
    }
    ownerOf.push(owner);
    if (record.grants.length > 0) grants.push([i, record.grants]);
  });
  return {
    v: 2,
    state: plain,
    keys,
    tables,
    entities: [placeOf(ids), owners, ownerOf, grants],
    timers,
  };
}

/**
 * What a decoded snapshot body holds, or null when it is not a snapshot of a known format's
 * shape (the caller then rebuilds from the log: a snapshot is a cache of it).
 * @returns the format's number instead when it is one this code does not read
 */
export function snapshotContent(body: unknown): SnapshotContent | number | null {
  if (!isRecord(body)) return null;
  if (body['v'] === 1) return formatOne(body);
  if (body['v'] === 2) return formatTwo(body);
  return typeof body['v'] === 'number' ? body['v'] : null;
}

function formatOne(body: Record<string, unknown>): SnapshotContent | null {
  const { state, registry, timers } = body;
  if (!isRecord(state) || !Array.isArray(registry) || !Array.isArray(timers)) return null;
  const entries: (readonly [string, EntityRecord])[] = [];
  for (const entry of registry as unknown[]) {
    if (!Array.isArray(entry)) return null;
    const [id, owner, grants] = entry as unknown[];
    if (typeof id !== 'string' || typeof owner !== 'string' || !isStrings(grants)) return null;
    entries.push([id, { owner, grants }]);
  }
  return { state, tables: {}, registry: entries, timers: timers as Timer[] };
}

function formatTwo(body: Record<string, unknown>): SnapshotContent | null {
  const { state, keys, tables, entities, timers } = body;
  if (!isRecord(state) || !isRecord(tables) || !Array.isArray(timers)) return null;
  // Whether a table's keys are sorted and distinct is the table builder's check.
  if (!Array.isArray(keys) || !(keys as unknown[]).every(isStrings)) return null;
  const lists = keys as string[][];
  const columns: Record<string, TableColumns> = {};
  for (const name of Object.keys(tables)) {
    const table = tables[name];
    if (!Array.isArray(table) || table.length !== 2 || !Object.hasOwn(state, name)) return null;
    const [at, values] = table as unknown[];
    const list = typeof at === 'number' ? lists[at] : undefined;
    if (list === undefined || !Array.isArray(values) || values.length !== list.length) return null;
    columns[name] = [list, values];
  }
  if (!Array.isArray(entities) || entities.length !== 4) return null;
  const [at, owners, ownerOf, grants] = entities as unknown[];
  const ids = typeof at === 'number' ? lists[at] : undefined;
  if (ids === undefined || !isStrings(owners) || !Array.isArray(ownerOf)) return null;
  if (ownerOf.length !== ids.length || !Array.isArray(grants)) return null;
  const granted = new Map<number, string[]>();
  for (const entry of grants as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [i, actors] = entry as unknown[];
    if (typeof i !== 'number' || !isStrings(actors)) return null;
    granted.set(i, actors);
  }
  const registry: (readonly [string, EntityRecord])[] = [];
  for (let i = 0; i < ids.length; i++) {
    const owner = owners[ownerOf[i] as number];
    if (owner === undefined) return null;
    registry.push([ids[i] as string, { owner, grants: granted.get(i) ?? [] }]);
  }
  return { state, tables: columns, registry, timers: timers as Timer[] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && (value as unknown[]).every((item) => typeof item === 'string');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
