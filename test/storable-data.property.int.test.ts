/**
 * Storable data, over adversarial payloads (odd keys such as `__proto__` and `constructor`,
 * lone surrogates, -0, NaN, bigints, Dates, typed arrays, deep nesting, big strings):
 *
 * - what validation accepts round-trips byte for byte through the codec and through every
 *   store — memory (its snapshot), file, PGlite and Postgres: the journaled input, the event a
 *   listener emitted with the same payload, and the snapshot of the state holding it — and every
 *   store reopens to the same state hash;
 * - what it refuses is `CW_INVALID_PAYLOAD` naming the field, with nothing journaled anywhere.
 *
 * On failure fast-check prints the seed and path to reproduce it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  defineEvent,
  EventSystem,
  input,
  isCausewayError,
  MemoryStore,
  type EventStore,
  type Table,
} from '@causeway/runtime';
import { decodeValue, encodeValue } from '@causeway/runtime/store-kit';
import { FileStore } from '@causeway/adapters/file';
import { PgliteStore } from '@causeway/adapters/pglite';
import { PostgresStore } from '@causeway/adapters/postgres';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, uniqueSchema } from '../packages/adapters/test/postgres-harness.ts';
import { pgUrl, requirePostgres } from './services.ts';

const Posted = defineEvent<{ body: unknown }, 'Posted'>('Posted', { entity: 'new' });
const Echoed = defineEvent<{ body: unknown }, 'Echoed'>('Echoed', { entity: 'existing' });

interface Board {
  posts: Table<{ body: unknown }>;
}

// Small limits, so that "too big" and "too deep" are reached by generated values quickly.
const limits = { maxDepth: 12, maxBytes: 4096 };
const T = Date.UTC(2026, 10, 1);

function makeSystem(store: EventStore): EventSystem<Board> {
  const system = new EventSystem<Board>({
    seed: 9,
    store,
    initialState: { posts: {} },
    events: [Posted, Echoed],
    snapshotEvery: 1,
    limits,
    strict: true,
  });
  system.apply(Posted, (draft, e) => {
    draft.posts[e.entity] = { body: e.data.body };
  });
  system.subscribe(Posted, function echo(e, ctx) {
    ctx.emit(Echoed, e.entity, { body: e.data.body });
  });
  return system;
}

let entities = 0;
function nextEntity(): string {
  return `019b7640-0000-7000-8000-${(++entities).toString(16).padStart(12, '0')}`;
}

// An object built with defineProperty, so that `__proto__` becomes an own key as JSON.parse
// makes it, rather than a prototype.
function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries)
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

const oddKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '',
    '0',
    '1',
    '-1',
    '01',
    '4294967295',
    'a.b',
    '$',
    '[0]',
    '\uD800',
    'é',
    '😀',
  ),
  fc.string({ maxLength: 4 }),
  fc.string({ unit: 'binary', maxLength: 3 }),
);

const leaf = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ maxLength: 8 }),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER, 2 ** 53, -(2 ** 63), 2 ** 64, 1e308),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 8 }),
  fc.constantFrom<unknown>(
    undefined,
    10n,
    new Date(0),
    new Int8Array([1]),
    new Map(),
    Symbol('s'),
    () => 1,
  ),
);

const { value: nested } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(oddKey, tie('value')), { maxLength: 4 }).map(objectOf),
    fc.array(fc.tuple(oddKey, tie('value')), { maxLength: 3 }).map((entries) => {
      const bare = Object.create(null) as Record<string, unknown>;
      return Object.assign(bare, objectOf(entries));
    }),
  ),
}));

const deep = fc
  .tuple(fc.integer({ min: 8, max: 40 }), fc.boolean(), leaf)
  .map(([levels, arrays, inner]) => {
    let value: unknown = inner;
    for (let i = 0; i < levels; i++) value = arrays ? [value] : { d: value };
    return value;
  });

const big = fc
  .tuple(fc.integer({ min: 3000, max: 6000 }), fc.constantFrom('a', 'é', '😀'))
  .map(([length, unit]) => ({ text: unit.repeat(Math.ceil(length / unit.length)) }));

const payload = fc.oneof(nested, deep, big);

interface Place {
  readonly name: string;
  readonly open: () => EventStore;
  system: EventSystem<Board>;
}

const postgres = await requirePostgres();
const places: Place[] = [];
let dir = '';
let pglite: PGlite | undefined;
const pgSchema = uniqueSchema();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cw-storable-'));
  pglite = await PGlite.create();
  const db = pglite;
  const memoryName = `storable-${process.pid}`;
  const add = (name: string, open: () => EventStore): void => {
    places.push({ name, open, system: makeSystem(open()) });
  };
  add('memory', () => new MemoryStore({ name: memoryName }));
  add('file', () => new FileStore({ dir, durability: 'none' }));
  add('pglite', () => new PgliteStore(db, 'pglite:memory', { schema: 'storable' }));
  if (postgres.available) add('postgres', () => new PostgresStore(pgUrl(), { schema: pgSchema }));
  for (const place of places) await place.system.open();
});

afterAll(async () => {
  for (const place of places) await place.system.close().catch(() => undefined);
  await pglite?.close();
  await rm(dir, { recursive: true, force: true });
  if (postgres.available) await dropSchema(pgUrl(), pgSchema);
});

/** Encodes the stored payload that should equal `expected`'s bytes. */
function bytesOf(value: unknown): string {
  return Buffer.from(encodeValue(value)).toString('hex');
}

