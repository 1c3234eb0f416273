import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { StoredEnvelope } from '../events/envelope.ts';
import { EventSystem } from '../loop/system.ts';
import { ENVELOPE_FIELDS } from '../store/index.ts';
import type { EventStore, TickCommit } from '../store/port.ts';
import { loggedTicks, type LoggedTick } from './log-ticks.ts';
import { rebuild, type MakeSystem } from './rebuild.ts';
import {
  assertMakeSystemArgument,
  assertOptionsArgument,
  assertStoreArgument,
} from './replay-arguments.ts';
import { diffValues, type PathDifference } from './state-diff.ts';

/** The envelope fields compared between two logs, in the envelope's field order. */
export const envelopeFields = ENVELOPE_FIELDS;

/** The name of an envelope field that two logs can differ in (`data`, `actor`, …). */
export type EnvelopeField = (typeof envelopeFields)[number];

/** The commit record fields compared between two logs. */
export const commitFields = ['at', 'firstSeq', 'lastSeq', 'lastInput', 'hash'] as const;

/** The name of a commit field that two logs can differ in: `at`, `firstSeq`, `lastSeq`, `lastInput` or `hash`. */
export type CommitField = (typeof commitFields)[number];

/** The first event that differs within the diverging tick. */
export interface EventDifference {
  /** The seq where the two logs first hold different events. */
  readonly seq: number;
  /** The event on side a, or null when a's tick has fewer events. */
  readonly a: StoredEnvelope | null;
  /** The event on side b, or null when b's tick has fewer events. */
  readonly b: StoredEnvelope | null;
  /** The envelope fields that differ (every field when one side has no event). */
  readonly fields: readonly EnvelopeField[];
  /** Within `data`, the paths that differ with both values. */
  readonly data: readonly PathDifference[];
}

/**
 * The two states after the diverging tick, rebuilt from each side and compared: the differing
 * paths (`position.<id>.x`) with both values, or why a side could not be rebuilt.
 */
export type StateComparison =
  | { readonly ok: true; readonly paths: readonly PathDifference[] }
  | { readonly ok: false; readonly error: string };

/** Why two logs diverge at a tick. */
export type DivergenceReason =
  /** The tick's state hashes differ. */
  | 'hash'
  /** Same hashes, but the tick's events differ (ids, payloads, causation…). */
  | 'events'
  /** Same hashes and events, but another commit field differs (time, input number). */
  | 'commit'
  /** One side has the tick, the other does not. */
  | 'missing-tick'
  /** One side could not run the tick at all (re-execution threw). */
  | 'failed';

/**
 * The first place where two logs differ, with everything needed to reproduce and read it:
 * the tick, the seq of the first differing event, both envelopes and the differing fields, and
 * the differing state paths with both values.
 */
export interface Divergence {
  readonly reason: DivergenceReason;
  /** The first tick that differs. */
  readonly tick: number;
  /** Seq of the first differing event, or null when the events agree. */
  readonly seq: number | null;
  /** Names of the two sides, e.g. `['stored', 're-executed']`. */
  readonly sides: readonly [string, string];
  /** The two commit records of the tick (null for a side without it). */
  readonly commits: { readonly a: TickCommit | null; readonly b: TickCommit | null };
  /** The commit fields that differ. */
  readonly commitFields: readonly CommitField[];
  /** The first differing event, or null. */
  readonly event: EventDifference | null;
  /** The states after the tick compared, or null when no `makeSystem` was given. */
  readonly state: StateComparison | null;
  /**
   * What went wrong, for `failed`; for `missing-tick`, which log lacks the tick and where it
   * ends (`the log of b is empty: it holds no committed tick`, `the log of b ends at tick 4`);
   * otherwise null.
   */
  readonly error: string | null;
}

/** The result of comparing two logs: the same, or where they first differ. */
export type DivergenceCheck =
  | { readonly ok: true; readonly ticks: number; readonly events: number }
  | { readonly ok: false; readonly divergence: Divergence };

/** Options of {@link firstDivergence}. */
export interface DivergenceOptions<S extends object> {
  /**
   * Makes a system of the application on a store; used to rebuild both sides' states after the
   * diverging tick and report the differing paths. Without it, `state` is null.
   */
  readonly makeSystem?: MakeSystem<S>;
  /** Names of the two sides in reports. Default `['a', 'b']`. */
  readonly sides?: readonly [string, string];
}

/** A log, or a live system whose store is the log. */
export type LogSource = EventStore | EventSystem<object>;

function storeOf(source: LogSource, name: string): EventStore {
  const store: unknown = source instanceof EventSystem ? source.store : source;
  assertStoreArgument(store, 'firstDivergence', name);
  return store;
}

