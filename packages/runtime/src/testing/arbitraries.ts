import fc from 'fast-check';
import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { AnyEventType, DataOf } from '../events/event-type.ts';
import type { Input } from '../loop/types.ts';
import type { Script, ScriptedTick } from './script.ts';

/** An event type with an arbitrary of its payloads. */
export interface EventArbitrary<E extends AnyEventType = AnyEventType> {
  readonly type: E;
  readonly data: fc.Arbitrary<DataOf<E>>;
}

/**
 * Pairs an event type with an arbitrary of its payloads; the payload type is checked.
 *
 * @example
 * ```ts
 * eventArbitrary(Moved, fc.record({ dx: fc.integer({ min: -3, max: 3 }), dy: fc.constant(0) }))
 * ```
 */
export function eventArbitrary<E extends AnyEventType>(
  type: E,
  data: fc.Arbitrary<DataOf<E>>,
): EventArbitrary<E> {
  return { type, data };
}

/** What {@link inputsArbitrary} generates. */
export interface InputsSpec {
  /** Inputs that create their entity (`entity: 'new'` types). At least one. */
  readonly create: readonly EventArbitrary[];
  /** Inputs about an entity created earlier in the script (`entity: 'existing'` types). */
  readonly update?: readonly EventArbitrary[];
  /** Who sends inputs; an update is sent by the entity's owner. Default `['alice', 'bob']`. */
  readonly actors?: readonly string[];
  /** Time of the first tick, epoch ms. Default 1,700,000,000,000 (November 2023). */
  readonly start?: number;
  /** Most ticks in a script. Default 8. */
  readonly maxTicks?: number;
  /** Most inputs in one tick. Default 4. */
  readonly maxInputsPerTick?: number;
  /** Largest time step between ticks, ms. Default 1,000. */
  readonly maxGapMs?: number;
}

/** The default time of a scripted run's first tick (2023-11-14T22:13:20Z). */
export const DEFAULT_START = 1_700_000_000_000;

const hex = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');

/**
 * A valid UUIDv7 made from plain numbers, for tests that need stable entity ids: the timestamp
 * `at` (ms), and `n` (a 32-bit integer) in its last bits, so distinct `n` give distinct ids.
 * `random` (30 bits) fills the rest.
 * @throws CausewayError `CW_INVALID_ARGUMENT` for an `n` that is not an integer from 0 to
 * 2^32 - 1, an `at` not from 0 to 2^48 - 1, or a `random` not from 0 to 2^30 - 1.
 *
 * @example
 * ```ts
 * const ada = testEntityId(1); // the same id in every run
 * ```
 */
export function testEntityId(n: number, at = DEFAULT_START, random = 0): string {
  // Out of these ranges two calls would share an id, or the text would be no UUIDv7.
  for (const [name, value, limit] of [
    ['n', n, 2 ** 32],
    ['at', at, 2 ** 48],
    ['random', random, 2 ** 30],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value >= limit) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `testEntityId's ${name} must be an integer from 0 to ${limit} - 1, got ${String(value)}.`,
        { [name]: value },
      );
    }
  }
  const ms = at;
  const randA = random & 0xfff;
  const randB = (random >>> 12) & 0x3ffff;
  return (
    `${hex(Math.floor(ms / 65536), 8)}-${hex(ms % 65536, 4)}-7${hex(randA, 3)}-` +
    `${hex(0x8 | (randB & 3), 1)}${hex((randB >>> 2) & 0xfff, 3)}-` +
    `${hex((randB >>> 14) & 0xf, 4)}${hex(n >>> 0, 8)}`
  );
}

/**
 * Gives an input a short form for fast-check's counterexamples (`Moved(<id>, {"dx":1}, "ada")`
 * rather than the event type's whole declaration), as a non-enumerable property that the loop
 * and equality checks ignore.
 */
function printable(i: Input & { actor: string }): Input {
  Object.defineProperty(i, fc.toStringMethod, {
    value: () =>
      `${i.type.name}(${i.entity}, ${JSON.stringify(i.data)}, ${JSON.stringify(i.actor)})`,
    enumerable: false,
  });
  return i;
}

interface Op {
  readonly create: boolean;
  readonly index: number;
  readonly data: unknown;
  readonly actor: number;
  readonly pick: number;
  readonly random: number;
}

function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return 'an object';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Checks what a JavaScript caller can get wrong in an {@link InputsSpec}, so that it is a typed
 * error here rather than a `TypeError` or a fast-check error, or a script the system refuses
 * (which the spec promises never to make).
 */
