import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { CausewayError, ErrorCodes, isCausewayError } from '@causeway/runtime';
import { command, type AnyCommandType, type Command } from '@causeway/runtime/cqrs';

/** The wire form of a command sent to a {@link CommandInbox} with the default decoder. */
export interface CommandMessage {
  /** The command type's name. */
  readonly type: string;
  /** The command's UUIDv7, made by the sender: what makes a redelivery harmless. */
  readonly id: string;
  readonly entity: string;
  readonly payload: unknown;
  readonly expectedVersion?: number;
}

/** Turns a JetStream message into a command, or `null` for a message that is not for this inbox. */
export type InboxDecoder = (message: JsMsg) => Command<AnyCommandType> | null;

/** What an inbox needs of a mediator (any `Mediator` has it). */
export interface CommandTarget {
  /** Reads the decided command ids from the log (see `Mediator.start`). */
  start(): Promise<void>;
  /** Sends a command; settles when its tick has committed. */
  send(cmd: Command<AnyCommandType>): Promise<unknown>;
}

/** Options of {@link CommandInbox}. */
export interface CommandInboxOptions {
  /** The mediator whose commands the messages become. */
  readonly mediator: CommandTarget;
  readonly connection: NatsConnection;
  /** The stream to consume from. */
  readonly stream: string;
  /** The durable consumer's name (created if missing, with explicit acks). */
  readonly consumer: string;
  /** Subject filter of the consumer when it is created. Default: every subject of the stream. */
  readonly filterSubject?: string;
  /**
   * The actor of every command this inbox sends: the identity of the other system, so entity
   * ownership applies to what it does.
   */
  readonly actor: string;
  /**
   * The command types the default decoder accepts (it reads a JSON {@link CommandMessage}).
   * Ignored when `decode` is given.
   */
  readonly commands?: readonly AnyCommandType[];
  /**
   * Turns a message into a command (for example another system's public event into one of
   * ours). The command's id must be a function of the message (the sender's command id, the
   * relayed event's id), so that a redelivery is the same command.
   */
  readonly decode?: InboxDecoder;
  /** Seconds JetStream waits for an ack before redelivering, when the consumer is created. Default 30. */
  readonly ackWaitSeconds?: number;
  /**
   * Delay before a message whose command failed (or the store failed) is first redelivered, in
   * ms; it doubles with each later delivery of the same message, up to `maxRetryMs`. Default
   * 1,000.
   */
  readonly retryMs?: number;
  /** The longest delay between two deliveries of a message that keeps failing, in ms. Default 60,000. */
  readonly maxRetryMs?: number;
  /**
   * How many times a message whose command handler keeps throwing (`CW_COMMAND_FAILED`) is
   * delivered before it is terminated and reported to `onError`. Each failed attempt commits a
   * tick (the command and its `ListenerFailed` event), so a bound keeps a poisoned message from
   * filling the log. Failures of the store or a halted system are retried whatever this is.
   * Default: no bound.
   */
  readonly maxDeliveries?: number;
  /**
   * Called for every message that was not applied (malformed, unknown command, failure), for a
   * lost acknowledgement, and when the consumer itself fails (then without a message). What it
   * throws is ignored: the message is still terminated or handed back, and the inbox goes on.
   */
  readonly onError?: (error: unknown, message?: JsMsg) => void;
}

/** What an inbox has done since it started. */
export interface CommandInboxStatus {
  readonly state: 'idle' | 'running' | 'stopped';
  /**
   * Messages acknowledged (confirmed by the server) after their command's tick committed, decided
   * or refused.
   */
  readonly acknowledged: number;
  /** Messages JetStream delivered more than once. */
  readonly redelivered: number;
  /** Messages refused for good (`term`): malformed or for an unknown command. */
  readonly terminated: number;
  /** Messages handed back for a later retry (`nak`). */
  readonly retried: number;
}

/**
 * Reads another system's messages from a durable JetStream consumer into a mediator's commands,
 * one at a time and in order, and acknowledges each only after the tick that took it has
 * committed (`mediator.send` resolved or refused).
 *
 * A redelivered message (the ack was lost, the process restarted before acking) is decoded to the
 * same command id; the mediator keeps every decided command id in the log
 * (`causeway.CommandDecided`) and answers a repeat with the first outcome, deciding nothing, so
 * it is applied once, across restarts too.
 */
export class CommandInbox {
  readonly #options: CommandInboxOptions;
  readonly #decode: InboxDecoder;
  #messages: ConsumerMessages | null = null;
  #loop: Promise<void> | null = null;
  #starting: Promise<void> | null = null;
  #state: CommandInboxStatus['state'] = 'idle';
  #acknowledged = 0;
  #redelivered = 0;
  #terminated = 0;
  #retried = 0;

