import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { EventSystem } from '../loop/system.ts';
import type { EventStore } from '../store/port.ts';
import { isEventStore } from '../store/rules.ts';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object that is not a store' : typeof value;
}

/**
 * Checks that `value` is an event store (what `openStore`, `new MemoryStore()` or
 * `system.store` give), so that a wrong argument is a typed error rather than a `TypeError`
 * from deep inside a replay.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming the function and the argument.
 */
export function assertStoreArgument(
  value: unknown,
  fn: string,
  name: string,
): asserts value is EventStore {
  if (isEventStore(value)) return;
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    `${fn}() takes an event store as ${name} (a MemoryStore, one from openStore(url), or a system's store), got ${describe(value)}.`,
    { argument: name },
  );
}

/**
 * Checks that `value` is a function, as `makeSystem` must be.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming the function.
 */
export function assertMakeSystemArgument(value: unknown, fn: string): void {
  if (typeof value === 'function') return;
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    `${fn}() takes makeSystem, a function (store) => new EventSystem({ store, … }), got ${describe(value)}.`,
    { argument: 'makeSystem' },
  );
}

/**
 * Calls `makeSystem(store)` and checks that it returned a system, so that a `makeSystem` that
 * returns nothing is a typed error rather than a `TypeError` from deep inside a replay.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming the function and what `makeSystem` returned.
 */
export function systemFrom<S extends object>(
  makeSystem: (store: EventStore) => EventSystem<S>,
  store: EventStore,
  fn: string,
): EventSystem<S> {
  const system: unknown = makeSystem(store);
  if (
    typeof system === 'object' &&
    system !== null &&
    typeof (system as { open?: unknown }).open === 'function' &&
    typeof (system as { tick?: unknown }).tick === 'function'
  )
    return system as EventSystem<S>;
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    `${fn}() calls makeSystem(store) and needs the EventSystem it makes on that store, got ${describe(system)}. Return new EventSystem({ store, … }).`,
    { argument: 'makeSystem' },
  );
}

/**
 * Checks that an options argument is an object (or left out), so that `null` or a number is a
 * typed error rather than a `TypeError` on its first field.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming the function.
 */
export function assertOptionsArgument(value: unknown, fn: string): void {
  if (value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value)))
    return;
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    `${fn}() takes its options as an object (or none), got ${value === null ? 'null' : describe(value)}.`,
    { argument: 'options' },
  );
}
