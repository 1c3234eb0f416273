import { CausewayError, ErrorCodes } from '../errors/index.ts';
import { isValidSeed } from '../random/prng.ts';
import type { StoredEnvelope } from '../events/envelope.ts';
import { PlainEnvelope } from './stored-envelope.ts';
import type {
  EventQuery,
  EventStore,
  InputRecord,
  LogHeader,
  Snapshot,
  TickCommit,
} from './port.ts';

/** The page size of a read that names none. */
export const DEFAULT_PAGE = 1000;
/** The largest page size a read may ask for (`CW_INVALID_ARGUMENT` beyond it). */
export const MAX_PAGE = 10_000;

/**
 * Checks that journaling `inputs` after `lastInput` keeps input numbers gap-free, and (unless
 * `fields` is false) each input's fields. Every adapter calls it before writing, so a bad append
 * changes nothing anywhere. A store that checks the fields as it reads them to write them (once:
 * {@link badInputValues}) passes `fields` false.
 * @throws CausewayError `CW_APPEND_CONFLICT`, `CW_INVALID_ARGUMENT`
 */
export function checkJournal(
  store: string,
  lastInput: number,
  inputs: readonly InputRecord[],
  fields = true,
): void {
  if (!Array.isArray(inputs)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `Inputs are journaled as an array of input records, got ${inputs === null ? 'null' : typeof inputs}; nothing was written to ${store}.`,
      { store, inputs: inputs === null ? 'null' : typeof inputs },
    );
  }
  for (let i = 0; i < inputs.length; i++) {
    const expected = lastInput + 1 + i;
    const input = inputs[i] as InputRecord;
    const bad = fields ? badInputField(input) : notAnObject(input, 'it is not an object');
    // Named by its place in the batch when it is not an object (it has no number then).
    if (bad !== null) throw inputRefused(store, input?.ino ?? `[${i}]`, bad);
    if (input.ino !== expected) {
      throw new CausewayError(
        ErrorCodes.AppendConflict,
        `Input journal of ${store} expected input number ${expected} but got ${input.ino}: input numbers are gap-free. Another writer may have appended; reopen the store.`,
        { store, expected, got: input.ino },
      );
    }
  }
}

/**
 * Checks that a tick commit follows `last` (gap-free ticks and seqs, events numbered
 * `firstSeq … lastSeq` of this tick, inputs already journaled), and (unless `fields` is false)
 * each event's fields, as {@link checkJournal} does.
 * @throws CausewayError `CW_APPEND_CONFLICT`, `CW_INVALID_ARGUMENT`
 */
export function checkCommit(
  store: string,
  last: TickCommit | null,
  lastInput: number,
  commit: TickCommit,
  events: readonly StoredEnvelope[],
  fields = true,
): void {
  if (typeof commit !== 'object' || commit === null) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `A commit record must be a TickCommit object, got ${commit === null ? 'null' : typeof commit}; nothing was written to ${store}.`,
      { store, commit: commit === null ? 'null' : typeof commit },
    );
  }
  if (!Array.isArray(events)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `A tick's events must be an array of envelopes, got ${events === null ? 'null' : typeof events}; nothing was written to ${store}.`,
      { store, events: events === null ? 'null' : typeof events },
    );
  }
  const expectedTick = (last?.tick ?? 0) + 1;
  if (commit.tick !== expectedTick)
    refuseCommit(store, commit, `the next tick is ${expectedTick}`, { expectedTick });
  const expectedFirst = (last?.lastSeq ?? 0) + 1;
  if (commit.firstSeq !== expectedFirst) {
    refuseCommit(
      store,
      commit,
      `its first seq should be ${expectedFirst}, not ${commit.firstSeq}`,
      { expectedFirst },
    );
  }
  if (commit.lastSeq !== commit.firstSeq + events.length - 1) {
    refuseCommit(
      store,
      commit,
      `lastSeq ${commit.lastSeq} does not match ${events.length} events from seq ${commit.firstSeq}`,
      {},
    );
  }
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as StoredEnvelope;
    const bad = fields ? badEventField(e) : notAnObject(e, 'is not an object');
    if (bad !== null) throw eventRefused(store, commit.tick, i, e?.seq, bad);
    if (e.seq !== commit.firstSeq + i || e.tick !== commit.tick) {
      refuseCommit(
        store,
        commit,
        `event ${i} has seq ${e.seq} in tick ${e.tick}, expected seq ${commit.firstSeq + i} in tick ${commit.tick}`,
        { index: i },
      );
    }
  }
  if (
    !Number.isInteger(commit.lastInput) ||
    commit.lastInput < (last?.lastInput ?? 0) ||
    commit.lastInput > lastInput
  ) {
    refuseCommit(
      store,
      commit,
      `lastInput ${commit.lastInput} is outside the journaled range ${last?.lastInput ?? 0}…${lastInput}`,
      {},
    );
  }
  if (!Number.isFinite(commit.at))
    refuseCommit(
      store,
      commit,
      `its time must be a finite number of epoch milliseconds, not ${String(commit.at)}`,
      {},
    );
  if (typeof commit.hash !== 'string')
    refuseCommit(store, commit, `its hash must be a string, not ${typeof commit.hash}`, {});
  if (last !== null && commit.at < last.at)
    refuseCommit(
      store,
      commit,
      `its time ${commit.at} is before the previous tick's ${last.at}`,
      {},
    );
}

