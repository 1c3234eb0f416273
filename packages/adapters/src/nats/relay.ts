import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import {
  CausewayError,
  ErrorCodes,
  systemInternals,
  type Envelope,
  type EventSystem,
} from '@causeway/runtime';
import { LogFollower } from '@causeway/runtime/cqrs';

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** The system whose committed public events are relayed. */
  readonly system: EventSystem<object>;
  /** An open NATS connection (`connect` from `@nats-io/transport-node`). */
  readonly connection: NatsConnection;
  /**
   * The relay's name: the key of its position in the checkpoint bucket. Two relays of one
   * system to two destinations need two names.
   */
  readonly name: string;
  /**
   * The subject of an event. Default: `causeway.events.<type>`. The subjects must be captured by a
   * stream (see {@link ensureEventStream}). A subject function that throws (or returns anything
   * but a non-empty string) stops the relay at that event: see {@link OutboxRelay}.
   */
  readonly subject?: (event: Envelope) => string;
  /** The JetStream key-value bucket holding relay positions. Default `causeway_relay`. */
  readonly bucket?: string;
  /** Events read from the log per batch, 1 to 10,000. Default 500. */
  readonly batch?: number;
  /** Delay before retrying after NATS refused or did not answer, in ms. Default 250. */
  readonly retryMs?: number;
  /**
   * Called with every error the relay retries past (NATS unreachable, a publish timed out…),
   * and with the error that stopped it (its subject function failed). What it throws is
   * ignored: the relay still retries, or stops.
   */
  readonly onError?: (error: unknown) => void;
}

/** Where a relay is: `position` is the last seq whose public events JetStream acknowledged. */
export interface OutboxRelayStatus {
  readonly name: string;
  readonly position: number;
  readonly state: 'idle' | 'running' | 'stopped';
  /** Events published since this relay started (duplicates JetStream dropped included). */
  readonly published: number;
  /** Publishes JetStream reported as duplicates of an event id it had already stored. */
  readonly duplicates: number;
  /**
   * What stopped the relay (its subject function failed at the event `seq`, of `type`), until
   * the next `start()`; null otherwise.
   */
  readonly error: {
    readonly seq: number;
    readonly type: string;
    readonly message: string;
  } | null;
}

/** The header carrying the event's position in the source log. */
export const SeqHeader = 'Causeway-Seq';
/** The header carrying the event's type name. */
export const TypeHeader = 'Causeway-Type';

/**
 * The wire form of a relayed event: its envelope as JSON (UTF-8). The JetStream message id
 * (`Nats-Msg-Id`) is the event id. Public events' payloads must therefore be JSON data: the
 * system refuses a byte array in one when it is sent or emitted (`CW_INVALID_PAYLOAD`). An
 * event a log holds from before that rule stops the relay at itself, retrying and reporting the
 * error to `onError`.
 *
 * @throws CausewayError `CW_INVALID_PAYLOAD` for a `bigint` or a byte array in the envelope.
 */
export function encodeEvent(event: Envelope): Uint8Array {
  const json = JSON.stringify(event, (key, value: unknown) => {
    if (typeof value === 'bigint' || value instanceof Uint8Array) {
      throw new CausewayError(
        ErrorCodes.InvalidPayload,
        `Event ${event.id} (${event.type}, seq ${event.seq}) has a ${typeof value === 'bigint' ? 'bigint' : 'byte array'} at "${key}", which JSON cannot carry; relay only public events whose payloads are JSON data.`,
        { id: event.id, type: event.type, seq: event.seq, key },
      );
    }
    return value;
  });
  return new TextEncoder().encode(json);
}

/** Reads an event relayed by {@link OutboxRelay} back from its message body. */
export function decodeEvent(body: Uint8Array): Envelope {
  return JSON.parse(new TextDecoder().decode(body)) as Envelope;
}

