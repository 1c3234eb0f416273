import { storedTableOf } from './tables.ts';

/**
 * What a listener reads as `ctx.state` during a tick: the tick's draft (so it sees what the
 * appliers wrote so far), behind a proxy that refuses every write. Without it a listener that
 * wrote to `ctx.state` (an in-place `sort()` of an array it read is enough) changed the draft
 * the tick commits: a state no applier made, hashed and committed, which no rebuild could
 * reproduce.
 *
 * Values reached through the view are viewed too (one view per object, so identity holds
 * within a tick); a frozen value, such as every committed part of the state, is already
 * read-only and is returned as it is, and a byte array (which a proxy cannot stand in for) as a
 * copy.
 */
export function readOnlyView(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value)) return (value as Uint8Array).slice();
  // A committed large table is read-only already; asking it whether it is frozen would copy
  // its entries into a plain object (see tables.ts), a cost in the size of the table.
  if (storedTableOf(value) !== undefined) return value;
  if (Object.isFrozen(value)) return value;
  let view = views.get(value);
  if (view === undefined) {
    view = new Proxy(value, readOnly);
    views.set(value, view);
  }
  return view;
}

// Drafts live for one tick; a weak map lets their views go with them.
const views = new WeakMap<object, object>();

function refuse(): never {
  throw new TypeError(
    'ctx.state is read-only: a listener cannot change the state. Emit an event and change the state in its applier (system.apply).',
  );
}

const readOnly: ProxyHandler<object> = {
  get(target, key) {
    return readOnlyView(Reflect.get(target, key));
  },
  set: refuse,
  deleteProperty: refuse,
  defineProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
};