/** `message` when `value` is not an object, else null. */
function notAnObject(value: unknown, message: string): string | null {
  return typeof value !== 'object' || value === null ? message : null;
}

/** What is wrong with an input's fields (the runtime's `InputRecord`), or null. */
function badInputField(input: InputRecord): string | null {
  if (typeof input !== 'object' || input === null) return 'it is not an object';
  return badInputValues(input.type, input.version, input.entity, input.actor);
}

/**
 * What is wrong with an input's stored fields, given as the values read, or null. A store that
 * reads each field once to write it checks what it read with this (a getter may answer the
 * second read otherwise than the first, which {@link checkJournal} checked).
 */
export function badInputValues(
  type: unknown,
  version: unknown,
  entity: unknown,
  actor: unknown,
): string | null {
  if (typeof type !== 'string') return `its type is a ${typeof type}, not a string`;
  if (!Number.isInteger(version) || (version as number) < 1)
    return `its version ${String(version)} is not an integer of 1 or more`;
  if (typeof entity !== 'string') return `its entity is a ${typeof entity}, not a string`;
  if (typeof actor !== 'string') return `its actor is a ${typeof actor}, not a string`;
  return null;
}

/** The error refusing input `ino`, which `bad` says what is wrong with. */
export function inputRefused(store: string, ino: unknown, bad: string): CausewayError {
  return new CausewayError(
    ErrorCodes.InvalidArgument,
    `Input ${String(ino)} cannot be journaled to ${store}: ${bad}. Nothing was written.`,
    { store, ino },
  );
}

/** What is wrong with an envelope's fields, or null. */
function badEventField(e: StoredEnvelope): string | null {
  if (typeof e !== 'object' || e === null) return 'is not an object';
  return badEventValues(
    e.id,
    e.type,
    e.version,
    e.entity,
    e.at,
    e.causation,
    e.correlation,
    e.actor,
  );
}

/**
 * What is wrong with an event's stored fields, given as the values read, or null (as
 * {@link badInputValues} for inputs, against what {@link checkCommit} checked).
 */
export function badEventValues(
  id: unknown,
  type: unknown,
  version: unknown,
  entity: unknown,
  at: unknown,
  causation: unknown,
  correlation: unknown,
  actor: unknown,
): string | null {
  if (typeof id !== 'string') return `has an id that is a ${typeof id}, not a string`;
  if (typeof type !== 'string') return `has a type that is a ${typeof type}, not a string`;
  if (!Number.isInteger(version) || (version as number) < 1)
    return `has the version ${String(version)}, not an integer of 1 or more`;
  if (typeof entity !== 'string') return `has an entity that is a ${typeof entity}, not a string`;
  if (!Number.isFinite(at)) return `has the time ${String(at)}, not a finite number`;
  if (causation !== null && typeof causation !== 'string')
    return `has a causation that is a ${typeof causation}, not a string or null`;
  if (typeof correlation !== 'string')
    return `has a correlation that is a ${typeof correlation}, not a string`;
  if (typeof actor !== 'string') return `has an actor that is a ${typeof actor}, not a string`;
  return null;
}