/** The default subject of an event: `causeway.events.<type>` (dots in type names are kept). */
export function defaultEventSubject(event: Envelope): string {
  return `causeway.events.${event.type}`;
}

/**
 * Relays a system's committed **public** events (`defineEvent(..., { public: true })`) to
 * JetStream, after commit, at least once, in log order.
 *
 * Every event is published with its id as the JetStream message id, so the stream drops a
 * resend within its duplicate window. The relay's position (the last seq JetStream acknowledged)
 * is kept in a JetStream key-value bucket, written after each acknowledged batch: it survives a
 * restart of the process and lives with the broker whose acknowledgements it records, whatever
 * store the system uses. A crash between the acknowledgement and the position write resends at
 * most one batch, which the duplicate window absorbs.
 *
 * It follows the log with a `LogFollower` (`@causeway/runtime/cqrs`): pages read with
 * `system.readEvents`, woken by `system.store.watch`, retrying every `retryMs` after a failure
 * of NATS. A subject function that throws is the application's bug, which no retry mends: the
 * relay stops at that event (`status().state` is `stopped`, `status().error` names it), reports
 * a `CW_INVALID_ARGUMENT` error naming the relay and the event to `onError`, and rejects
 * `waitFor` with it; once the function is fixed, `start()` goes on from the stored position.
 */
export class OutboxRelay {
  readonly #system: EventSystem<object>;
  readonly #js: JetStreamClient;
  readonly #connection: NatsConnection;
  readonly #name: string;
  readonly #subject: (event: Envelope) => string;
  readonly #bucket: string;
  readonly #follower: LogFollower;
  #kv: KV | null = null;
  #published = 0;
  #duplicates = 0;

