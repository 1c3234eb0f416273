import type { Immutable } from 'immer';
import type { EventSystem } from '../loop/system.ts';
import { hashState } from '../state/hash.ts';
import type { EventStore, TickCommit } from '../store/port.ts';
import { LogView } from './log-view.ts';
import { CausewayError, ErrorCodes } from '../errors/index.ts';
import {
  assertMakeSystemArgument,
  assertOptionsArgument,
  assertStoreArgument,
  systemFrom,
} from './replay-arguments.ts';

/**
 * Makes a system of the application on a given store: the same seed, event types, appliers,
 * listeners and options as the live one. The replay tools call it for every system they need.
 *
 * @example
 * ```ts
 * const makeSystem: MakeSystem<World> = (store) => {
 *   const system = new EventSystem<World>({ seed: 7, store, initialState: { position: {} } });
 *   system.apply(Moved, (draft, e) => { draft.position[e.entity] = e.data; });
 *   return system;
 * };
 * ```
 */
export type MakeSystem<S extends object = Record<string, unknown>> = (
  store: EventStore,
) => EventSystem<S>;

/** A state rebuilt from a log. */
export interface Rebuilt<S extends object = Record<string, unknown>> {
  /** The state after the last committed tick (or the initial state of an empty log). */
  readonly state: Immutable<S>;
  /** Its state hash; equal to the last commit's hash (the rebuild checked it). */
  readonly hash: string;
  /** The last committed tick (0 for none). */
  readonly tick: number;
  /** The commit the state is rebuilt to, or null before the first tick. */
  readonly commit: TickCommit | null;
}

/** Options of {@link rebuild}. */
export interface RebuildOptions {
  /** Rebuild the state as it was after this tick. Default: the last committed tick. */
  readonly tick?: number;
  /** Start from the latest snapshot at or before the tick. Default true; false replays every event. */
  readonly snapshots?: boolean;
}

/**
 * Rebuilds the state of a log: opens a fresh system from `makeSystem` on a read-only view of
 * `store`, which loads the latest snapshot and applies the committed events after it (appliers
 * only, no listeners), then checks the result against the last commit's hash. Nothing is written
 * to `store` and it is not closed, so the live system's own store may be passed (a second
 * writer instance on the same log is refused by stores with a writer lock; pass a read-only one).
 *
 * @throws CausewayError `CW_DIVERGENCE` when the appliers do not reproduce the committed hash,
 *   `CW_LOG_MISMATCH` when `makeSystem`'s seed differs from the log's, `CW_MISSING_UPCASTER`
 *   for an old event version with no upcaster, `CW_UNKNOWN_EVENT_TYPE` for an unregistered type,
 *   `CW_INVALID_ARGUMENT` when `store` is not an event store, `makeSystem` not a function or
 *   makes a system that does not read the store it is given, `tick` is not an integer from 0 to the log's last tick,
 *   or `snapshots` is not a boolean.
 *
 * @example
 * ```ts
 * const { hash } = await rebuild(live.store, makeSystem);
 * expect(hash).toBe(live.lastCommit?.hash);
 * ```
 */
export async function rebuild<S extends object>(
  store: EventStore,
  makeSystem: MakeSystem<S>,
  options: RebuildOptions = {},
): Promise<Rebuilt<S>> {
  assertStoreArgument(store, 'rebuild', 'store');
  assertMakeSystemArgument(makeSystem, 'rebuild');
  assertOptionsArgument(options, 'rebuild');
  const { tick, snapshots } = options;
  if (tick !== undefined && !(Number.isSafeInteger(tick) && tick >= 0)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `rebuild() takes tick as the number of a committed tick (an integer of 0 or more; 0 is the initial state), got ${typeof tick === 'number' ? String(tick) : (JSON.stringify(tick) ?? typeof tick)}.`,
      { argument: 'tick', tick },
    );
  }
  if (snapshots !== undefined && typeof snapshots !== 'boolean') {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `rebuild() takes snapshots as true or false (false replays every event), got ${JSON.stringify(snapshots) ?? typeof snapshots}.`,
      { argument: 'snapshots' },
    );
  }
  const view = await LogView.of(store, options);
  const system = systemFrom(makeSystem, view, 'rebuild');
  await system.open();
  const state = system.state;
  const commit = system.lastCommit;
  const cut = await view.lastCommit();
  // A system on a store of its own would "rebuild" an empty log to the initial state.
  if (commit?.tick !== cut?.tick || commit?.hash !== cut?.hash) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `rebuild() opened makeSystem(store)'s system, which is at tick ${commit?.tick ?? 0} where the log in ${store.description} is at tick ${cut?.tick ?? 0}: it does not read the store it is given. Make the system with new EventSystem({ store, … }) using makeSystem's argument.`,
      { argument: 'makeSystem', tick: commit?.tick ?? 0, logTick: cut?.tick ?? 0 },
    );
  }
  return { state, hash: hashState(state), tick: commit?.tick ?? 0, commit };
}