/** The error refusing a commit of `tick` for its event at `index`, which `bad` describes. */
export function eventRefused(
  store: string,
  tick: number,
  index: number,
  seq: unknown,
  bad: string,
): CausewayError {
  return new CausewayError(
    ErrorCodes.InvalidArgument,
    `Commit of tick ${tick} to ${store} refused: event ${index} (seq ${String(seq)}) ${bad}. Nothing was written.`,
    { store, tick, index },
  );
}

// A store reads what it is given twice: the checks above read each field, then the store
// reads it again to write it. An object whose getters answer the second read otherwise than the
// first (or that its caller changes meanwhile) would have the store write what was never
// checked: a seq out of place, a type that is a number. A store checks and writes these copies
// instead, each field read once.

/** A copy of each event, each field read once (anything but an array, as it is). */
export function ownEvents(events: readonly StoredEnvelope[]): readonly StoredEnvelope[] {
  if (!Array.isArray(events)) return events;
  const out = new Array<StoredEnvelope>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as StoredEnvelope;
    out[i] =
      typeof e !== 'object' || e === null
        ? e
        : new PlainEnvelope(
            e.id,
            e.seq,
            e.tick,
            e.type,
            e.version,
            e.entity,
            e.data,
            e.at,
            e.causation,
            e.correlation,
            e.actor,
          );
  }
  return out;
}

/** A copy of each input record, each field read once (anything but an array, as it is). */
export function ownInputs(inputs: readonly InputRecord[]): readonly InputRecord[] {
  if (!Array.isArray(inputs)) return inputs;
  return inputs.map((i: InputRecord) =>
    typeof i !== 'object' || i === null
      ? i
      : {
          ino: i.ino,
          type: i.type,
          version: i.version,
          entity: i.entity,
          data: i.data,
          actor: i.actor,
        },
  );
}

/** A frozen copy of a commit record, each field read once (anything else, as it is). */
export function ownCommit(commit: TickCommit): TickCommit {
  if (typeof commit !== 'object' || commit === null) return commit;
  return Object.freeze({
    tick: commit.tick,
    at: commit.at,
    firstSeq: commit.firstSeq,
    lastSeq: commit.lastSeq,
    lastInput: commit.lastInput,
    hash: commit.hash,
  });
}

/**
 * A copy of a snapshot, each field read once and its bytes copied (anything else, or bytes
 * that are not a Uint8Array, as they are): a caller that reuses its buffer after the save
 * changes nothing the store holds.
 */
export function ownSnapshot(snapshot: Snapshot): Snapshot {
  if (typeof snapshot !== 'object' || snapshot === null) return snapshot;
  const bytes: unknown = snapshot.bytes;
  return Object.freeze({
    tick: snapshot.tick,
    lastSeq: snapshot.lastSeq,
    lastInput: snapshot.lastInput,
    bytes: bytes instanceof Uint8Array ? new Uint8Array(bytes) : (bytes as Uint8Array),
  });
}

/**
 * Checks the header a writer creates a new log with: format 1, an unsigned 32-bit seed and a
 * schema of event type names and versions (integers of 1 or more). A store calls it before it
 * writes anything, so a bad header never becomes a log that no open can read.
 * @throws CausewayError `CW_INVALID_ARGUMENT`
 */
export function checkNewHeader(store: string, header: LogHeader): void {
  const h = header as unknown;
  let bad: string | null = null;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) bad = 'it is not an object';
  else if (header.format !== 1) bad = `its format is ${String(header.format)}, not 1`;
  else if (!isValidSeed(header.seed))
    bad = `its seed ${String(header.seed)} is not an unsigned 32-bit integer`;
  else if (
    typeof header.schema !== 'object' ||
    header.schema === null ||
    Array.isArray(header.schema)
  )
    bad = 'its schema is not an object of event type names and versions';
  else {
    for (const [name, version] of Object.entries(header.schema)) {
      if (!Number.isInteger(version) || version < 1) {
        bad = `its schema gives "${name}" the version ${String(version)}, not an integer of 1 or more`;
        break;
      }
    }
  }
  if (bad !== null) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `The log header for ${store} is not valid: ${bad}. A header is { format: 1, seed, schema: { EventName: version } }; nothing was written.`,
      { store },
    );
  }
}

