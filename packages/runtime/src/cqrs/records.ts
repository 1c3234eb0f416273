import { defineEvent } from '../events/event-type.ts';
import type { CommandOutcome } from './command.ts';

/** State table of decided commands, keyed by command id (what makes `send` idempotent). */
export const COMMANDS_TABLE = 'causeway.commands';
/** State table of entity versions, keyed by entity id. */
export const VERSIONS_TABLE = 'causeway.versions';
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
  readonly [COMMANDS_TABLE]?: Readonly<Record<string, DecidedCommand>>;
  readonly [VERSIONS_TABLE]?: Readonly<Record<string, number>>;
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
  const commands = (tables[COMMANDS_TABLE] ??= {});
  commands[data.command] = { type: data.type, entity, outcome: data.outcome };
  if (data.touched.length === 0) return;
  const versions = (tables[VERSIONS_TABLE] ??= {}) as Record<string, number>;
  for (const [id, count] of data.touched) versions[id] = (versions[id] ?? 0) + count;
}

/** The applier of {@link SagaStepped}. */
export function applySagaStepped(draft: object, data: SagaSteppedData): void {
  const tables = draft as Tables;
  const sagas = (tables[SAGAS_TABLE] ??= {}) as Record<string, Record<string, unknown>>;
  const instances = (sagas[data.saga] ??= {});
  if (data.state === null) delete instances[data.key];
  else instances[data.key] = data.state;
}