function checkSpec(spec: InputsSpec): void {
  const wrong = (name: string, expected: string, got: unknown): CausewayError =>
    new CausewayError(
      ErrorCodes.InvalidArgument,
      `inputsArbitrary's ${name} must be ${expected}, got ${shown(got)}.`,
      { argument: name },
    );
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw wrong('spec', 'an object with create (and update) event arbitraries', spec);
  const kinds = [
    ['create', spec.create, 'existing', "'new'"],
    ['update', spec.update ?? [], 'new', "'existing'"],
  ] as const;
  for (const [name, list, refused, wanted] of kinds) {
    if (!Array.isArray(list)) throw wrong(name, 'an array of eventArbitrary(type, data)', list);
    (list as readonly unknown[]).forEach((item, i) => {
      const type = (item as { type?: { name?: unknown; entity?: unknown } } | null)?.type;
      const data = (item as { data?: { map?: unknown; generate?: unknown } } | null)?.data;
      if (
        typeof type?.name !== 'string' ||
        typeof data?.map !== 'function' ||
        typeof data.generate !== 'function'
      )
        throw wrong(
          `${name}[${i}]`,
          'eventArbitrary(type, data) with a fast-check arbitrary',
          item,
        );
      // A create of an 'existing' type, or an update of a 'new' one, is refused by every system.
      if (type.entity === refused)
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `inputsArbitrary's ${name}[${i}] is "${type.name}", declared entity: '${refused}', which every system would refuse there; ${name} takes event types declared entity: ${wanted} (or 'any').`,
          { argument: `${name}[${i}]`, type: type.name },
        );
    });
  }
  const actors: unknown = spec.actors;
  if (
    actors !== undefined &&
    (!Array.isArray(actors) || !actors.every((a) => typeof a === 'string' && a !== ''))
  )
    throw wrong('actors', 'an array of actor names (non-empty strings)', actors);
  const integers = [
    ['start', spec.start, 0, 2 ** 48 - 1],
    ['maxTicks', spec.maxTicks, 1, Number.MAX_SAFE_INTEGER],
    ['maxInputsPerTick', spec.maxInputsPerTick, 0, Number.MAX_SAFE_INTEGER],
    ['maxGapMs', spec.maxGapMs, 0, 2 ** 48 - 1],
  ] as const;
  for (const [name, value, min, max] of integers) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= min && value <= max))
      throw wrong(name, `an integer from ${min} to ${max}`, value);
  }
}

/**
 * Generates scripted runs over a user's event types: ticks `{ at, inputs }` with increasing
 * times, whose `create` inputs name fresh, valid UUIDv7 entities (derived from fast-check
 * values, so a run is reproducible from its seed and shrinks well) and whose `update` inputs
 * are about entities created earlier, sent by their owner. Every script is valid input: no
 * tick is rejected at acceptance.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` for a spec of the wrong shape: no create types or
 *   actors, an entry that is not `eventArbitrary(type, data)`, a create type declared
 *   `entity: 'existing'` or an update type declared `entity: 'new'`, an actor that is not a
 *   non-empty string, or a `start`, `maxTicks` (1 or more), `maxInputsPerTick` or `maxGapMs`
 *   that is not a non-negative integer.
 *
 * @example
 * ```ts
 * const scripts = inputsArbitrary({
 *   create: [eventArbitrary(Spawned, fc.record({ x: fc.integer(), y: fc.integer() }))],
 *   update: [eventArbitrary(Moved, fc.record({ dx: fc.integer(), dy: fc.integer() }))],
 * });
 * await fc.assert(fc.asyncProperty(scripts, (script) => assertReplay(makeSystem, script)));
 * ```
 */
export function inputsArbitrary(spec: InputsSpec): fc.Arbitrary<Script> {
  checkSpec(spec);
  const actors = spec.actors ?? ['alice', 'bob'];
  const start = spec.start ?? DEFAULT_START;
  const updates = spec.update ?? [];
  if (spec.create.length === 0 || actors.length === 0) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `inputsArbitrary needs at least one create event type and one actor, got ${spec.create.length} create type(s) and ${actors.length} actor(s).`,
      { create: spec.create.length, actors: actors.length },
    );
  }
  const kinds: fc.Arbitrary<{ create: boolean; index: number; data: unknown }>[] = [
    ...spec.create.map((c, index) =>
      (c.data as fc.Arbitrary<unknown>).map((data) => ({ create: true, index, data })),
    ),
    ...updates.map((u, index) =>
      (u.data as fc.Arbitrary<unknown>).map((data) => ({ create: false, index, data })),
    ),
  ];
  const op: fc.Arbitrary<Op> = fc
    .tuple(fc.oneof(...kinds), fc.nat(actors.length - 1), fc.nat(), fc.nat(0x3fffffff))
    .map(([kind, actor, pick, random]) => ({ ...kind, actor, pick, random }));
  const tick = fc.record({
    gap: fc.nat(spec.maxGapMs ?? 1000),
    ops: fc.array(op, { maxLength: spec.maxInputsPerTick ?? 4 }),
  });
  return fc.array(tick, { minLength: 1, maxLength: spec.maxTicks ?? 8 }).map((ticks) => {
    const owners: { id: string; actor: string }[] = [];
    const script: ScriptedTick[] = [];
    let at = start;
    for (const t of ticks) {
      at += t.gap;
      const inputs: Input[] = [];
      for (const o of t.ops) {
        if (o.create) {
          const c = spec.create[o.index] as EventArbitrary;
          const actor = actors[o.actor] as string;
          const id = testEntityId(owners.length + 1, at, o.random);
          owners.push({ id, actor });
          inputs.push(printable({ type: c.type, entity: id, data: o.data, actor }));
        } else if (owners.length > 0) {
          const u = updates[o.index] as EventArbitrary;
          const target = owners[o.pick % owners.length] as { id: string; actor: string };
          inputs.push(
            printable({ type: u.type, entity: target.id, data: o.data, actor: target.actor }),
          );
        }
      }
      script.push({ at, inputs });
    }
    return script;
  });
}