async function checkAccepted(place: Place, expected: string): Promise<void> {
  const store = place.system.store;
  const commit = place.system.lastCommit;
  if (commit === null) throw new Error('no commit');
  const [journaled] = await store.readInputs(commit.lastInput - 1, 1);
  expect(bytesOf((journaled?.data as { body: unknown }).body), `${place.name} input`).toBe(
    expected,
  );
  const { items } = await store.readEvents({ fromSeq: commit.firstSeq, limit: 10 });
  expect(
    items.map((e) => e.type),
    `${place.name} events`,
  ).toEqual(['Posted', 'Echoed']);
  for (const e of items)
    expect(bytesOf((e.data as { body: unknown }).body), `${place.name} ${e.type}`).toBe(expected);
  const snapshot = await store.latestSnapshot(commit.tick);
  expect(snapshot?.tick, `${place.name} snapshot`).toBe(commit.tick);
  const entity = items[0]?.entity ?? '';
  expect(bytesOf(snapshotPost(snapshot?.bytes, entity)?.body), `${place.name} snapshot`).toBe(
    expected,
  );
}

/**
 * A post as a snapshot holds it: in the state (a small table), or, once `posts` is a large
 * table, in its columns (format 2: a key list shared by index, the values in its order).
 */
function snapshotPost(
  bytes: Uint8Array | undefined,
  entity: string,
): { body: unknown } | undefined {
  const snap = decodeValue(bytes ?? new Uint8Array()) as {
    state: Board;
    keys?: string[][];
    tables?: Record<string, [number, { body: unknown }[]]>;
  };
  const columns = snap.tables?.['posts'];
  if (columns === undefined) return snap.state.posts[entity];
  const keys = snap.keys?.[columns[0]] ?? [];
  return columns[1][keys.indexOf(entity)];
}

describe('storable data', () => {
  it('round-trips whatever validation accepts through the codec and every store, and refuses the rest by field with nothing journaled', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(payload, async (body) => {
        const entity = nextEntity();
        const journaledBefore = await Promise.all(places.map((p) => p.system.store.lastInput()));
        const outcomes = await Promise.all(
          places.map((p) =>
            p.system.tick([input(Posted, entity, { body }, 'ada')], { at: T }).then(
              () => null,
              (err: unknown) => err,
            ),
          ),
        );
        const first = outcomes[0];
        if (first === null) {
          accepted++;
          for (const outcome of outcomes) expect(outcome).toBeNull();
          const expected = bytesOf(body);
          expect(bytesOf(decodeValue(encodeValue(body)))).toBe(expected);
          for (const place of places) await checkAccepted(place, expected);
          return;
        }
        refused++;
        for (const [k, outcome] of outcomes.entries()) {
          if (!isCausewayError(outcome, 'CW_INVALID_PAYLOAD')) throw outcome;
          const path = outcome.details['path'];
          expect(typeof path === 'string' && path.startsWith('$.body')).toBe(true);
          const place = places[k] as Place;
          expect(await place.system.store.lastInput(), place.name).toBe(journaledBefore[k]);
        }
      }),
      { numRuns: process.env['CI'] !== undefined ? 300 : 120 },
    );
    // Both sides of the property were exercised.
    expect(accepted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
    // Every store reopens (snapshot, then the log) to the hash it committed.
    for (const place of places) {
      const last = place.system.lastCommit;
      await place.system.close();
      place.system = makeSystem(place.open());
      await place.system.open();
      expect(place.system.lastCommit?.hash, place.name).toBe(last?.hash);
    }
  }, 240_000);
});
