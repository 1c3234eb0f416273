import { defineEvent } from '../events/event-type.ts';
import type { CommandOutcome } from './command.ts';

/**
 * Prefix of the state tables of decided commands, keyed by command id (what makes `send`
 * idempotent). Outcomes are spread over 256 tables by the id's last two hex digits (random
 * bits), because a tick copies and rehashes each table it writes to: one table holding every
 * command ever decided would make each tick cost the whole history.
 */
export const COMMANDS_TABLE = 'causeway.commands/';

/** The state table that holds the outcome of command `id`. */
export function commandsTableOf(id: string): string {
  return `${COMMANDS_TABLE}${id.slice(-2)}`;
}
/** Prefix of the state tables of entity versions, keyed by entity id, spread like the commands' tables. */
export const VERSIONS_TABLE = 'causeway.versions/';

/** The state table that holds the version of `entity`. */
export function versionsTableOf(entity: string): string {
  return `${VERSIONS_TABLE}${entity.slice(-2)}`;
}

/** The version of `entity` in a state: how many events accepted commands emitted about it. */
export function versionIn(state: unknown, entity: string): number {
  const table = (state as Record<string, Readonly<Record<string, number>> | undefined>)[
    versionsTableOf(entity)
  ];
  return table?.[entity] ?? 0;
}

/** The recorded outcome of command `id` in a state. */
export function decidedIn(state: unknown, id: string): DecidedCommand | undefined {
  const table = (state as Record<string, Readonly<Record<string, DecidedCommand>> | undefined>)[
    commandsTableOf(id)
  ];
  return table?.[id];
}
/** State table of saga instances: saga name → correlation key → saga state. */
export const SAGAS_TABLE = 'causeway.sagas';

/** A decided command as kept in state. */
export interface DecidedCommand {
  readonly type: string;
  readonly entity: string;
  readonly outcome: CommandOutcome;
}

/** The tables the CQRS layer keeps in a system's state, beside the application's. */
export interface CqrsTables {
  /** `causeway.commands/xx` tables: see {@link commandsTableOf}. */
  readonly [table: `${typeof COMMANDS_TABLE}${string}`]:
    Readonly<Record<string, DecidedCommand>> | undefined;
  /** `causeway.versions/xx` tables: see {@link versionsTableOf}. */
  readonly [table: `${typeof VERSIONS_TABLE}${string}`]:
    Readonly<Record<string, number>> | undefined;
  readonly [SAGAS_TABLE]?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
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
 * outcome. Its applier keeps the outcome in state by command id and bumps entity versions, so a
 * repeated id, even after a restart, gets the first outcome.
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

/** The applier of {@link CommandDecided}. */
export function applyCommandDecided(draft: object, data: CommandDecidedData, entity: string): void {
  const tables = draft as Tables;
  const commands = (tables[commandsTableOf(data.command)] ??= {});
  commands[data.command] = { type: data.type, entity, outcome: data.outcome };
  if (data.touched.length === 0) return;
  for (const [id, count] of data.touched) {
    const versions = (tables[versionsTableOf(id)] ??= {}) as Record<string, number>;
    versions[id] = (versions[id] ?? 0) + count;
  }
}

/** The applier of {@link SagaStepped}. */
export function applySagaStepped(draft: object, data: SagaSteppedData): void {
  const tables = draft as Tables;
  const sagas = (tables[SAGAS_TABLE] ??= {}) as Record<string, Record<string, unknown>>;
  const instances = (sagas[data.saga] ??= {});
  if (data.state === null) delete instances[data.key];
  else instances[data.key] = data.state;
}
