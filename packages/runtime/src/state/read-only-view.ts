/**
 * What a listener reads as `ctx.state` during a tick: the tick's draft (so it sees what the
 * appliers wrote so far), behind a proxy that refuses every write. Without it a listener that
 * wrote to `ctx.state` (an in-place `sort()` of an array it read is enough) changed the draft
 * the tick commits: a state no applier made, hashed and committed, which no rebuild could
 * reproduce.
 *
 * Values reached through a view are viewed too, one view per object for the tick (so identity
 * holds within it): a tick makes one of these, and its views go with it. A frozen value, such
 * as every committed part of the state, is already read-only and is returned as it is, and a
 * byte array (which a proxy cannot stand in for) as a copy.
 */
export class ReadOnlyViews {
  // A map for the tick rather than one weak map for the process: reads through a listener's
  // view are a command's hot path, and a map's lookups and additions cost less.
  private readonly views = new Map<object, object>();
  private readonly handler: ProxyHandler<object> = {
    get: (target, key) => this.of(Reflect.get(target, key)),
    set: refuse,
    deleteProperty: refuse,
    defineProperty: refuse,
    setPrototypeOf: refuse,
    preventExtensions: refuse,
  };

  /** `value` as a listener may read it. */
  of(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    const seen = this.views.get(value);
    if (seen !== undefined) return seen;
    if (ArrayBuffer.isView(value)) return (value as Uint8Array).slice();
    if (Object.isFrozen(value)) return value;
    const view = new Proxy(value, this.handler);
    this.views.set(value, view);
    return view;
  }
}

function refuse(): never {
  throw new TypeError(
    'ctx.state is read-only: a listener cannot change the state. Emit an event and change the state in its applier (system.apply).',
  );
}