// A module function rather than a closure in checkCommit: every commit of every store runs
// that check, and a refusal is the rare case.
function refuseCommit(
  store: string,
  commit: TickCommit,
  what: string,
  details: Record<string, unknown>,
): never {
  throw new CausewayError(
    ErrorCodes.AppendConflict,
    `Commit of tick ${commit.tick} to ${store} refused: ${what}. Nothing was written.`,
    { store, tick: commit.tick, ...details },
  );
}

/**
 * Checks a snapshot before a store saves it: its bytes are a `Uint8Array`, and it follows a
 * committed tick, with that tick's `lastSeq` and `lastInput`. `committed` is the log's commit
 * record of `snapshot.tick` (`undefined` when the log has none). A snapshot that claimed
 * another position would make a rebuild skip or repeat events.
 * @throws CausewayError `CW_INVALID_ARGUMENT` for bytes that are not a `Uint8Array`,
 * `CW_APPEND_CONFLICT` for a snapshot that does not match a committed tick
 */
export function checkSnapshot(
  store: string,
  snapshot: Snapshot,
  committed: TickCommit | undefined,
  lastTick: number,
): void {
  const bytes: unknown = snapshot.bytes;
  if (!(bytes instanceof Uint8Array)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `The snapshot of tick ${String(snapshot.tick)} for ${store} has bytes of type ${describeType(bytes)}; a snapshot's bytes must be a Uint8Array. Nothing was written.`,
      { store, tick: snapshot.tick },
    );
  }
  if (committed === undefined || committed.tick !== snapshot.tick) {
    throw new CausewayError(
      ErrorCodes.AppendConflict,
      `The snapshot of tick ${String(snapshot.tick)} for ${store} was refused: the log has committed ticks 1 to ${lastTick}, and a snapshot is taken after one of them. Nothing was written.`,
      { store, tick: snapshot.tick, lastTick },
    );
  }
  if (snapshot.lastSeq !== committed.lastSeq || snapshot.lastInput !== committed.lastInput) {
    throw new CausewayError(
      ErrorCodes.AppendConflict,
      `The snapshot of tick ${committed.tick} for ${store} was refused: it says lastSeq ${String(snapshot.lastSeq)} and lastInput ${String(snapshot.lastInput)}, but tick ${committed.tick} ended at seq ${committed.lastSeq} and input ${committed.lastInput}. Nothing was written.`,
      {
        store,
        tick: committed.tick,
        lastSeq: snapshot.lastSeq,
        lastInput: snapshot.lastInput,
        expectedLastSeq: committed.lastSeq,
        expectedLastInput: committed.lastInput,
      },
    );
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? name : 'object';
}

/**
 * Checks a position argument (`after` of `readInputs`, `afterTick` of `readCommits`,
 * `atOrBeforeTick` of `latestSnapshot`): an integer, a negative one read as 0. Nothing is
 * numbered below 1, and one past `Number.MAX_SAFE_INTEGER` reads as that.
 * @returns the position, within 0 … `Number.MAX_SAFE_INTEGER`
 * @throws CausewayError `CW_INVALID_ARGUMENT` for NaN, a fraction, an infinity or a non-number
 */
export function normalisePosition(name: string, value: number): number {
  if (!Number.isInteger(value)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `${name} must be an integer, got ${typeof value === 'number' ? String(value) : `a ${typeof value} (${JSON.stringify(value) ?? String(value)})`}.`,
      { [name]: value },
    );
  }
  return Math.min(Math.max(value, 0), Number.MAX_SAFE_INTEGER);
}

/** Checks a header passed by a writer against the stored one. */
export function checkHeader(store: string, stored: LogHeader, wanted: LogHeader): void {
  if (stored.format !== wanted.format || stored.seed !== wanted.seed) {
    throw new CausewayError(
      ErrorCodes.LogMismatch,
      `The log in ${store} was written with seed ${stored.seed} (format ${stored.format}); this system has seed ${wanted.seed} (format ${wanted.format}). Open it with the log's seed, or use another store.`,
      { store, stored, wanted },
    );
  }
}