  /**
   * @throws CausewayError `CW_INVALID_ARGUMENT` for neither commands nor a decoder, no actor for
   *   the default decoder, or a retry option out of range.
   */
  constructor(options: CommandInboxOptions) {
    if (options.decode === undefined && (options.commands ?? []).length === 0) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Inbox "${options.consumer}" has neither commands nor decode; list the commands it accepts or give a decoder.`,
        { consumer: options.consumer },
      );
    }
    if (
      options.decode === undefined &&
      (typeof options.actor !== 'string' || options.actor === '')
    ) {
      // Every command it decoded would be refused for its actor and its message terminated.
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Inbox "${String(options.consumer)}" has no actor: the identity its commands are sent as (a non-empty string), got ${JSON.stringify(options.actor) ?? 'undefined'}.`,
        { consumer: options.consumer },
      );
    }
    for (const [name, value, least] of [
      ['retryMs', options.retryMs, 0],
      ['maxRetryMs', options.maxRetryMs, 0],
      ['maxDeliveries', options.maxDeliveries, 1],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < least)) {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `Inbox "${options.consumer}": ${name} must be an integer from ${least}, got ${String(value)}.`,
          { consumer: options.consumer, [name]: value },
        );
      }
    }
    this.#options = options;
    this.#decode = options.decode ?? commandDecoder(options.commands ?? [], options.actor);
  }

  /** What it has done. */
  status(): CommandInboxStatus {
    return {
      state: this.#state,
      acknowledged: this.#acknowledged,
      redelivered: this.#redelivered,
      terminated: this.#terminated,
      retried: this.#retried,
    };
  }

  /**
   * Creates the durable consumer if missing and starts taking messages. Calling it again while
   * the inbox starts or runs returns the same start: one inbox takes one message at a time.
   */
  start(): Promise<void> {
    if (this.#state === 'running') return Promise.resolve();
    this.#starting ??= this.#startNow().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #startNow(): Promise<void> {
    const { connection, stream, consumer } = this.#options;
    await this.#options.mediator.start();
    const jsm = await jetstreamManager(connection);
    const exists = await jsm.consumers.info(stream, consumer).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await jsm.consumers.add(stream, {
        durable_name: consumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: (this.#options.ackWaitSeconds ?? 30) * 1_000_000_000,
        ...(this.#options.filterSubject === undefined
          ? {}
          : { filter_subject: this.#options.filterSubject }),
      });
    }
    const source = await jetstream(connection).consumers.get(stream, consumer);
    this.#messages = await source.consume({ max_messages: 64 });
    this.#state = 'running';
    this.#loop = this.#take(this.#messages).catch((err: unknown) => {
      this.#state = 'stopped';
      this.#report(err);
    });
  }

  /** Stops taking messages; one being applied is finished and acknowledged first. */
  async stop(): Promise<void> {
    // A start in progress is let finish, so that what it opened is closed here.
    await this.#starting?.catch(() => undefined);
    if (this.#state !== 'running') return;
    this.#state = 'stopped';
    await this.#messages?.close();
    await this.#loop;
  }

  /**
   * Hands a failure to `onError`. What it throws is ignored: a reporter that fails (a closed
   * logger) must not leave the message neither acknowledged nor handed back, nor end the loop.
   */
  #report(error: unknown, message?: JsMsg): void {
    try {
      this.#options.onError?.(error, message);
    } catch {
      // Ignored, as documented on `onError`.
    }
  }

  async #take(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.#state !== 'running') {
        // Not taken: handed back at once rather than after the ack wait.
        m.nak();
        continue;
      }
      await this.#handle(m);
    }
  }

  /** Whether a message whose handler threw `deliveries` times is given up. */
  #givesUp(err: unknown, deliveries: number): boolean {
    const most = this.#options.maxDeliveries;
    return (
      most !== undefined && isCausewayError(err, ErrorCodes.CommandFailed) && deliveries >= most
    );
  }

  /** The delay before delivery `deliveries + 1`: `retryMs`, doubled a delivery, capped. */
  #retryDelay(deliveries: number): number {
    const first = this.#options.retryMs ?? 1_000;
    const most = this.#options.maxRetryMs ?? 60_000;
    return Math.min(most, first * 2 ** Math.min(Math.max(deliveries - 1, 0), 30));
  }

  async #handle(m: JsMsg): Promise<void> {
    if (m.redelivered) this.#redelivered++;
    let cmd: Command<AnyCommandType> | null;
    try {
      cmd = this.#decode(m);
    } catch (err) {
      this.#report(err, m);
      m.term();
      this.#terminated++;
      return;
    }
    try {
      // A message that is not for this inbox is acknowledged without a command.
      if (cmd !== null) await this.#options.mediator.send(cmd);
    } catch (err) {
      if (!isDecided(err)) {
        const deliveries = m.info.deliveryCount;
        if (!isRetryable(err) || this.#givesUp(err, deliveries)) {
          this.#report(isRetryable(err) ? gaveUp(err, deliveries, m.seq, m.subject) : err, m);
          m.term();
          this.#terminated++;
        } else {
          this.#report(err, m);
          m.nak(this.#retryDelay(deliveries));
          this.#retried++;
        }
        return;
      }
    }
    // Acknowledged only now: the tick that decided the command has committed. An ack the link
    // lost means a redelivery, which the recorded command id makes harmless.
    const acked = await m.ackAck().catch((err: unknown) => {
      this.#report(err, m);
      return false;
    });
    if (acked) this.#acknowledged++;
  }
}

