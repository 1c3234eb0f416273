import type { Immutable } from 'immer';
import { CausewayError, ErrorCodes, isCausewayError, type ErrorCode } from '../errors/index.ts';
import {
  defineEvent,
  type AnyEventType,
  type DataOf,
  type EventType,
} from '../events/event-type.ts';
import { isUuidV7, newEntityId } from '../ids/index.ts';
import type { Component } from '../state/component.ts';
import type { Input } from '../loop/types.ts';

/** What a command's input carries in the log: the client's id, the payload, the expected version. */
export interface CommandData<Payload> {
  /** The client-made UUIDv7 of the command: sending it twice is idempotent. */
  readonly id: string;
  readonly payload: Payload;
  /** The entity version the command was decided against, or null to skip the check. */
  readonly expectedVersion: number | null;
}

/**
 * A declared command: a name, a payload type, a result type and the reasons its handler may
 * give for refusing it. Made by {@link defineCommand}.
 */
export interface CommandType<
  Name extends string = string,
  Payload = unknown,
  Result = unknown,
  Reason extends string = string,
> {
  readonly name: Name;
  /** The input event that carries the command in the log (entity rule `'any'`). */
  readonly event: EventType<Name, CommandData<Payload>>;
  /** Phantom fields carrying the types; always `undefined` at run time. */
  readonly __payload?: Payload;
  readonly __result?: (result: Result) => Result;
  readonly __reason?: Reason;
}

/** Any command type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- phantom parameters; `any` lets every CommandType be assigned here
export type AnyCommandType = CommandType<string, any, any, string>;

/** The payload type of a command type. */
export type PayloadOf<C> = C extends { readonly event: EventType<string, CommandData<infer P>> }
  ? P
  : never;
/** The result type of a command type. */
export type ResultOf<C> = C extends AnyCommandType
  ? NonNullable<C['__result']> extends (result: infer R) => unknown
    ? R
    : never
  : never;
/** The rejection reasons of a command type. */
export type ReasonOf<C> = C extends AnyCommandType ? NonNullable<C['__reason']> : never;

/** Options of {@link defineCommand}. */
export interface DefineCommandOptions {
  /** Schema version of the command's payload (see `defineEvent`). Default 1. */
  readonly version?: number;
  /** Upcasters of old payload versions, keyed by the version they read. */
  readonly upcast?: Readonly<Record<number, (payload: unknown) => unknown>>;
}

/**
 * Declares a command. `Payload` is what the sender supplies, `Result` what `send` resolves
 * with, `Reason` the stable codes its handler may refuse it with.
 *
 * @example
 * ```ts
 * const Withdraw = defineCommand<{ amount: number }, { balance: number }, 'INSUFFICIENT_FUNDS'>('Withdraw');
 * ```
 * @throws CausewayError `CW_INVALID_EVENT_TYPE` for a bad name or version, or an upcaster that
 *   is not a function keyed by a version it reads (1 to `version - 1`).
 */
export function defineCommand<
  Payload,
  Result = null,
  Reason extends string = string,
  const Name extends string = string,
>(name: Name, options: DefineCommandOptions = {}): CommandType<Name, Payload, Result, Reason> {
  const upcast: Record<number, (data: unknown) => unknown> = {};
  for (const [key, step] of Object.entries(options.upcast ?? {})) {
    // The log holds the whole CommandData; an upcaster is written against the payload alone.
    // Anything but a function goes to defineEvent as it is, which refuses it by name.
    upcast[Number(key)] =
      typeof step !== 'function'
        ? step
        : (data: unknown) => {
            const d = data as CommandData<unknown>;
            return { ...d, payload: step(d.payload) };
          };
  }
  const event = defineEvent<CommandData<Payload>, Name>(name, {
    entity: 'any',
    ...(options.version === undefined ? {} : { version: options.version }),
    upcast,
  });
  return Object.freeze({ name, event });
}

/** A command to send: which command, about which entity, with what. Made by {@link command}. */
export interface Command<C extends AnyCommandType = AnyCommandType> {
  readonly type: C;
  /** Client-made UUIDv7; the same id sent twice gets the first one's outcome. */
  readonly id: string;
  /** The entity the command is about (UUIDv7; a new one for a command that creates it). */
  readonly entity: string;
  readonly payload: PayloadOf<C>;
  /** The entity version the sender decided against; a different current version is `CW_STALE_VERSION`. */
  readonly expectedVersion: number | null;
  /** Who sends it (the authenticated principal); owns what it creates. Default `'anonymous'`. */
  readonly actor: string;
}