/** Validates and normalises a query's range and page size. */
export function normaliseQuery(query: EventQuery | undefined): {
  fromSeq: number;
  toSeq: number;
  limit: number;
  entity: string | undefined;
  type: string | undefined;
  correlation: string | undefined;
} {
  if (query !== undefined && (typeof query !== 'object' || query === null)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `A query must be an object such as { fromSeq: 1, type: 'Created' } (or left out), got ${query === null ? 'null' : typeof query}.`,
      { query: query === null ? 'null' : typeof query },
    );
  }
  // A filter of another kind would match nothing and look like an empty log.
  for (const key of ['entity', 'type', 'correlation'] as const) {
    const value: unknown = query?.[key];
    if (value !== undefined && typeof value !== 'string') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `The ${key} filter must be a string, got ${value === null ? 'null' : typeof value}.`,
        { [key]: value === null ? 'null' : typeof value },
      );
    }
  }
  const fromSeq = query?.fromSeq ?? 1;
  const toSeq = query?.toSeq ?? Number.MAX_SAFE_INTEGER;
  const limit = query?.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(fromSeq) || fromSeq < 1) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `fromSeq must be an integer of 1 or more, got ${String(fromSeq)}.`,
      { fromSeq },
    );
  }
  if (!Number.isInteger(toSeq) || toSeq < 0) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `toSeq must be a non-negative integer, got ${String(toSeq)}.`,
      { toSeq },
    );
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `limit must be an integer from 1 to ${MAX_PAGE}, got ${String(limit)}.`,
      { limit },
    );
  }
  // Nothing is numbered past MAX_SAFE_INTEGER: a larger bound reads what that one reads (and
  // stays a number SQL stores can send as a bigint).
  return {
    fromSeq: Math.min(fromSeq, Number.MAX_SAFE_INTEGER),
    toSeq: Math.min(toSeq, Number.MAX_SAFE_INTEGER),
    limit,
    entity: query?.entity,
    type: query?.type,
    correlation: query?.correlation,
  };
}

/** Checks a page size argument of `readInputs` / `readCommits`. */
export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `limit must be an integer from 1 to ${MAX_PAGE}, got ${String(limit)}.`,
      { limit },
    );
  }
}

/** The error for a call on a closed store. */
export function storeClosed(store: string): CausewayError {
  return new CausewayError(
    ErrorCodes.StoreClosed,
    `The store ${store} is closed, and a closed store object stays closed; make a new store for the same log (new FileStore(…), openStore(url)) and open that.`,
    { store },
  );
}

/**
 * The error for a call on a store that `open()` has not opened yet, or for a write on a writer
 * whose log has no header yet (opened with `open()` on an empty log): open it with a header.
 */
export function storeNotOpen(store: string, reason: 'not-open' | 'no-header'): CausewayError {
  return new CausewayError(
    ErrorCodes.StoreNotOpen,
    reason === 'not-open'
      ? `The store ${store} is not open; call open() first (open(header) to write).`
      : `The log in ${store} has no header; open it with one (open(header)) before appending.`,
    { store, reason },
  );
}

/** The error for a write on a store opened read-only. */
export function storeReadOnly(store: string): CausewayError {
  return new CausewayError(
    ErrorCodes.StoreReadOnly,
    `The store ${store} was opened read-only; open it for writing to append.`,
    { store },
  );
}

// Methods every store has, enough to tell a store from another value given in its place.
const STORE_METHODS = [
  'open',
  'journal',
  'commit',
  'saveSnapshot',
  'readEvents',
  'readCommits',
  'close',
] as const;

/**
 * Whether `value` has the methods of an {@link EventStore}: the check of every argument that
 * must be a store (a system's `store`, a replay's store, `CrashingStore`'s inner store), so a
 * wrong one is refused by name rather than failing deep inside.
 */
export function isEventStore(value: unknown): value is EventStore {
  if (typeof value !== 'object' || value === null) return false;
  const port = value as Record<string, unknown>;
  return STORE_METHODS.every((m) => typeof port[m] === 'function');
}