/** The error reported for a message terminated after `deliveries` failed attempts. */
function gaveUp(err: unknown, deliveries: number, seq: number, subject: string): CausewayError {
  const why = err instanceof Error ? err.message : String(err);
  return new CausewayError(
    ErrorCodes.CommandFailed,
    `Message ${seq} on ${subject} failed ${deliveries} times (maxDeliveries) and was terminated; it will not be delivered again. Its last failure: ${why} Fix the handler, then publish the command again with the same id.`,
    { seq, subject, deliveries },
    { cause: err },
  );
}

/** A refusal recorded in the log is an outcome: the message was taken. */
function isDecided(err: unknown): boolean {
  return (
    isCausewayError(err) &&
    (err.code === ErrorCodes.CommandRejected || err.code === ErrorCodes.StaleVersion)
  );
}

// What is wrong with the message itself: sending it again is refused again.
const refusedForGood: ReadonlySet<string> = new Set<string>([
  ErrorCodes.InvalidCommand,
  ErrorCodes.InvalidPayload,
  ErrorCodes.InvalidArgument,
  ErrorCodes.InvalidEntityId,
  ErrorCodes.EntityIdFromFuture,
  ErrorCodes.EntityExists,
  ErrorCodes.EntityNotFound,
  ErrorCodes.EntityNotOwned,
  ErrorCodes.NotAnInput,
  ErrorCodes.UnknownEventType,
  ErrorCodes.NoHandler,
]);

/**
 * Whether a message may be applied later: anything but a refusal of the message itself. A
 * handler that threw, a store that failed or closed, a system that halted (its inputs run again
 * once it is reopened) keep the message, so no command is lost to a passing failure.
 */
function isRetryable(err: unknown): boolean {
  return !isCausewayError(err) || !refusedForGood.has(err.code);
}

/**
 * The default decoder: a JSON {@link CommandMessage} of one of `commands`, sent as `actor`.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` for a body that is not such a message or names an
 *   unknown command (the inbox terminates the message).
 */
export function commandDecoder(commands: readonly AnyCommandType[], actor: string): InboxDecoder {
  const byName = new Map(commands.map((c) => [c.name, c] as const));
  return (m) => {
    let body: unknown;
    try {
      body = m.json();
    } catch {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Message ${m.seq} on ${m.subject} is not JSON; send a command as {type, id, entity, payload}.`,
        { subject: m.subject, seq: m.seq },
      );
    }
    const msg = body as Partial<CommandMessage> | null;
    const type = byName.get(String(msg?.type));
    if (msg === null || type === undefined || typeof msg.id !== 'string') {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Message ${m.seq} on ${m.subject} is not a known command (type ${JSON.stringify(msg?.type)}); this inbox takes ${[...byName.keys()].join(', ')}.`,
        { subject: m.subject, seq: m.seq, type: msg?.type },
      );
    }
    return command(type, String(msg.entity), msg.payload, {
      id: msg.id,
      actor,
      ...(msg.expectedVersion === undefined ? {} : { expectedVersion: msg.expectedVersion }),
    });
  };
}

/** The body of a command message for a {@link CommandInbox} using the default decoder. */
export function encodeCommand(cmd: Command<AnyCommandType>): Uint8Array {
  const msg: CommandMessage = {
    type: cmd.type.name,
    id: cmd.id,
    entity: cmd.entity,
    payload: cmd.payload,
    ...(cmd.expectedVersion === null ? {} : { expectedVersion: cmd.expectedVersion }),
  };
  return new TextEncoder().encode(JSON.stringify(msg));
}