/** The fields of two envelopes that differ. */
export function envelopeDifference(
  a: StoredEnvelope | null,
  b: StoredEnvelope | null,
  seq: number,
): EventDifference | null {
  if (a === null || b === null) {
    if (a === b) return null;
    return { seq, a, b, fields: [...envelopeFields], data: [] };
  }
  const fields: EnvelopeField[] = [];
  let data: PathDifference[] = [];
  for (const field of envelopeFields) {
    if (field === 'data') {
      data = diffValues(a.data, b.data);
      if (data.length > 0) fields.push(field);
    } else if (!Object.is(a[field], b[field])) fields.push(field);
  }
  return fields.length === 0 ? null : { seq, a, b, fields, data };
}

/**
 * Compares one tick of two logs: commit records and every event. Returns the divergence without
 * its state comparison, or null when the tick agrees.
 */
export function compareTick(
  tick: number,
  a: LoggedTick | null,
  b: LoggedTick | null,
  sides: readonly [string, string],
): Divergence | null {
  const base = {
    tick,
    sides,
    commits: { a: a?.commit ?? null, b: b?.commit ?? null },
    state: null,
    error: null,
  };
  if (a === null || b === null) {
    if (a === b) return null;
    return {
      ...base,
      reason: 'missing-tick',
      seq: null,
      commitFields: [...commitFields],
      event: null,
    };
  }
  const fields = commitFields.filter((f) => a.commit[f] !== b.commit[f]);
  let event: EventDifference | null = null;
  const n = Math.max(a.events.length, b.events.length);
  for (let i = 0; i < n && event === null; i++) {
    const ea = a.events[i] ?? null;
    const eb = b.events[i] ?? null;
    event = envelopeDifference(ea, eb, ea?.seq ?? eb?.seq ?? a.commit.firstSeq + i);
  }
  if (fields.length === 0 && event === null) return null;
  const reason: DivergenceReason = fields.includes('hash')
    ? 'hash'
    : event !== null
      ? 'events'
      : 'commit';
  return { ...base, reason, seq: event?.seq ?? null, commitFields: fields, event };
}

/**
 * Rebuilds both logs to `tick` and compares the states (what {@link Divergence.state} holds).
 * A side that cannot be rebuilt is reported, not thrown.
 */
export async function compareStates<S extends object>(
  a: EventStore,
  b: EventStore,
  tick: number,
  makeSystem: MakeSystem<S>,
  sides: readonly [string, string] = ['a', 'b'],
): Promise<StateComparison> {
  const at = async (store: EventStore, side: string): Promise<unknown> => {
    const last = (await store.lastCommit())?.tick ?? null;
    if (last === null)
      throw new Error(`the log of ${side} is empty, so there is no state to compare.`);
    try {
      return (await rebuild(store, makeSystem, { tick: Math.min(tick, last) })).state;
    } catch (err) {
      throw new Error(`rebuilding ${side} to tick ${tick} failed: ${messageOf(err)}`);
    }
  };
  try {
    const [sa, sb] = await Promise.all([at(a, sides[0]), at(b, sides[1])]);
    return { ok: true, paths: diffValues(sa, sb) };
  } catch (err) {
    return { ok: false, error: messageOf(err) };
  }
}

/**
 * Compares two logs tick by tick (commit records and every event) and reports the first tick
 * where they differ: why (hash, events, commit fields, a missing tick), the first differing event
 * with both envelopes and the fields that differ, and — given `makeSystem` — the differing state
 * paths after that tick with both values. Either side may be a store or a live system.
 *
 * Events are compared as stored (no upcasting), so compare logs written with the same schema.
 * Stores are opened to read (`open()` without a header): pass the live system's own store, or
 * a read-only one, rather than a second writer.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` when a side is neither a store nor a system,
 *   `options` is not an object, `makeSystem` is not a function, or `sides` is not two names.
 *
 * @example
 * ```ts
 * const check = await firstDivergence(peerA, peerB, { makeSystem });
 * if (!check.ok) console.error(formatDivergence(check.divergence));
 * ```
 */
export async function firstDivergence<S extends object>(
  a: LogSource,
  b: LogSource,
  options: DivergenceOptions<S> = {},
): Promise<DivergenceCheck> {
  const storeA = storeOf(a, 'a');
  const storeB = storeOf(b, 'b');
  assertOptionsArgument(options, 'firstDivergence');
  if (options.makeSystem !== undefined)
    assertMakeSystemArgument(options.makeSystem, 'firstDivergence');
  const sides = options.sides ?? ['a', 'b'];
  if (!Array.isArray(sides) || sides.length !== 2 || !sides.every((s) => typeof s === 'string')) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `firstDivergence() takes sides as two names, such as ['stored', 'live'], got ${JSON.stringify(sides)}.`,
      { argument: 'sides' },
    );
  }
  await Promise.all([storeA.open(), storeB.open()]);
  const ticksA = loggedTicks(storeA);
  const ticksB = loggedTicks(storeB);
  let ticks = 0;
  let events = 0;
  let previous: number | null = null;
  for (;;) {
    const [na, nb] = await Promise.all([ticksA.next(), ticksB.next()]);
    const ta = na.done === true ? null : na.value;
    const tb = nb.done === true ? null : nb.value;
    if (ta === null && tb === null) return { ok: true, ticks, events };
    const tick = ta?.commit.tick ?? tb?.commit.tick ?? ticks + 1;
    const found = compareTick(tick, ta, tb, sides);
    if (found !== null) {
      const makeSystem = options.makeSystem;
      const state =
        makeSystem === undefined
          ? null
          : await compareStates(storeA, storeB, tick, makeSystem, sides);
      // Both logs agreed up to `previous`, so the side without this tick ends there.
      const short = ta === null ? sides[0] : sides[1];
      const error =
        found.reason !== 'missing-tick'
          ? found.error
          : previous === null
            ? `the log of ${short} is empty: it holds no committed tick`
            : `the log of ${short} ends at tick ${previous}`;
      return { ok: false, divergence: { ...found, state, error } };
    }
    ticks++;
    events += ta?.events.length ?? 0;
    previous = tick;
  }
}