/** Options of {@link command}. */
export interface CommandOptions {
  /** The command's id (a UUIDv7). Default: a new one. Reuse it to retry safely. */
  readonly id?: string;
  /** Optimistic concurrency: the entity version this command was decided against. */
  readonly expectedVersion?: number;
  /** Who sends it. Default `'anonymous'`. */
  readonly actor?: string;
}

/**
 * Makes a command to send.
 *
 * @example
 * ```ts
 * await mediator.send(command(Withdraw, account, { amount: 5 }, { actor: 'ada', expectedVersion: 3 }));
 * ```
 */
export function command<C extends AnyCommandType>(
  type: C,
  entity: string,
  payload: PayloadOf<C>,
  options: CommandOptions = {},
): Command<C> {
  return {
    type,
    id: options.id ?? newEntityId(),
    entity,
    payload,
    expectedVersion: options.expectedVersion ?? null,
    actor: options.actor ?? 'anonymous',
  };
}

/** A value as an error message shows it: a string quoted, anything else as JavaScript prints it. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/**
 * Checks that `data` is what a command's input carries: an object with the command's id (a
 * UUIDv7), its payload and its expected version (null, or an integer of 0 or more). `send`
 * makes such data; an input sent to the system directly, or a saga's `ctx.send`, may not.
 * `advice`, what to do, ends the message (by default: how to send a command).
 *
 * @throws CausewayError `CW_INVALID_COMMAND` naming what is wrong.
 */
export function checkCommandData(name: string, data: unknown, advice?: string): void {
  const fix =
    advice ??
    `Send commands with mediator.send(command(${name}, entity, payload)), or input(${name}.event, entity, { id, payload, expectedVersion }, actor) with id a new UUIDv7 (newEntityId()) and expectedVersion null or an integer from 0 to Number.MAX_SAFE_INTEGER; nothing was sent.`;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CausewayError(
      ErrorCodes.InvalidCommand,
      `Command "${name}" came with ${data === null ? 'null' : Array.isArray(data) ? 'an array' : `a ${typeof data}`} as its data, not { id, payload, expectedVersion }. ${fix}`,
      { command: name },
    );
  }
  const { id, expectedVersion } = data as Partial<CommandData<unknown>>;
  if (typeof id !== 'string' || !isUuidV7(id)) {
    throw new CausewayError(
      ErrorCodes.InvalidCommand,
      `Command "${name}" came with id ${shown(id)}, which is not a UUIDv7. ${fix}`,
      { command: name, id: shown(id) },
    );
  }
  if (!Object.hasOwn(data, 'payload')) {
    throw new CausewayError(
      ErrorCodes.InvalidCommand,
      `Command "${name}" (${id}) came without a payload. ${fix}`,
      { command: name, id },
    );
  }
  if (
    expectedVersion !== null &&
    (typeof expectedVersion !== 'number' ||
      !Number.isSafeInteger(expectedVersion) ||
      expectedVersion < 0)
  ) {
    throw new CausewayError(
      ErrorCodes.InvalidCommand,
      `Command "${name}" (${id}) expects entity version ${shown(expectedVersion)}; a version is null (no check) or an integer from 0 to Number.MAX_SAFE_INTEGER. ${fix}`,
      { command: name, id, expectedVersion: shown(expectedVersion) },
    );
  }
}

/**
 * The input that carries a command into the loop, for code that drives ticks itself
 * (`system.tick([commandInput(c)])`, scripts, replay tests). `send` uses it too.
 *
 * @throws CausewayError `CW_INVALID_COMMAND` for an id that is not a UUIDv7 or a bad expected version.
 */
export function commandInput<C extends AnyCommandType>(cmd: Command<C>): Input<C['event']> {
  if (!isUuidV7(cmd.id)) {
    throw new CausewayError(
      ErrorCodes.InvalidCommand,
      `Command "${cmd.type.name}" has id ${JSON.stringify(cmd.id)}, which is not a UUIDv7. Make command ids with newEntityId() on the client, and reuse one only to retry the same command.`,
      { command: cmd.type.name, id: cmd.id },
    );
  }
  const expected = cmd.expectedVersion;
  if (expected !== null && (!Number.isInteger(expected) || expected < 0)) {
    throw new CausewayError(
      ErrorCodes.InvalidCommand,
      `Command "${cmd.type.name}" expects entity version ${typeof expected === 'number' ? String(expected) : JSON.stringify(expected)}; a version is a non-negative integer (0 for an entity no command has touched).`,
      { command: cmd.type.name, expectedVersion: expected },
    );
  }
  const data: CommandData<PayloadOf<C>> = {
    id: cmd.id,
    payload: cmd.payload,
    expectedVersion: expected,
  };
  return {
    type: cmd.type.event,
    entity: cmd.entity,
    data: data as DataOf<C['event']>,
    actor: cmd.actor,
  };
}

