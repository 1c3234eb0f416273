import { CausewayError, ErrorCodes } from '../errors/index.ts';

/**
 * Whether an event creates its entity (`'new'`), refers to one that exists (`'existing'`), or
 * may be about either (`'any'`: it neither creates nor requires the entity, but an input about an
 * entity that exists must still come from its owner or a grantee). Commands use `'any'`: their
 * handler decides whether the entity must exist.
 */
export type EntityRule = 'new' | 'existing' | 'any';

/** An upcaster turns a payload of version `n` into the shape of version `n + 1`. */
export type Upcaster = (data: unknown) => unknown;

/**
 * A declared, typed, versioned event type. Made by {@link defineEvent}; its `Data` parameter
 * types every payload emitted or received with it.
 */
export interface EventType<Name extends string = string, Data = unknown> {
  /** The type's name, unique in a system. */
  readonly name: Name;
  /** The current schema version (1 or more). Stored events of older versions are upcast on read. */
  readonly version: number;
  /** `'new'`: the event creates its entity. `'existing'`: the entity must exist. `'any'`: either. */
  readonly entity: EntityRule;
  /**
   * Whether the event is part of the system's public contract: a relay (the outbox) forwards
   * committed events of public types to an external bus. Read it from the type registry
   * (`systemInternals(system).types`). Default false.
   */
  readonly public: boolean;
  /** Upcasters keyed by the version they read: `upcast[1]` turns a v1 payload into v2. */
  readonly upcast: Readonly<Record<number, Upcaster>>;
  /** Phantom field that carries `Data` in the type system; always `undefined` at run time. */
  readonly __data?: Data;
}

/** Any event type, whatever its payload. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the data parameter is a phantom; `any` lets every EventType<N, D> be assigned here
export type AnyEventType = EventType<string, any>;

/** The payload type of an event type. */
export type DataOf<E> = E extends EventType<string, infer D> ? D : never;

/** The name type of an event type. */
export type NameOf<E> = E extends EventType<infer N, unknown> ? N : never;

/** Options of {@link defineEvent}. */
export interface DefineEventOptions {
  /** Schema version, an integer of 1 or more. Default 1. */
  readonly version?: number;
  /**
   * `'new'` when the event creates its entity, `'existing'` when the entity must already exist,
   * `'any'` when it may be about either (ownership still applies to an existing one).
   */
  readonly entity: EntityRule;
  /**
   * Mark the type public: relayed to an external bus after commit (see {@link EventType.public}),
   * as JSON, so its payloads may hold no byte array (`CW_INVALID_PAYLOAD` when one is sent or
   * emitted). Default false.
   */
  readonly public?: boolean;
  /** Upcasters from each older version to the next: `{ 1: v1 => v2, 2: v2 => v3 }`. */
  readonly upcast?: Readonly<Record<number, Upcaster>>;
}

const namePattern = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

/**
 * Declares an event type.
 *
 * @example
 * ```ts
 * const FileTagged = defineEvent<{ tag: string }>('FileTagged', { entity: 'existing' });
 * const Renamed = defineEvent<{ name: string }>('Renamed', {
 *   entity: 'existing', version: 2, upcast: { 1: (v1) => ({ name: (v1 as { title: string }).title }) },
 * });
 * ```
 * @throws CausewayError `CW_INVALID_EVENT_TYPE` for a bad name or version, or an upcaster
 *   keyed outside `1 … version - 1`.
 */
export function defineEvent<Data, const Name extends string = string>(
  name: Name,
  options: DefineEventOptions,
): EventType<Name, Data> {
  if (!namePattern.test(name)) {
    throw new CausewayError(
      ErrorCodes.InvalidEventType,
      `Event type name ${JSON.stringify(name)} is not valid: use 1-128 letters, digits, "_", ".", ":" or "-", starting with a letter.`,
      { name },
    );
  }
  const version = options.version ?? 1;
  if (!Number.isInteger(version) || version < 1) {
    throw new CausewayError(
      ErrorCodes.InvalidEventType,
      `Event type "${name}" has version ${String(version)}; a version is an integer of 1 or more.`,
      { name, version },
    );
  }
  if (options.entity !== 'new' && options.entity !== 'existing' && options.entity !== 'any') {
    throw new CausewayError(
      ErrorCodes.InvalidEventType,
      `Event type "${name}" has entity rule ${JSON.stringify(options.entity)}; use 'new', 'existing' or 'any'.`,
      { name, entity: options.entity },
    );
  }
  const upcast: Record<number, Upcaster> = {};
  for (const [key, fn] of Object.entries(options.upcast ?? {})) {
    const from = Number(key);
    if (!Number.isInteger(from) || from < 1 || from >= version || typeof fn !== 'function') {
      throw new CausewayError(
        ErrorCodes.InvalidEventType,
        `Event type "${name}" (version ${version}) has an upcaster keyed ${key}; upcasters are functions keyed by the version they read, from 1 to ${version - 1}.`,
        { name, version, key },
      );
    }
    upcast[from] = fn;
  }
  if (options.public !== undefined && typeof options.public !== 'boolean') {
    throw new CausewayError(
      ErrorCodes.InvalidEventType,
      `Event type "${name}" has public: ${JSON.stringify(options.public)}; use true or false.`,
      { name, public: options.public },
    );
  }
  return Object.freeze({
    name,
    version,
    entity: options.entity,
    public: options.public ?? false,
    upcast: Object.freeze(upcast),
  });
}

/**
 * Brings a stored payload of `fromVersion` to the type's current version by running its
 * upcasters in order.
 *
 * @throws CausewayError `CW_MISSING_UPCASTER` when a step of the chain is missing, or when the
 *   stored version is newer than the code knows.
 */
export function upcastData(type: AnyEventType, fromVersion: number, data: unknown): unknown {
  if (fromVersion === type.version) return data;
  if (fromVersion > type.version) {
    throw new CausewayError(
      ErrorCodes.MissingUpcaster,
      `A stored "${type.name}" event has version ${fromVersion}, newer than this code's version ${type.version}. Run code that knows version ${fromVersion}.`,
      { type: type.name, from: fromVersion, to: type.version },
    );
  }
  let value = data;
  for (let v = fromVersion; v < type.version; v++) {
    const step = type.upcast[v];
    if (step === undefined) {
      throw new CausewayError(
        ErrorCodes.MissingUpcaster,
        `A stored "${type.name}" event has version ${fromVersion} but there is no upcaster from version ${v} to ${v + 1}. Add upcast: { ${v}: (old) => new } to defineEvent("${type.name}").`,
        { type: type.name, from: fromVersion, to: type.version, missing: v },
      );
    }
    value = step(value);
  }
  return value;
}