/**
 * Throws when two logs differ; the throwing twin of {@link firstDivergence}.
 *
 * @throws CausewayError `CW_DIVERGENCE` whose message is {@link formatDivergence}'s report and
 *   whose `details.divergence` is the {@link Divergence}; `CW_INVALID_ARGUMENT` as
 *   {@link firstDivergence}.
 */
export async function assertNoDivergence<S extends object>(
  a: LogSource,
  b: LogSource,
  options: DivergenceOptions<S> = {},
): Promise<void> {
  const check = await firstDivergence(a, b, options);
  if (!check.ok) throw divergenceError(check.divergence);
}

/** The `CW_DIVERGENCE` error for a divergence, its report as the message. */
export function divergenceError(divergence: Divergence, intro?: string): CausewayError {
  const report = formatDivergence(divergence);
  return new CausewayError(
    ErrorCodes.Divergence,
    intro === undefined ? report : `${intro}\n${report}`,
    { divergence, tick: divergence.tick, seq: divergence.seq },
  );
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function showEnvelope(e: StoredEnvelope | null): string {
  if (e === null) return '(no event)';
  return `${e.type} v${e.version} id ${e.id} entity ${e.entity} actor ${JSON.stringify(e.actor)} causation ${e.causation ?? 'null'} data ${show(e.data)}`;
}

const reasons: Record<DivergenceReason, string> = {
  hash: 'the state hashes differ',
  events: 'the state hashes agree but the events differ',
  commit: 'the events agree but the commit records differ',
  'missing-tick': 'one side does not have this tick',
  failed: 'one side could not run this tick',
};

/**
 * A readable, multi-line report of a divergence: the tick and why, both hashes, the first
 * differing event with the fields that differ, and the differing state paths with both values.
 */
export function formatDivergence(d: Divergence): string {
  const [na, nb] = d.sides;
  // A missing tick's report leads with which log lacks it ("the log of b is empty"), not with
  // "one side", which leaves the reader to work out which side and why.
  const missing = d.reason === 'missing-tick' && d.error !== null;
  const lines = [`Divergence at tick ${d.tick}: ${missing ? d.error : reasons[d.reason]}.`];
  if (d.error !== null && !missing) lines.push(`  ${d.error}`);
  const { a, b } = d.commits;
  const absent =
    d.error?.endsWith('is empty: it holds no committed tick') === true
      ? 'no tick (empty log)'
      : 'no such tick';
  lines.push(
    `  ${na}: ${a === null ? absent : `hash ${a.hash}, seq ${a.firstSeq}..${a.lastSeq}, at ${a.at}, last input ${a.lastInput}`}`,
    `  ${nb}: ${b === null ? absent : `hash ${b.hash}, seq ${b.firstSeq}..${b.lastSeq}, at ${b.at}, last input ${b.lastInput}`}`,
  );
  if (d.commitFields.length > 0 && d.reason !== 'missing-tick')
    lines.push(`  Commit fields that differ: ${d.commitFields.join(', ')}.`);
  const e = d.event;
  if (e !== null) {
    lines.push(`  First differing event: seq ${e.seq}, fields ${e.fields.join(', ')}.`);
    lines.push(`    ${na}: ${showEnvelope(e.a)}`, `    ${nb}: ${showEnvelope(e.b)}`);
    for (const p of e.data)
      lines.push(`    data.${p.path}: ${na} ${show(p.a)}, ${nb} ${show(p.b)}`);
  }
  if (d.state !== null) {
    if (!d.state.ok) lines.push(`  State after tick ${d.tick} not compared: ${d.state.error}`);
    else if (d.state.paths.length === 0) lines.push(`  States after tick ${d.tick} are equal.`);
    else {
      lines.push(`  State paths that differ after tick ${d.tick}:`);
      for (const p of d.state.paths)
        lines.push(`    ${p.path}: ${na} ${show(p.a)}, ${nb} ${show(p.b)}`);
    }
  }
  return lines.join('\n');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