/**
 * A handler's refusal: a value with a stable reason, not a thrown string. Made by
 * `ctx.reject(reason, message)`.
 */
export class Rejection<Reason extends string = string> {
  constructor(
    readonly reason: Reason,
    readonly message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {}
}

/** What a command handler sees of the command it decides. */
export interface CommandMessage<C extends AnyCommandType> {
  readonly type: C['name'];
  /** The command's client-made id. */
  readonly id: string;
  readonly entity: string;
  readonly payload: PayloadOf<C>;
  /** The sender (the authenticated principal). */
  readonly actor: string;
  /** The entity's version before this command: events accepted commands emitted about it. */
  readonly version: number;
}

/**
 * The scoped context of a command handler: it reads state and emits events, which join the
 * log only if the handler returns a result (a rejection discards them).
 */
export interface CommandContext<S extends object, Reason extends string> {
  /** Emits an event (kept only if the handler accepts the command). */
  emit<E extends AnyEventType>(type: E, entity: string, data: DataOf<E>): void;
  /** A new, deterministic entity id (UUIDv7). */
  create(): string;
  /** The state before this command's events. Read-only. */
  readonly state: Immutable<S>;
  /** Entities having all of the given components, sorted by id. */
  query(...components: readonly Component[]): readonly string[];
  /** The version of an entity: how many events accepted commands emitted about it. */
  version(entity: string): number;
  /** The tick's logical time, epoch milliseconds UTC. */
  readonly now: number;
  /** A deterministic float in [0, 1). */
  random(): number;
  /**
   * Refuses the command with a stable reason; return the value it gives. A reason that is not a
   * non-empty string, or a message that is not a string, fails the command (`CW_COMMAND_FAILED`,
   * nothing recorded) rather than recording a refusal senders cannot match.
   */
  reject(reason: Reason, message: string, details?: Record<string, unknown>): Rejection<Reason>;
}

/**
 * Decides one command from state: emits events through `ctx` and returns the result, or returns
 * `ctx.reject(...)`. Synchronous and deterministic, like every listener.
 */
export type CommandHandler<C extends AnyCommandType, S extends object = Record<string, unknown>> = (
  command: CommandMessage<C>,
  ctx: CommandContext<S, ReasonOf<C>>,
) => ResultOf<C> | Rejection<ReasonOf<C>>;

/** How a command ended, as recorded in the log and in state. */
export type CommandOutcome =
  | { readonly ok: true; readonly result: unknown }
  | {
      readonly ok: false;
      readonly code: string;
      readonly reason: string;
      readonly message: string;
      readonly details: Readonly<Record<string, unknown>>;
    };

/**
 * The error `send` rejects with when a command is refused: by its handler
 * (`CW_COMMAND_REJECTED`, the application's code in `reason`), for a stale expected version
 * (`CW_STALE_VERSION`), by the runtime's entity rules (`CW_ENTITY_NOT_OWNED`…), or because its
 * handler failed (`CW_COMMAND_FAILED`). For the runtime's codes `reason` equals `code`.
 */
export class CommandRejected<Reason extends string = string> extends CausewayError {
  /** The application's reason for `CW_COMMAND_REJECTED`; otherwise the code itself. */
  readonly reason: Reason | ErrorCode;
  /** The command's name. */
  readonly command: string;
  /** The command's id. */
  readonly commandId: string;

  constructor(
    code: ErrorCode,
    reason: Reason | ErrorCode,
    commandName: string,
    commandId: string,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, { ...details, reason, command: commandName, commandId }, options);
    this.reason = reason;
    this.command = commandName;
    this.commandId = commandId;
  }
}

/**
 * True when `err` is a {@link CommandRejected}, optionally of the given command type (which
 * types its `reason`). Works across package copies.
 */
export function isCommandRejected<C extends AnyCommandType>(
  err: unknown,
  type?: C,
): err is CommandRejected<ReasonOf<C>> {
  if (!isCausewayError(err)) return false;
  const e = err as Partial<CommandRejected>;
  if (typeof e.reason !== 'string' || typeof e.commandId !== 'string') return false;
  return type === undefined || e.command === type.name;
}
