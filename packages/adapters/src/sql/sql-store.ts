import { CausewayError, ErrorCodes } from '@causeway/runtime';
import {
  checkCommit,
  checkHeader,
  checkJournal,
  checkLimit,
  checkNewHeader,
  checkSnapshot,
  ownCommit,
  ownEvents,
  ownInputs,
  ownSnapshot,
  decodeValue,
  DEFAULT_PAGE,
  encodeValue,
  ENVELOPE_FIELDS,
  ENVELOPE_LAYOUT,
  envelopeToTuple,
  normalisePosition,
  normaliseQuery,
  storeClosed,
  storeNotOpen,
  storeReadOnly,
} from '@causeway/runtime/store-kit';
import type { EnvelopeField } from '@causeway/runtime/store-kit';
import type {
  EventQuery,
  EventStore,
  InputRecord,
  LogHeader,
  Page,
  Snapshot,
  StoredEnvelope,
  TickCommit,
  Unwatch,
} from '@causeway/runtime';
import { CopyRows } from './copy-rows.ts';
import { isMissingRelation, readFailure, writeFailure } from './failures.ts';
import {
  checkNotNewer,
  checkSchemaName,
  commitChannel,
  LATEST_VERSION,
  migrate,
  quoted,
  schemaVersion,
} from './schema.ts';
import type { SqlDriver, SqlQueryable, SqlWriterSession } from './session.ts';

/** Options of a SQL store. */
export interface SqlStoreOptions {
  /** The Postgres schema that holds the log; several logs share a database by schema. */
  readonly schema: string;
  readonly readOnly: boolean;
  /** How often a watching reader polls for commits whose notification was lost, in ms. */
  readonly pollMs?: number;
}

type Row = Record<string, unknown>;

interface Watcher {
  readonly listener: (commit: TickCommit) => void;
  /** The tick last delivered to it; `null` until its starting point is known. */
  after: number | null;
}

/** Each envelope field's column type (the columns are named after the fields). */
const COLUMN_TYPES: Record<EnvelopeField, 'bigint' | 'int' | 'text' | 'bytea'> = {
  id: 'text',
  seq: 'bigint',
  tick: 'bigint',
  type: 'text',
  version: 'int',
  entity: 'text',
  data: 'bytea',
  at: 'bigint',
  causation: 'text',
  correlation: 'text',
  actor: 'text',
};

/** The events table's columns in the runtime's ENVELOPE_FIELDS order (written there only). */
const EVENT_COLUMNS = ENVELOPE_FIELDS.join(', ');

/**
 * The INSERT of a tick's events from column arrays ($1 … $11, one a field in ENVELOPE_FIELDS
 * order; the payloads as one bytea blob cut by $12 offsets and $13 lengths), then its commit
 * record ($14 … $19) and notification ($20).
 */
function insertTickStatement(schema: string): string {
  const arrays = ENVELOPE_FIELDS.map((field, i) =>
    field === 'data' ? null : `$${i + 1}::${COLUMN_TYPES[field]}[]`,
  ).filter((a) => a !== null);
  const names = ENVELOPE_FIELDS.filter((f) => f !== 'data');
  const blob = ENVELOPE_LAYOUT.data + 1;
  const selected = ENVELOPE_FIELDS.map((field) =>
    field === 'data' ? `substring($${blob}::bytea from data_at for data_length)` : field,
  );
  return `with ev as (
     insert into ${schema}.events (${EVENT_COLUMNS})
     select ${selected.join(', ')}
     from unnest(${arrays.join(', ')}, $12::int[], $13::int[])
          as u(${names.join(', ')}, data_at, data_length)
   ), c as (
     insert into ${schema}.commits (tick, at, first_seq, last_seq, last_input, hash)
     values ($14, $15, $16, $17, $18, $19) returning tick
   )
   select pg_notify($20, tick::text) from c`;
}

/**
 * `pg` returns bytea as a Buffer; a Buffer-typed payload would not equal the Uint8Array that
 * was written, so reads hand out plain Uint8Array views.
 */
