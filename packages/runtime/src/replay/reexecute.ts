import { CausewayError, ErrorCodes } from '../errors/index.ts';
import { upcastData, type AnyEventType } from '../events/event-type.ts';
import type { StoredEnvelope } from '../events/envelope.ts';
import { systemInternals, tickJournaled } from '../loop/system.ts';
import type { Input } from '../loop/types.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { EventStore, InputRecord, TickCommit } from '../store/port.ts';
import { compareStates, compareTick, type Divergence, type DivergenceCheck } from './divergence.ts';
import { loggedTicks } from './log-ticks.ts';
import { assertMakeSystemArgument, assertStoreArgument, systemFrom } from './replay-arguments.ts';
import type { MakeSystem } from './rebuild.ts';

const SIDES = ['stored', 're-executed'] as const;

/**
 * Verifies a log by re-executing it: feeds only its journaled inputs, grouped into ticks as the
 * commits say (each commit's `lastInput` and `at`), through a fresh system from `makeSystem` on
 * a fresh memory store, and compares every derived event (id, seq, tick, type, version, entity,
 * data, at, causation, correlation, actor) and every commit, hash included, with the stored
 * ones. Stored events are upcast to the current versions before the comparison. Stops at the
 * first difference and reports it with the differing state paths.
 *
 * Inputs journaled after the last commit are not part of the check. `store` is opened to read
 * and not closed.
 *
 * @throws CausewayError `CW_LOG_MISMATCH` when `makeSystem`'s seed is not the log's,
 *   `CW_INVALID_ARGUMENT` when `store` is not an event store, or `makeSystem` not a function or
 *   returns no system.
 *
 * @example
 * ```ts
 * const check = await reexecute(store, makeSystem);
 * if (!check.ok) throw new Error(formatDivergence(check.divergence));
 * ```
 */
export async function reexecute<S extends object>(
  store: EventStore,
  makeSystem: MakeSystem<S>,
): Promise<DivergenceCheck> {
  assertStoreArgument(store, 'reexecute', 'store');
  assertMakeSystemArgument(makeSystem, 'reexecute');
  const header = await store.open();
  const fresh = new MemoryStore();
  const system = systemFrom(makeSystem, fresh, 'reexecute');
  try {
    if (header !== null && header.seed !== system.seed) {
      throw new CausewayError(
        ErrorCodes.LogMismatch,
        `The log in ${store.description} was written with seed ${header.seed}, but makeSystem() makes systems with seed ${system.seed}. Re-execute with the log's seed.`,
        { store: store.description, stored: header.seed, made: system.seed },
      );
    }
    await system.open();
    const types = systemInternals(system).types;
    const upcast = (e: StoredEnvelope): StoredEnvelope => {
      const type = types.get(e.type);
      if (type === undefined || type.version === e.version) return e;
      return { ...e, version: type.version, data: upcastData(type, e.version, e.data) };
    };
    const inputs = inputReader(store);
    let ticks = 0;
    let events = 0;
    for await (const stored of loggedTicks(store)) {
      const { commit } = stored;
      const tick = commit.tick;
      let divergence: Divergence | null;
      try {
        const records = await inputs.upTo(commit.lastInput);
        const result = await tickJournaled(
          system,
          records.map((r) => toInput(r, types)),
          commit.at,
        );
        divergence = compareTick(
          tick,
          { commit, events: stored.events.map(upcast) },
          result,
          SIDES,
        );
      } catch (err) {
        divergence = failed(tick, commit, err);
      }
      if (divergence !== null) {
        const state =
          divergence.reason === 'failed'
            ? null
            : await compareStates(store, fresh, tick, makeSystem, SIDES);
        return { ok: false, divergence: { ...divergence, state } };
      }
      ticks++;
      events += stored.events.length;
    }
    return { ok: true, ticks, events };
  } finally {
    await system.close();
  }
}

function failed(tick: number, commit: TickCommit, err: unknown): Divergence {
  return {
    reason: 'failed',
    tick,
    seq: null,
    sides: SIDES,
    commits: { a: commit, b: null },
    commitFields: [],
    event: null,
    state: null,
    error: `Re-executing tick ${tick} threw: ${err instanceof Error ? err.message : String(err)}`,
  };
}

/** Reads journaled inputs in order, a page at a time. */
function inputReader(store: EventStore): { upTo(ino: number): Promise<InputRecord[]> } {
  let buffered: InputRecord[] = [];
  let read = 0;
  return {
    async upTo(ino: number): Promise<InputRecord[]> {
      while (read < ino) {
        const page = await store.readInputs(read, 1000);
        if (page.length === 0) break;
        buffered = buffered.concat(page);
        read = (page.at(-1) as InputRecord).ino;
      }
      const count = buffered.findIndex((r) => r.ino > ino);
      const taken = count === -1 ? buffered : buffered.slice(0, count);
      buffered = count === -1 ? [] : buffered.slice(count);
      return taken;
    },
  };
}

function toInput(record: InputRecord, types: ReadonlyMap<string, AnyEventType>): Input {
  const type = types.get(record.type);
  if (type === undefined) {
    throw new CausewayError(
      ErrorCodes.UnknownEventType,
      `Input ${record.ino} is a "${record.type}", which makeSystem()'s system does not know. Register it (subscribe, apply or the events option).`,
      { type: record.type, ino: record.ino },
    );
  }
  return {
    type,
    entity: record.entity,
    data: upcastData(type, record.version, record.data),
    actor: record.actor,
  };
}