  /**
   * @throws CausewayError `CW_INVALID_ARGUMENT` for a name that is not a key-value key (or not a
   *   string), or a batch outside 1 to 10,000.
   */
  constructor(options: OutboxRelayOptions) {
    // A name that is not a string (an unset variable) was tested as the text "undefined", a
    // key every such relay shared: one started after another skipped the events up to its position.
    if (typeof options.name !== 'string' || !/^[-/=.\w]+$/.test(options.name)) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `A relay's name is a key-value key (letters, digits, - _ / = .), got ${JSON.stringify(options.name)}.`,
        { name: options.name },
      );
    }
    this.#system = options.system;
    this.#connection = options.connection;
    this.#js = jetstream(options.connection);
    this.#name = options.name;
    this.#subject = options.subject ?? defaultEventSubject;
    this.#bucket = options.bucket ?? 'causeway_relay';
    this.#follower = new LogFollower({
      source: options.system,
      handle: (events, handled) => this.#relay(events, handled),
      ...(options.batch === undefined ? {} : { batch: options.batch }),
      retryMs: options.retryMs ?? 250,
      fatal: (error) => error instanceof SubjectFailure,
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
  }

  /** Where the relay is. */
  status(): OutboxRelayStatus {
    const state = this.#follower.state;
    return {
      name: this.#name,
      position: this.#follower.position,
      // It fails only when its subject function failed, which stops it.
      state: state === 'failed' ? 'stopped' : state,
      published: this.#published,
      duplicates: this.#duplicates,
      error: failureOf(this.#follower.failure),
    };
  }

  /**
   * Loads the position, relays what was committed since, and follows new commits until `stop()`.
   *
   * @throws CausewayError `CW_LOG_MISMATCH` when the stored position lies past the end of the
   *   system's log: it was kept for another log (a store since reset, a name two systems share);
   *   `CW_INVALID_ARGUMENT` when what the bucket holds under the relay's name is not a seq.
   */
  async start(): Promise<void> {
    // Read by the follower once the system is open: a stop() meanwhile wins.
    await this.#follower.start(async () => {
      this.#kv = await new Kvm(this.#connection).create(this.#bucket);
      const stored = await this.#kv.get(this.#name);
      if (stored === null || stored.length === 0) return 0;
      const text = stored.string();
      const position = Number(text);
      if (!Number.isSafeInteger(position) || position < 0) {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `Relay "${this.#name}" keeps its position under key "${this.#name}" of bucket "${this.#bucket}", which holds ${JSON.stringify(text.slice(0, 40))}, not a seq: delete that key to relay the log from its start, or put the last relayed seq there.`,
          { name: this.#name, bucket: this.#bucket },
        );
      }
      return position;
    });
  }

  /**
   * Stops following the log; what was acknowledged stays acknowledged. A `start()` still
   * reading its position resolves without publishing.
   */
  async stop(): Promise<void> {
    await this.#follower.stop();
  }

  /**
   * Resolves once every public event up to `seq` is acknowledged by JetStream (while NATS is
   * unreachable it waits; after `stop()` it waits for the next `start()`).
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` (as a rejection) when the relay stopped before
   *   `seq` because its subject function failed.
   */
  waitFor(seq: number): Promise<void> {
    return this.#follower.waitFor(seq);
  }

  async #relay(events: readonly Envelope[], handled: (seq: number) => void): Promise<void> {
    const types = systemInternals(this.#system).types;
    const relayed = events.filter((e) => types.get(e.type)?.public === true);
    // One at a time, each after the previous one's acknowledgement: published in parallel, a
    // lost publish in the middle of a batch came back on the retry after the ones behind it
    // were stored, out of log order. Each acknowledged event moves the position, so a failure
    // retries from the first unacknowledged one, and the position never passes it: retried
    // from the page's start, a failure that lasted past the stream's duplicate window
    // published the events before it again at every retry.
    for (const e of relayed) {
      const duplicate = await this.#publish(e);
      this.#published++;
      if (duplicate) this.#duplicates++;
      handled(e.seq);
    }
    await (this.#kv as KV).put(this.#name, String((events.at(-1) as Envelope).seq));
  }

  async #publish(event: Envelope): Promise<boolean> {
    const h = headers();
    h.set(SeqHeader, String(event.seq));
    h.set(TypeHeader, event.type);
    const ack = await this.#js.publish(this.#subjectOf(event), encodeEvent(event), {
      msgID: event.id,
      headers: h,
    });
    return ack.duplicate;
  }

  #subjectOf(event: Envelope): string {
    let subject: unknown;
    let thrown: { readonly value: unknown } | null = null;
    try {
      subject = this.#subject(event);
    } catch (err) {
      thrown = { value: err };
    }
    if (thrown === null && typeof subject === 'string' && subject !== '') return subject;
    const what =
      thrown === null
        ? `returned ${typeof subject === 'string' ? 'an empty string' : typeof subject}, not a subject`
        : `threw: ${thrown.value instanceof Error ? thrown.value.message : String(thrown.value)}`;
    throw new SubjectFailure(
      `Relay "${this.#name}" stopped at seq ${event.seq} ("${event.type}", event ${event.id}): its subject function ${what}. That is a bug in the relay's options, not a NATS failure, so it is not retried and nothing from this event on was published. Fix the subject function and start() the relay again: it goes on from its stored position.`,
      { relay: this.#name, seq: event.seq, type: event.type, id: event.id },
      thrown === null ? undefined : thrown.value,
    );
  }
}

/** The subject function of a relay failed: the error that stops it. */
class SubjectFailure extends CausewayError {
  constructor(message: string, details: Record<string, unknown>, cause: unknown) {
    super(
      ErrorCodes.InvalidArgument,
      message,
      details,
      cause === undefined ? undefined : { cause },
    );
  }
}

function failureOf(failure: { readonly error: unknown } | null): OutboxRelayStatus['error'] {
  if (failure === null || !(failure.error instanceof SubjectFailure)) return null;
  const { seq, type } = failure.error.details as { seq: number; type: string };
  return { seq, type, message: failure.error.message };
}
