import { CausewayError, ErrorCodes } from '../errors/index.ts';
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