function bytes(value: unknown): Uint8Array {
  const b = value as Uint8Array;
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The payloads back to back, as one parameter. */
function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * From this many events a tick, a commit loads them with COPY (where the driver says it pays)
 * instead of the one INSERT statement. COPY takes a transaction of four round trips instead of
 * one statement; measured on local Postgres 15 (events/s, old single statement against COPY):
 * 1,635 against 1,212 for one-event ticks, 29,000 against 25,000 at 30, even at 100, 64,000
 * against 76,000 at 250, 80,000 against 124,000 at 10,000.
 */
const COPY_MIN_EVENTS = 100;

/** A tick's events ready to insert: COPY rows, or the INSERT's array parameters. */
type EventBatch = { readonly rows: Uint8Array } | { readonly params: readonly unknown[] };

/** The events as binary COPY rows, in the order of EVENT_COLUMNS. */
function eventRows(events: readonly StoredEnvelope[]): EventBatch {
  const rows = new CopyRows(events.length * 400);
  for (const e of events) {
    const fields = envelopeToTuple(e);
    rows.row(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const value = fields[i];
      switch (COLUMN_TYPES[ENVELOPE_FIELDS[i] as EnvelopeField]) {
        case 'bigint':
          rows.int8(value as number);
          break;
        case 'int':
          rows.int4(value as number);
          break;
        case 'bytea':
          rows.msgpack(value);
          break;
        default:
          rows.text((value as string | null | undefined) ?? null);
      }
    }
  }
  return { rows: rows.finish() };
}

/**
 * The events as column arrays for INSERT … SELECT FROM unnest(…) (see insertTickStatement):
 * one array a field in ENVELOPE_FIELDS order, the payloads as one blob in the data field's
 * place, then the payloads' offsets and lengths.
 */
function eventArrays(events: readonly StoredEnvelope[]): EventBatch {
  const n = events.length;
  const columns = ENVELOPE_FIELDS.map(() => new Array<unknown>(n));
  const dataAt = new Array<number>(n);
  const dataLength = new Array<number>(n);
  const payloads = new Array<Uint8Array>(n);
  const data = ENVELOPE_LAYOUT.data;
  let offset = 1;
  for (let i = 0; i < n; i++) {
    const fields = envelopeToTuple(events[i] as StoredEnvelope);
    for (let f = 0; f < fields.length; f++) (columns[f] as unknown[])[i] = fields[f];
    const payload = encodeValue(fields[data]);
    payloads[i] = payload;
    dataAt[i] = offset;
    dataLength[i] = payload.length;
    offset += payload.length;
  }
  columns[data] = concat(payloads, offset - 1) as unknown as unknown[];
  return { params: [...columns, dataAt, dataLength] };
}

function toEnvelope(r: Row): StoredEnvelope {
  return {
    id: r['id'] as string,
    seq: Number(r['seq']),
    tick: Number(r['tick']),
    type: r['type'] as string,
    version: Number(r['version']),
    entity: r['entity'] as string,
    data: decodeValue(bytes(r['data'])),
    at: Number(r['at']),
    causation: (r['causation'] as string | null) ?? null,
    correlation: r['correlation'] as string,
    actor: r['actor'] as string,
  };
}

function toInput(r: Row): InputRecord {
  return {
    ino: Number(r['ino']),
    type: r['type'] as string,
    version: Number(r['version']),
    entity: r['entity'] as string,
    data: decodeValue(bytes(r['data'])),
    actor: r['actor'] as string,
  };
}

function toCommit(r: Row): TickCommit {
  return {
    tick: Number(r['tick']),
    at: Number(r['at']),
    firstSeq: Number(r['first_seq']),
    lastSeq: Number(r['last_seq']),
    lastInput: Number(r['last_input']),
    hash: r['hash'] as string,
  };
}

/**
 * The event store over SQL, shared by {@link PostgresStore} and {@link PgliteStore}: one schema
 * per log, one writer per log (a lock held by the writer's own connection for the store's
 * life), readers without locks, commits announced by NOTIFY and found by polling too.
 *
 * Payloads (`data`, snapshot bytes) are stored as msgpack in `bytea`: faster to write than
 * `jsonb` and faithful (Uint8Array, key order, -0); see docs/postgres-store.md for the figures.
 */
export class SqlStore implements EventStore {
  readonly description: string;
  readonly readOnly: boolean;
  /** The schema holding this log. */
  readonly schema: string;

  private readonly driver: SqlDriver;
  private readonly s: string;
  private readonly channel: string;
  private readonly pollMs: number;
  private closed = false;
  /** Set once open() has resolved. */
  private opened = false;
  /** A writer's log has a header (stored, or written by its open): appends may proceed. */
  private hasHeader = false;
  /** Set once close() has let the writes called before it finish. */
  private released = false;

  // Writer state. `last`/`lastIno` mirror the database while the session is healthy; they are
  // dropped after any failed write and reloaded on the next one.
  private session: SqlWriterSession | null = null;
  private connecting: Promise<SqlWriterSession> | null = null;
  private known = false;
  private last: TickCommit | null = null;
  /** A reader's newest tick seen (at open and through its reads): where its watchers start. */
  private seenTick: number | null = null;
  private lastIno = 0;
  private writes: Promise<unknown> = Promise.resolve();

  // Watch state.
  private readonly watchers = new Set<Watcher>();
  private poll: ReturnType<typeof setInterval> | null = null;
  private unlisten: Promise<(() => Promise<void>) | null> | null = null;
  private pumping = false;
  private pumpAgain = false;

  constructor(driver: SqlDriver, options: SqlStoreOptions) {
    this.driver = driver;
    this.schema = checkSchemaName(options.schema);
    const readOnly: unknown = options.readOnly;
    // A string such as 'false' from a configuration file would open a reader that refuses
    // every write: only a boolean says which.
    if (typeof readOnly !== 'boolean') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `readOnly must be true or false, got ${JSON.stringify(readOnly) ?? String(readOnly)}.`,
        { readOnly },
      );
    }
    const pollMs: unknown = options.pollMs ?? 250;
    if (typeof pollMs !== 'number' || !Number.isFinite(pollMs) || pollMs < 1) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `pollMs must be a finite number of 1 or more milliseconds, got ${String(pollMs)}.`,
        { pollMs },
      );
    }
    this.readOnly = readOnly;
    this.s = quoted(this.schema);
    this.channel = commitChannel(this.schema);
    this.pollMs = pollMs;
    this.description = `${driver.description} (schema ${this.schema})`;
  }

  async open(header?: LogHeader): Promise<LogHeader | null> {
    if (this.closed) throw storeClosed(this.description);
    if (!this.readOnly && header !== undefined) checkNewHeader(this.description, header);
    if (this.readOnly) {
      try {
        const version = await schemaVersion(this.driver.reads, this.schema);
        checkNotNewer(this.schema, version);
        if (version < LATEST_VERSION) {
          throw new CausewayError(
            ErrorCodes.LogMismatch,
            `The log in ${this.description} has schema version ${version}; this Causeway reads version ${LATEST_VERSION}. Open it once for writing to migrate it, then read it.`,
            { store: this.description, version, latest: LATEST_VERSION },
          );
        }
        const stored = await this.readHeader(this.driver.reads);
        this.seenTick = stored === null ? 0 : await this.lastTick();
        this.opened = true;
        return stored;
      } catch (err) {
        if (isMissingRelation(err)) {
          this.seenTick = 0;
          this.opened = true;
          return null;
        }
        throw readFailure(this.description, 'the log header', err);
      }
    }
    return await this.serialised(async () => {
      const session = await this.writerSession();
      try {
        const opened = await session.transaction(async (tx) => {
          const stored = await this.readHeader(tx);
          if (header === undefined) return stored;
          if (stored !== null) {
            checkHeader(this.description, stored, header);
            return stored;
          }
          await tx.query(
            `insert into ${this.s}.header (format, seed, event_types) values ($1, $2, $3::json)`,
            [header.format, header.seed, JSON.stringify(header.schema)],
          );
          return header;
        });
        this.opened = true;
        this.hasHeader = opened !== null;
        return opened;
      } catch (err) {
        // An open writer refused a second open (another seed) keeps its log: it is still open.
        if (this.opened) throw this.failedWrite('Opening the log again', err);
        // A writer that may not open this log (another seed) must not keep it locked.
        this.session = null;
        this.known = false;
        await session.release();
        throw this.failedWrite('Opening the log', err);
      }
    });
  }

  async journal(given: readonly InputRecord[]): Promise<void> {
    this.ensureWritable();
    // Checked and written from one read of each field, made now: the caller may change its
    // objects while this waits its turn (see ownInputs).
    const inputs = ownInputs(given);
    return await this.serialised(async () => {
      const session = await this.writerSession();
      checkJournal(this.description, this.lastIno, inputs);
      if (inputs.length === 0) return;
      try {
        await session.query(
          `insert into ${this.s}.inputs (ino, type, version, entity, data, actor)
           select * from unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::bytea[], $6::text[])`,
          [
            inputs.map((i) => i.ino),
            inputs.map((i) => i.type),
            inputs.map((i) => i.version),
            inputs.map((i) => i.entity),
            inputs.map((i) => encodeValue(i.data)),
            inputs.map((i) => i.actor),
          ],
        );
      } catch (err) {
        throw this.failedWrite(
          `Journaling inputs ${inputs[0]?.ino ?? 0}…${inputs.at(-1)?.ino ?? 0}`,
          err,
        );
      }
      this.lastIno = (inputs.at(-1) as InputRecord).ino;
    });
  }

  async commit(given: TickCommit, tickEvents: readonly StoredEnvelope[]): Promise<void> {
    this.ensureWritable();
    const commit = ownCommit(given);
    const events = ownEvents(tickEvents);
    return await this.serialised(async () => {
      const session = await this.writerSession();
      checkCommit(this.description, this.last, this.lastIno, commit, events);
      // Encoded before anything is sent: a payload msgpack cannot carry fails the commit as
      // it is, with nothing written.
      const batch =
        session.bulkCopy && events.length >= COPY_MIN_EVENTS
          ? eventRows(events)
          : eventArrays(events);
      const record = [
        commit.tick,
        commit.at,
        commit.firstSeq,
        commit.lastSeq,
        commit.lastInput,
        commit.hash,
        this.channel,
      ];
      try {
        // Either way one transaction: the events, the commit record and the notification are
        // stored together or not at all.
        if ('rows' in batch) {
          await session.transaction(async (tx) => {
            await tx.copyIn(`${this.s}.events`, EVENT_COLUMNS, batch.rows);
            await tx.query(
              `with c as (
                 insert into ${this.s}.commits (tick, at, first_seq, last_seq, last_input, hash)
                 values ($1, $2, $3, $4, $5, $6) returning tick
               )
               select pg_notify($7, tick::text) from c`,
              record,
            );
          });
        } else {
          // One statement, one round trip. The payloads travel as one binary parameter cut up
          // by offset, which is faster than a bytea[] (sent as hex text) and keeps the rows'
          // encoding the same.
          await session.query(insertTickStatement(this.s), [...batch.params, ...record]);
        }
      } catch (err) {
        throw this.failedWrite(
          `Commit of tick ${commit.tick}`,
          err,
          `The tick was rolled back and will be retried: its inputs stay journaled, and the next tick runs them again on a new connection (the store reconnects and takes its writer lock again).`,
        );
      }
      this.last = commit;
      this.deliverOwn(commit);
    });
  }

  async saveSnapshot(given: Snapshot): Promise<void> {
    this.ensureWritable();
    const snapshot = ownSnapshot(given);
    return await this.serialised(async () => {
      const session = await this.writerSession();
      checkSnapshot(
        this.description,
        snapshot,
        await this.writerCommitOf(session, snapshot.tick),
        this.last?.tick ?? 0,
      );
      try {
        await session.query(
          `insert into ${this.s}.snapshots (tick, last_seq, last_input, bytes) values ($1, $2, $3, $4)
           on conflict (tick) do update
             set last_seq = excluded.last_seq, last_input = excluded.last_input, bytes = excluded.bytes`,
          [snapshot.tick, snapshot.lastSeq, snapshot.lastInput, snapshot.bytes],
        );
      } catch (err) {
        throw this.failedWrite(`Saving the snapshot of tick ${snapshot.tick}`, err);
      }
    });
  }

  async latestSnapshot(atOrBeforeTick?: number): Promise<Snapshot | null> {
    this.ensureOpen();
    const rows = await this.read(
      'the latest snapshot',
      `select tick, last_seq, last_input, bytes from ${this.s}.snapshots
       where tick <= $1 order by tick desc limit 1`,
      [
        atOrBeforeTick === undefined
          ? Number.MAX_SAFE_INTEGER
          : normalisePosition('atOrBeforeTick', atOrBeforeTick),
      ],
    );
    const r = rows[0];
    if (r === undefined) return null;
    return {
      tick: Number(r['tick']),
      lastSeq: Number(r['last_seq']),
      lastInput: Number(r['last_input']),
      // A copy: the driver's buffer may be a slice of a shared pool.
      bytes: Uint8Array.from(bytes(r['bytes'])),
    };
  }

  async readEvents(query?: EventQuery): Promise<Page<StoredEnvelope>> {
    this.ensureOpen();
    const q = normaliseQuery(query);
    const params: unknown[] = [q.fromSeq, q.toSeq];
    let where = 'seq >= $1 and seq <= $2';
    if (q.entity !== undefined) where += ` and entity = $${params.push(q.entity)}`;
    if (q.type !== undefined) where += ` and type = $${params.push(q.type)}`;
    if (q.correlation !== undefined) where += ` and correlation = $${params.push(q.correlation)}`;
    // One row more than the page tells whether there is a next page and where it starts.
    const rows = await this.read(
      'events',
      `select ${EVENT_COLUMNS} from ${this.s}.events where ${where} order by seq limit $${params.push(q.limit + 1)}`,
      params,
    );
    const items: StoredEnvelope[] = [];
    const n = Math.min(rows.length, q.limit);
    for (let i = 0; i < n; i++) items.push(toEnvelope(rows[i] as Row));
    const extra = rows[q.limit];
    return { items, next: extra === undefined ? null : Number(extra['seq']) };
  }

  async readInputs(after = 0, limit = DEFAULT_PAGE): Promise<readonly InputRecord[]> {
    this.ensureOpen();
    checkLimit(limit);
    after = normalisePosition('after', after);
    const rows = await this.read(
      'inputs',
      `select ino, type, version, entity, data, actor from ${this.s}.inputs
       where ino > $1 order by ino limit $2`,
      [after, limit],
    );
    return rows.map(toInput);
  }

  async readCommits(afterTick = 0, limit = DEFAULT_PAGE): Promise<readonly TickCommit[]> {
    this.ensureOpen();
    checkLimit(limit);
    const commits = await this.commitsAfter(normalisePosition('afterTick', afterTick), limit);
    this.see(commits.at(-1)?.tick ?? 0);
    return commits;
  }

  async lastCommit(): Promise<TickCommit | null> {
    this.ensureOpen();
    const rows = await this.read(
      'the last commit',
      `select tick, at, first_seq, last_seq, last_input, hash from ${this.s}.commits
       order by tick desc limit 1`,
      [],
    );
    const r = rows[0];
    const last = r === undefined ? null : toCommit(r);
    this.see(last?.tick ?? 0);
    return last;
  }

  private see(tick: number): void {
    if (this.seenTick !== null && tick > this.seenTick) this.seenTick = tick;
  }

  async lastInput(): Promise<number> {
    this.ensureOpen();
    const rows = await this.read(
      'the last input number',
      `select coalesce(max(ino), 0) as ino from ${this.s}.inputs`,
      [],
    );
    return Number(rows[0]?.['ino'] ?? 0);
  }

  watch(listener: (commit: TickCommit) => void): Unwatch {
    if (this.closed) throw storeClosed(this.description);
    // A writer knows every commit of its log (it is the only writer) and hands its own
    // commits to its watchers; anyone else tails the database.
    const own = this.session !== null && this.known;
    // A reader starts from the newest tick it has seen, known without a query: asking the
    // database here would race with commits landing meanwhile, and lose them.
    const start = own ? (this.last?.tick ?? 0) : this.seenTick;
    const watcher: Watcher = { listener, after: start };
    this.watchers.add(watcher);
    if (!own) {
      this.startTailing();
      if (start !== null) this.pump();
      else
        this.lastTick()
          .then((tick) => {
            watcher.after = tick;
            this.pump();
          })
          .catch(() => {
            // Unknown starting point: the next poll retries it.
          });
    }
    return () => {
      this.watchers.delete(watcher);
      if (this.watchers.size === 0) this.stopTailing();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.stopTailing();
    await this.writes.catch(() => undefined);
    this.released = true;
    const session = this.session ?? (await this.connecting?.catch(() => null)) ?? null;
    this.session = null;
    await session?.release();
    await this.driver.end();
  }

  // ---- writer session ----

  /** Runs write operations one after another, in call order, whatever each one's outcome. */
  private serialised<T>(op: () => Promise<T>): Promise<T> {
    const result = this.writes.then(op, op);
    this.writes = result.catch(() => undefined);
    return result;
  }

  /**
   * The writer's session, (re)connected and locked, with the log's position loaded. After a
   * lost connection this takes the lock again, or throws StoreLockedError if another writer
   * took it meanwhile.
   */
  private async writerSession(): Promise<SqlWriterSession> {
    // Writes called before close() still run (close waits for them); only a released store
    // refuses them.
    if (this.released) throw storeClosed(this.description);
    let session = this.session;
    if (session !== null && session.broken) {
      this.session = null;
      this.known = false;
      await session.release();
      session = null;
    }
    if (session === null) {
      this.connecting ??= this.driver.openWriter(this.schema);
      try {
        session = await this.connecting;
      } finally {
        this.connecting = null;
      }
      if (this.released) {
        await session.release();
        throw storeClosed(this.description);
      }
      this.session = session;
      try {
        await migrate(session, this.schema);
      } catch (err) {
        throw this.failedWrite('Preparing the log schema', err);
      }
    }
    if (!this.known) {
      try {
        const last = await session.query<Row>(
          `select tick, at, first_seq, last_seq, last_input, hash from ${this.s}.commits
           order by tick desc limit 1`,
        );
        const { rows } = await session.query<Row>(
          `select coalesce(max(ino), 0) as ino from ${this.s}.inputs`,
        );
        this.last = last.rows[0] === undefined ? null : toCommit(last.rows[0]);
        this.lastIno = Number(rows[0]?.['ino'] ?? 0);
        this.known = true;
      } catch (err) {
        throw this.failedWrite('Reading the log position', err);
      }
      // A write whose outcome was unknown (connection lost while confirming) may have
      // committed: watchers catch up from the database.
      this.pump();
    }
    return session;
  }

  private failedWrite(what: string, err: unknown, afterLoss?: string): CausewayError {
    // Whatever happened, the database is the truth again from the next write on.
    this.known = false;
    return afterLoss === undefined
      ? writeFailure(this.description, what, err)
      : writeFailure(this.description, what, err, afterLoss);
  }

  private async readHeader(db: SqlQueryable): Promise<LogHeader | null> {
    const { rows } = await db.query<Row>(`select format, seed, event_types from ${this.s}.header`);
    const r = rows[0];
    if (r === undefined) return null;
    return {
      format: Number(r['format']) as 1,
      seed: Number(r['seed']),
      schema: r['event_types'] as Record<string, number>,
    };
  }

  // ---- reads ----

  private async read(what: string, text: string, params: readonly unknown[]): Promise<Row[]> {
    try {
      return (await this.driver.reads.query<Row>(text, params)).rows;
    } catch (err) {
      // A reader may open a log before its writer has created it: an empty log.
      if (isMissingRelation(err)) return [];
      throw readFailure(this.description, what, err);
    }
  }

  private async commitsAfter(afterTick: number, limit: number): Promise<TickCommit[]> {
    const rows = await this.read(
      'commits',
      `select tick, at, first_seq, last_seq, last_input, hash from ${this.s}.commits
       where tick > $1 order by tick limit $2`,
      [afterTick, limit],
    );
    return rows.map(toCommit);
  }

  /** The commit record of `tick`, read on the writer's session (the last one is known). */
  private async writerCommitOf(
    session: SqlWriterSession,
    tick: number,
  ): Promise<TickCommit | undefined> {
    if (this.last !== null && this.last.tick === tick) return this.last;
    if (!Number.isInteger(tick) || tick < 1 || tick > (this.last?.tick ?? 0)) return undefined;
    try {
      const { rows } = await session.query<Row>(
        `select tick, at, first_seq, last_seq, last_input, hash from ${this.s}.commits where tick = $1`,
        [tick],
      );
      return rows[0] === undefined ? undefined : toCommit(rows[0]);
    } catch (err) {
      throw this.failedWrite(`Saving the snapshot of tick ${tick}`, err);
    }
  }

  private async lastTick(): Promise<number> {
    const rows = await this.read(
      'the last tick',
      `select coalesce(max(tick), 0) as tick from ${this.s}.commits`,
      [],
    );
    return Number(rows[0]?.['tick'] ?? 0);
  }

  // ---- watching ----

  private deliverOwn(commit: TickCommit): void {
    for (const w of this.watchers) {
      if (w.after === commit.tick - 1) {
        w.after = commit.tick;
        this.call(w, commit);
      }
    }
  }

  private call(w: Watcher, commit: TickCommit): void {
    try {
      w.listener(commit);
    } catch {
      // A watcher's failure is its own (as in the file and memory stores): the commit is
      // stored, and the other watchers run. Rethrown, it took the process down.
    }
  }

  private startTailing(): void {
    if (this.poll === null) {
      this.poll = setInterval(() => {
        this.listenAgain();
        this.pump();
      }, this.pollMs);
      // Polling never keeps a process alive on its own.
      this.poll.unref?.();
    }
    this.listenAgain();
  }

  private listenAgain(): void {
    if (this.unlisten !== null || this.closed) return;
    this.unlisten = this.driver
      .listen(
        this.channel,
        () => this.pump(),
        () => {
          this.unlisten = null;
        },
      )
      .catch(() => {
        // Polling carries on; the next poll tries to listen again.
        this.unlisten = null;
        return null;
      });
  }

  private stopTailing(): void {
    if (this.poll !== null) clearInterval(this.poll);
    this.poll = null;
    const unlisten = this.unlisten;
    this.unlisten = null;
    void unlisten?.then((stop) => stop?.()).catch(() => undefined);
  }

  /**
   * Delivers the commits each watcher has not seen, in order. Notifications and polls both
   * call it; a call during a run makes the run go round once more instead of running twice.
   */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    if (this.watchers.size === 0 || this.closed) return;
    this.pumping = true;
    const run = async (): Promise<void> => {
      do {
        this.pumpAgain = false;
        let from: number | null = null;
        for (const w of this.watchers) {
          if (w.after !== null && (from === null || w.after < from)) from = w.after;
        }
        if (from === null) return;
        const commits = await this.commitsAfter(from, DEFAULT_PAGE);
        for (const c of commits) {
          for (const w of this.watchers) {
            if (w.after === c.tick - 1) {
              w.after = c.tick;
              this.call(w, c);
            }
          }
        }
        if (commits.length === DEFAULT_PAGE) this.pumpAgain = true;
      } while (this.pumpAgain && !this.closed);
    };
    run()
      .catch(() => {
        // The database is unreachable for now; the next poll delivers what was missed.
      })
      .finally(() => {
        this.pumping = false;
      });
  }

  private ensureOpen(): void {
    if (this.closed) throw storeClosed(this.description);
    if (!this.opened) throw storeNotOpen(this.description, 'not-open');
  }

  private ensureWritable(): void {
    if (this.closed) throw storeClosed(this.description);
    if (this.readOnly) throw storeReadOnly(this.description);
    // Before open() no header was checked and no lock taken on purpose: a write here would
    // start a log without a header, or one another seed wrote.
    if (!this.opened) throw storeNotOpen(this.description, 'not-open');
    if (!this.hasHeader) throw storeNotOpen(this.description, 'no-header');
  }
}
