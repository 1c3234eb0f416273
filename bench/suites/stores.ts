import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { Packr } from 'msgpackr';
import pg from 'pg';
import type { Event, ReadEvent } from '@event-driven-io/emmett';
import type { PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import type { SQLiteEventStore } from '@event-driven-io/emmett-sqlite';
import {
  defineEvent,
  EventSystem,
  hashState,
  newEntityId,
  type EventStore,
  type LogHeader,
  type StoredEnvelope,
  type TickCommit,
} from '@causeway/runtime';
import { envelopeToTuple } from '@causeway/runtime/store-kit';
import { FileStore } from '@causeway/adapters/file';
import { PostgresStore } from '@causeway/adapters/postgres';
import { openPgliteStore } from '@causeway/adapters/pglite';
import { measureRate, type Recorder, type Suite } from '../harness.ts';

// ---- What is appended: the same payloads, in the same batches, to every system ----

/** The payload of every benchmark event: a few strings and numbers, about 200 bytes of msgpack. */
type OrderPlaced = {
  readonly order: string;
  readonly customer: string;
  readonly sku: string;
  readonly warehouse: string;
  readonly note: string;
  readonly quantity: number;
  readonly priceCents: number;
  readonly placedAt: number;
};

const TYPE = 'bench.OrderPlaced';
const OrderPlacedEvent = defineEvent<OrderPlaced>(TYPE, { entity: 'existing' });
type EmmettOrderPlaced = Event<typeof TYPE, OrderPlaced>;

const PG_URL = process.env['CAUSEWAY_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SEED = 7;
const HEADER: LogHeader = { format: 1, seed: SEED, schema: { [TYPE]: 1 } };
const POOL = 1024;

const payloads: OrderPlaced[] = Array.from({ length: POOL }, (_, i) => ({
  order: `order-${String(100_000 + i)}`,
  customer: `customer-${String((i * 7919) % 5000).padStart(5, '0')}`,
  sku: `SKU-${String((i * 31) % 997).padStart(4, '0')}-BLUE-XL`,
  warehouse: ['ams-1', 'fra-2', 'lon-3', 'par-4'][i % 4] as string,
  note: 'Leave the parcel with the neighbour at number 12 if nobody answers the door.',
  quantity: 1 + (i % 9),
  priceCents: 1999 + ((i * 37) % 50_000),
  placedAt: 1_750_000_000_000 + i * 1013,
}));
const entities: string[] = Array.from({ length: POOL }, () => newEntityId());
const emmettEvents: EmmettOrderPlaced[] = payloads.map((data) => ({ type: TYPE, data }));

/** A stable UUIDv7-shaped id for seq `seq`: unique per event, cheap to make. */
function eventId(seq: number): string {
  const hex = seq.toString(16).padStart(12, '0');
  return `01970000-0000-7000-8000-${hex}`;
}

/** The numbering of a Causeway log being appended to: the next tick and seq. */
interface LogCursor {
  tick: number;
  seq: number;
  at: number;
}

const APPEND_HASH = '0000000000000000';

/** A tick of `n` events continuing `cursor`, numbered as `checkCommit` expects. */
function nextTick(
  cursor: LogCursor,
  n: number,
  hash: string = APPEND_HASH,
): { commit: TickCommit; events: StoredEnvelope[] } {
  const tick = cursor.tick++;
  const at = cursor.at++;
  const firstSeq = cursor.seq;
  const events: StoredEnvelope[] = new Array<StoredEnvelope>(n);
  for (let i = 0; i < n; i++) {
    const seq = cursor.seq++;
    const id = eventId(seq);
    events[i] = {
      id,
      seq,
      tick,
      type: TYPE,
      version: 1,
      entity: entities[seq % POOL] as string,
      data: payloads[seq % POOL],
      at,
      causation: null,
      correlation: id,
      actor: 'bench',
    };
  }
  return {
    commit: { tick, at, firstSeq, lastSeq: firstSeq + n - 1, lastInput: 0, hash },
    events,
  };
}

/** The Emmett batch of `n` events continuing at `from` in the payload pool. */
function emmettBatch(from: number, n: number): EmmettOrderPlaced[] {
  const out = new Array<EmmettOrderPlaced>(n);
  for (let i = 0; i < n; i++) out[i] = emmettEvents[(from + i) % POOL] as EmmettOrderPlaced;
  return out;
}

// ---- Cases ----

// Ticks a sample appends, by events per tick: a sample lasts 0.1–2 s on every system here.
const APPEND_CASES = [
  { events: 1, ticks: 300 },
  { events: 100, ticks: 100 },
  { events: 10_000, ticks: 3 },
] as const;
const FILE_REBUILD_EVENTS = 200_000;
const SQL_REBUILD_EVENTS = 50_000;
const REBUILD_TICK = 10_000;
const FSYNCS = 1000;
const SQLITE_MAX_BATCH = 3_000;

/** The state a rebuild produces: what every system's rebuild computes from the events. */
interface Totals {
  readonly totals: { events: number; quantity: number };
}

function expectedTotals(events: number): Totals {
  let quantity = 0;
  for (let seq = 1; seq <= events; seq++)
    quantity += (payloads[seq % POOL] as OrderPlaced).quantity;
  return { totals: { events, quantity } };
}

/** One tick append case of one system, driven by `measureRate`. */
interface Appender {
  /** Builds the next sample's ticks (not timed). */
  prepare(): void;
  /** Appends them, one call a tick (timed). */
  append(): Promise<void>;
  done(): Promise<void>;
}

/** A log written once and rebuilt in full by each sample. */
interface Rebuilder {
  rebuild(): Promise<void>;
  done(): Promise<void>;
}

/** One system of the suite. */
interface Contender {
  readonly system: string;
  /** The most events one append call takes, when the system has a limit. */
  readonly maxBatch?: number;
  /** Events in the log that `rebuild` reads. */
  readonly rebuildEvents: number;
  /** Starts an append case of ticks of `n` events, `ticks` a sample, on a fresh log. */
  append(n: number, ticks: number): Promise<Appender>;
  /** Writes the log of `rebuildEvents` events. */
  rebuild(): Promise<Rebuilder>;
}

/** Appends ticks of `n` events to a Causeway store, `ticks` per sample. */
function causewayAppender(
  open: () => Promise<EventStore>,
): (n: number, ticks: number) => Promise<Appender> {
  return async (n, ticks) => {
    const store = await open();
    await store.open(HEADER);
    const cursor: LogCursor = { tick: 1, seq: 1, at: 1_750_000_000_000 };
    let batch: { commit: TickCommit; events: StoredEnvelope[] }[] = [];
    return {
      prepare() {
        batch = Array.from({ length: ticks }, () => nextTick(cursor, n));
      },
      async append() {
        for (const t of batch) await store.commit(t.commit, t.events);
      },
      done: () => store.close(),
    };
  };
}

/** Writes a log of `events` events in ticks of REBUILD_TICK whose last hash is the rebuilt state's. */
async function writeRebuildLog(store: EventStore, events: number): Promise<void> {
  await store.open(HEADER);
  const cursor: LogCursor = { tick: 1, seq: 1, at: 1_750_000_000_000 };
  while (cursor.seq <= events) {
    const n = Math.min(REBUILD_TICK, events - cursor.seq + 1);
    const hash = hashState(expectedTotals(cursor.seq + n - 1));
    const { commit, events: tick } = nextTick(cursor, n, hash);
    await store.commit(commit, tick);
  }
  await store.close();
}

/** A full `EventSystem.open()` on a store: reads every tick, applies every event, checks the hash. */
async function openSystem(store: EventStore): Promise<void> {
  const system = new EventSystem<Totals>({
    seed: SEED,
    store,
    initialState: { totals: { events: 0, quantity: 0 } },
  });
  system.apply(OrderPlacedEvent, (draft, e) => {
    draft.totals.events++;
    draft.totals.quantity += e.data.quantity;
  });
  await system.open();
  await system.close();
}

// ---- The suite ----

/** One sample's work of one system in an interleaved round. */
interface Runner {
  readonly system: string;
  /** Operations one `work()` performs. */
  readonly count: number;
  prepare?(): void;
  work(): void | Promise<void>;
}

/**
 * Measures runners round by round, one sample of each in every round, so that a machine whose
 * load changes over the run (this one is shared) weighs on every system alike and the ratios
 * within a run stay fair. The first `warmup` rounds are not recorded.
 */
async function interleave(
  recorder: Recorder,
  label: string,
  runners: readonly Runner[],
  warmup: number,
  samples = 7,
): Promise<number[][]> {
  const rates: number[][] = runners.map(() => []);
  for (let round = 0; round < warmup + samples; round++) {
    recorder.progress(
      `${label}: ${round < warmup ? `warm-up ${round + 1}/${warmup}` : `round ${round - warmup + 1}/${samples}`}`,
    );
    for (let i = 0; i < runners.length; i++) {
      const r = runners[i] as Runner;
      const [rate] = await measureRate(() => r.work(), r.count, {
        samples: 1,
        warmup: 0,
        ...(r.prepare === undefined ? {} : { before: () => r.prepare?.() }),
      });
      if (round >= warmup) (rates[i] as number[]).push(rate as number);
    }
  }
  return rates;
}

/** Durable appends and rebuilds: Causeway's file, Postgres and PGlite stores against Emmett's. */
export const storesSuite: Suite = {
  name: 'stores',
  description:
    'durable appends (events/s, one commit/appendToStream call a tick) and full rebuilds (events/s)',
  async run(recorder) {
    const dir = await mkdtemp(join(tmpdir(), 'cw-bench-stores-'));
    const run = `${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: databaseUrl(PG_URL, 'postgres') });
    await admin.connect();
    const emmettDb = `cw_bench_emmett_${run}`;
    const schemas: string[] = [];
    const schema = (what: string): string => {
      const name = `cw_bench_${what}${schemas.length + 1}_${run}`;
      schemas.push(name);
      return name;
    };
    const disk = await fsyncRunner(dir);
    try {
      recorder.progress(`temp dir ${dir}, Postgres ${redact(PG_URL)}`);
      await admin.query(`create database ${emmettDb}`);
      await codecCases(recorder);

      let fileLogs = 0;
      const pgliteDir = join(dir, 'pglite');
      const contenders: Contender[] = [
        {
          system: 'causeway-file',
          rebuildEvents: FILE_REBUILD_EVENTS,
          append: causewayAppender(() =>
            Promise.resolve(
              new FileStore({ dir: join(dir, `file-${++fileLogs}`), durability: 'commit' }),
            ),
          ),
          rebuild: async () => {
            const logDir = join(dir, 'file-rebuild');
            await writeRebuildLog(
              new FileStore({ dir: logDir, durability: 'none' }),
              FILE_REBUILD_EVENTS,
            );
            return {
              rebuild: () => openSystem(new FileStore({ dir: logDir })),
              done: () => Promise.resolve(),
            };
          },
        },
        {
          system: 'causeway-postgres',
          rebuildEvents: SQL_REBUILD_EVENTS,
          append: causewayAppender(() =>
            Promise.resolve(new PostgresStore(PG_URL, { schema: schema('append') })),
          ),
          rebuild: async () => {
            const name = schema('rebuild');
            await writeRebuildLog(new PostgresStore(PG_URL, { schema: name }), SQL_REBUILD_EVENTS);
            return {
              rebuild: () => openSystem(new PostgresStore(PG_URL, { schema: name })),
              done: () => Promise.resolve(),
            };
          },
        },
        {
          system: 'causeway-pglite',
          rebuildEvents: SQL_REBUILD_EVENTS,
          append: causewayAppender(() => openPgliteStore(pgliteDir, { schema: schema('append') })),
          rebuild: async () => {
            // Kept open across the samples so that they time the rebuild, not PGlite's start.
            const keep = await openPgliteStore(pgliteDir, { schema: 'keep' });
            const name = schema('rebuild');
            await writeRebuildLog(
              await openPgliteStore(pgliteDir, { schema: name }),
              SQL_REBUILD_EVENTS,
            );
            return {
              rebuild: async () => openSystem(await openPgliteStore(pgliteDir, { schema: name })),
              done: () => keep.close(),
            };
          },
        },
      ];

      const emmettPostgres = await loadPeer(
        recorder,
        'emmett-postgresql',
        () => import('@event-driven-io/emmett-postgresql'),
      );
      if (emmettPostgres !== null) {
        contenders.push(
          emmettContender('emmett-postgresql', undefined, () => {
            const store = emmettPostgres.getPostgreSQLEventStore(databaseUrl(PG_URL, emmettDb));
            return { store, close: () => store.close() };
          }),
        );
      }
      const emmettSqlite = await loadPeer(
        recorder,
        'emmett-sqlite',
        () => import('@event-driven-io/emmett-sqlite'),
      );
      if (emmettSqlite !== null) {
        contenders.push(
          // Emmett's SQLite store inserts a call's events with one statement of 10 bound
          // parameters an event, and SQLite allows 32,766: a call takes at most 3,276 events.
          emmettContender('emmett-sqlite', SQLITE_MAX_BATCH, () => {
            // One connection for the store's life: Emmett's default for a file opens and
            // closes a connection (and sets WAL mode) per call, which would measure mostly that.
            const fileName = join(dir, 'emmett.sqlite');
            const connection = emmettSqlite.sqliteConnection({ fileName });
            const pool = emmettSqlite.SQLiteConnectionPool({
              fileName,
              connectionOptions: { singleton: true, connection },
            });
            return {
              store: emmettSqlite.getSQLiteEventStore({ fileName, pool }),
              close: () => Promise.resolve(connection.close()),
            };
          }),
        );
      }

      for (const { events, ticks } of APPEND_CASES) {
        const name = `append-tick-${events}`;
        const appenders: Appender[] = [];
        const entrants = contenders.filter((c) => {
          if (c.maxBatch === undefined || events <= c.maxBatch) return true;
          recorder.progress(
            `${name}: ${c.system} not run, one call takes at most ${c.maxBatch} events`,
          );
          return false;
        });
        try {
          for (const c of entrants) appenders.push(await c.append(events, ticks));
          const runners: Runner[] = entrants.map((c, i) => {
            const a = appenders[i] as Appender;
            return {
              system: c.system,
              count: events * ticks,
              prepare: () => a.prepare(),
              work: () => a.append(),
            };
          });
          // The disk's limit is measured beside the one-event ticks it bounds.
          if (events === 1) runners.unshift(disk.runner);
          const rates = await interleave(recorder, `${name}, ${ticks} ticks a sample`, runners, 2);
          runners.forEach((r, i) => {
            const samples = rates[i] as number[];
            if (r === disk.runner) recorder.record('fsync', 'disk', 'fsyncs/s', samples);
            else recorder.record(name, r.system, 'events/s', samples);
          });
        } finally {
          for (const a of appenders) await a.done();
        }
      }

      const rebuilders: Rebuilder[] = [];
      try {
        for (const c of contenders) {
          recorder.progress(`rebuild: writing ${c.rebuildEvents} events to ${c.system}`);
          rebuilders.push(await c.rebuild());
        }
        const runners = contenders.map((c, i) => ({
          system: c.system,
          count: c.rebuildEvents,
          work: () => (rebuilders[i] as Rebuilder).rebuild(),
        }));
        const rates = await interleave(recorder, 'rebuild', runners, 1);
        runners.forEach((r, i) =>
          recorder.record('rebuild', r.system, 'events/s', rates[i] as number[]),
        );
      } finally {
        for (const r of rebuilders) await r.done();
      }
    } finally {
      await disk.close();
      // The Causeway logs' schemas live in the test database, not in the admin one.
      const test = new pg.Client({ connectionString: PG_URL });
      await test.connect();
      for (const s of schemas) await test.query(`drop schema if exists ${s} cascade`);
      await test.end();
      await admin.query(`drop database if exists ${emmettDb} with (force)`).catch(() => undefined);
      await admin.end();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** An Emmett event store as a contender: a tick is one `appendToStream` call of its events. */
function emmettContender(
  system: string,
  maxBatch: number | undefined,
  create: () => { store: PostgresEventStore | SQLiteEventStore; close: () => Promise<void> },
): Contender {
  let streams = 0;
  const rebuildBatch = Math.min(REBUILD_TICK, maxBatch ?? REBUILD_TICK);
  return {
    system,
    ...(maxBatch === undefined ? {} : { maxBatch }),
    rebuildEvents: SQL_REBUILD_EVENTS,
    append(n, ticks) {
      const { store, close } = create();
      const stream = `bench-append${++streams}`;
      let from = 0;
      let batch: EmmettOrderPlaced[][] = [];
      return Promise.resolve({
        prepare() {
          batch = Array.from({ length: ticks }, () => {
            const events = emmettBatch(from, n);
            from += n;
            return events;
          });
        },
        async append() {
          for (const events of batch) await store.appendToStream(stream, events);
        },
        done: close,
      });
    },
    async rebuild() {
      const { store, close } = create();
      const stream = `bench-rebuild${++streams}`;
      for (let from = 0; from < SQL_REBUILD_EVENTS; from += rebuildBatch) {
        await store.appendToStream(
          stream,
          emmettBatch(from + 1, Math.min(rebuildBatch, SQL_REBUILD_EVENTS - from)),
        );
      }
      const expected = expectedTotals(SQL_REBUILD_EVENTS).totals;
      return {
        async rebuild() {
          const { state } = await store.aggregateStream(stream, {
            initialState: () => ({ events: 0, quantity: 0 }),
            evolve: (s: Totals['totals'], e: ReadEvent<EmmettOrderPlaced>) => ({
              events: s.events + 1,
              quantity: s.quantity + e.data.quantity,
            }),
          });
          if (state.events !== expected.events || state.quantity !== expected.quantity) {
            throw new Error(
              `${system} rebuilt ${JSON.stringify(state)}, expected ${JSON.stringify(expected)}`,
            );
          }
        },
        done: close,
      };
    },
  };
}

/**
 * A peer's package, or null (said on stderr) when it does not load: Emmett's stores need
 * their own peers installed (`uuid`, `async-retry`; `@event-driven-io/pongo` for Postgres).
 */
async function loadPeer<M>(
  recorder: Recorder,
  system: string,
  load: () => Promise<M>,
): Promise<M | null> {
  try {
    return await load();
  } catch (error) {
    recorder.progress(
      `${system} skipped: it does not load (${String(error).split('\n')[0]}); install its missing peer dependencies in the bench workspace`,
    );
    return null;
  }
}

/**
 * The disk's limit: append a 64-byte record and `fdatasync` it, in a loop, beside the stores,
 * through the same `FileHandle` calls the file store makes (here they beat a blocking
 * `writeSync` + `fdatasyncSync` loop, so this is the harder bar).
 */
async function fsyncRunner(dir: string): Promise<{ runner: Runner; close(): Promise<void> }> {
  const record = Buffer.alloc(64, 0x5a);
  const handle = await open(join(dir, 'fsync.bin'), 'w');
  let position = 0;
  return {
    runner: {
      system: 'disk',
      count: FSYNCS,
      async work() {
        for (let i = 0; i < FSYNCS; i++) {
          await handle.write(record, 0, record.length, position);
          position += record.length;
          await handle.datasync();
        }
      },
    },
    close: () => handle.close(),
  };
}

/** The codec under the stores: envelope tuples through @msgpack/msgpack and msgpackr. */
async function codecCases(recorder: Recorder): Promise<void> {
  const N = 50_000;
  const cursor: LogCursor = { tick: 1, seq: 1, at: 1_750_000_000_000 };
  const tuples = nextTick(cursor, N).events.map(envelopeToTuple);
  const encoder = new Encoder({ ignoreUndefined: false });
  const decoder = new Decoder();
  const packr = new Packr({ useRecords: false, moreTypes: false });
  const encoded = tuples.map((t) => encoder.encode(t));
  const packed = tuples.map((t) => packr.pack(t));
  const bytes = encoded.reduce((n, b) => n + b.length, 0) / N;
  recorder.progress(
    `codec: an envelope is ${bytes.toFixed(0)} bytes of msgpack, its payload ${encoder.encode(payloads[1]).length}`,
  );
  recorder.record(
    'codec-encode',
    '@msgpack/msgpack',
    'events/s',
    await measureRate(() => {
      for (const t of tuples) encoder.encode(t);
    }, N),
  );
  recorder.record(
    'codec-encode',
    'msgpackr',
    'events/s',
    await measureRate(() => {
      for (const t of tuples) packr.pack(t);
    }, N),
  );
  recorder.record(
    'codec-decode',
    '@msgpack/msgpack',
    'events/s',
    await measureRate(() => {
      for (const b of encoded) decoder.decode(b);
    }, N),
  );
  recorder.record(
    'codec-decode',
    'msgpackr',
    'events/s',
    await measureRate(() => {
      for (const b of packed) packr.unpack(b);
    }, N),
  );
}

/** `url` without its password, for messages. */
function redact(url: string): string {
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.href;
}

/** `url` pointed at another database. */
function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.href;
}
