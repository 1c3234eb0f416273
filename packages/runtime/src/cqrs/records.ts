import { defineEvent } from '../events/event-type.ts';
import type { CommandOutcome } from './command.ts';

/**
 * State table of entity versions: shard → entity id → version, the shard being the id's last
 * two hex digits (random bits). A tick copies and rehashes each table entry it changes as a
 * whole, so sharding keeps a tick's cost at one shard, not every entity's version.
 */
export const VERSIONS_TABLE = 'causeway.versions';
/** State table of saga instances: saga name → correlation key → saga state. */
export const SAGAS_TABLE = 'causeway.sagas';

/** The shard of an entity id in {@link VERSIONS_TABLE}. */
export function shardOf(id: string): string {
  return id.slice(-2);
}

type Sharded<T> = Readonly<Record<string, Readonly<Record<string, T>> | undefined>>;

/** The tables the CQRS layer keeps in a system's state, beside the application's. */
export interface CqrsTables {
  readonly [VERSIONS_TABLE]?: Sharded<number>;
  readonly [SAGAS_TABLE]?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** The version of `entity` in a state: how many events accepted commands emitted about it. */
export function versionIn(state: unknown, entity: string): number {
  return (state as CqrsTables)[VERSIONS_TABLE]?.[shardOf(entity)]?.[entity] ?? 0;
}

/** A decided command, as the log records it. */
export interface DecidedCommand {
  readonly type: string;
  readonly entity: string;
  readonly outcome: CommandOutcome;
}

/** Payload of {@link CommandDecided}. */
export interface CommandDecidedData {
  /** The command's client-made id. */
  readonly command: string;
  /** The command's name. */
  readonly type: string;
  readonly outcome: CommandOutcome;
  /** For an accepted command: each entity its events were about, with how many (in emit order). */
  readonly touched: readonly (readonly [string, number])[];
}

/**
 * Recorded after a command's events (when accepted) or alone (when refused): the command's
 * outcome, under its id. The log of these events is what makes a repeated id, even after a
 * restart, get the first outcome; its applier bumps entity versions.
 */
export const CommandDecided = defineEvent<CommandDecidedData, 'causeway.CommandDecided'>(
  'causeway.CommandDecided',
  { entity: 'any' },
);

/** Payload of {@link SagaStepped}. */
export interface SagaSteppedData {
  readonly saga: string;
  /** The saga instance's correlation key. */
  readonly key: string;
  /** The instance's new state, or null when it finished. */
  readonly state: unknown;
}

/** Recorded when a saga instance's state changes; its applier keeps the state in `causeway.sagas`. */
export const SagaStepped = defineEvent<SagaSteppedData, 'causeway.SagaStepped'>(
  'causeway.SagaStepped',
  { entity: 'any' },
);

type Tables = Record<string, Record<string, unknown> | undefined>;

/** The applier of {@link CommandDecided}: the versions of the entities an accepted command touched. */
export function applyCommandDecided(draft: object, data: CommandDecidedData): void {
  if (data.touched.length === 0) return;
  const tables = draft as Tables;
  const versions = (tables[VERSIONS_TABLE] ??= {}) as Record<string, Record<string, number>>;
  for (const [id, count] of data.touched) {
    const shard = (versions[shardOf(id)] ??= {});
    shard[id] = (shard[id] ?? 0) + count;
  }
}

/** The applier of {@link SagaStepped}. */
export function applySagaStepped(draft: object, data: SagaSteppedData): void {
  const tables = draft as Tables;
  const sagas = (tables[SAGAS_TABLE] ??= {}) as Record<string, Record<string, unknown>>;
  // Own entries only: a saga named "constructor" or "toString" (valid names) would otherwise
  // find what a plain object inherits and write its instances onto a built-in.
  const instances = Object.hasOwn(sagas, data.saga)
    ? (sagas[data.saga] as Record<string, unknown>)
    : (sagas[data.saga] = {});
  if (data.state === null) delete instances[data.key];
  else instances[data.key] = data.state;
}
