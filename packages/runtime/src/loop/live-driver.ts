// The live driver of an EventSystem: `send` (group commit of the sends of one turn of the
// host's event loop), the senders waiting for their tick, and after `start` the wall-clock
// timer that runs a tick when the next pending timer falls due.
import { assertTickTime } from '../clock/tick-time.ts';
import type { Clock } from '../clock/wall-clock.ts';
import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { AnyEventType } from '../events/event-type.ts';
import type { Envelope } from '../events/envelope.ts';
import type { LoopCore } from './core.ts';
import type { TickRun } from './tick-run.ts';
import type { Input, TickResult } from './types.ts';

/** What the live driver needs from its system. */
export interface LiveHost {
  /** Runs `work` after every earlier operation of the system, one at a time. */
  serial<T>(work: () => Promise<T>): Promise<T>;
  /** Throws unless the system takes input, and opens it. */
  ready(): Promise<void>;
  /** Runs a tick at `at` and commits it (settling the senders through the driver). */
  runAndCommit(at: number): Promise<TickResult>;
}

interface Send {
  readonly input: Input;
  readonly resolve: (e: Envelope) => void;
  readonly reject: (e: unknown) => void;
}

// The next turn of the host's event loop, after every pending promise job: what live sends
// made in one turn wait for, so they share a tick. `setImmediate` where the host has it (Node);
// elsewhere a zero timeout (which browsers clamp, and which is only a latency).
const hostSetImmediate = (globalThis as { setImmediate?: (run: () => void) => unknown })
  .setImmediate;
const nextTurn: (run: () => void) => void =
  typeof hostSetImmediate === 'function'
    ? (run) => void hostSetImmediate(run)
    : (run) => void setTimeout(run, 0);

/** Drives an EventSystem's live ticks. Internal to the loop. */
export class LiveDriver<S extends object> {
  // Senders of journaled inputs, by input number, until their tick commits.
  readonly #waiters = new Map<
    number,
    { resolve: (e: Envelope) => void; reject: (e: unknown) => void }
  >();
  // Live sends waiting for the next live tick, which journals them in one write (group commit).
  #sendQueue: Send[] = [];
  #liveTickScheduled = false;
  #timerTick: ReturnType<typeof setTimeout> | null = null;
  #live = false;

  constructor(
    private readonly core: LoopCore<S>,
    private readonly clock: Clock,
    private readonly host: LiveHost,
  ) {}

  /** Queues a send for the next turn's tick; resolves with its envelope once that tick commits. */
  send<E extends AnyEventType>(input: Input<E>): Promise<Envelope<E>> {
    return new Promise<Envelope<E>>((resolve, reject) => {
      this.#sendQueue.push({ input, resolve: resolve as (e: Envelope) => void, reject });
      if (this.#liveTickScheduled) return;
      this.#liveTickScheduled = true;
      nextTurn(() => {
        this.#liveTickScheduled = false;
        this.#tickNow();
      });
    });
  }

  /** Starts the timer-driven ticks (the system is open). */
  start(): void {
    this.#live = true;
    this.#armTimer();
  }

  /** Stops the timer-driven ticks. */
  stop(): void {
    this.#live = false;
    if (this.#timerTick !== null) clearTimeout(this.#timerTick);
    this.#timerTick = null;
  }

  /** After a commit: settles the senders of its inputs and waits for the next due timer. */
  committed(run: TickRun<S>): void {
    this.#settleWaiters(run);
    if (this.#live) this.#armTimer();
  }

  /** The system closed: rejects every sender still waiting, journaled or not. */
  close(): void {
    const unsent = this.#sendQueue;
    this.#sendQueue = [];
    for (const w of this.#waiters.values()) {
      w.reject(
        new CausewayError(
          ErrorCodes.SystemHalted,
          "The system was closed before the input's tick committed; it stays journaled and runs when the store is reopened.",
          {},
        ),
      );
    }
    this.#waiters.clear();
    for (const waiter of unsent)
      waiter.reject(
        new CausewayError(
          ErrorCodes.SystemHalted,
          'The system was closed before the input was journaled; it was not accepted. Send it again to a system on the store.',
          {},
        ),
      );
  }

  #tickNow(): void {
    this.host
      .serial(async () => {
        const sends = this.#sendQueue;
        this.#sendQueue = [];
        const at = this.clock();
        try {
          assertTickTime(at, "the system's clock");
          await this.host.ready();
        } catch (err) {
          for (const s of sends) s.reject(err);
          throw err;
        }
        // A turn whose sends were all refused runs no tick, so that tick numbers depend only on
        // accepted inputs; a timer's turn (no sends) always runs one.
        if (sends.length > 0 && (await this.#acceptSends(sends, at)) === 0) return;
        await this.host.runAndCommit(at);
      })
      .catch((err: unknown) => {
        for (const [, w] of this.#waiters) w.reject(err);
        this.#waiters.clear();
      });
  }

  // Journals the valid live sends in one write; a refused one rejects only its own sender.
  async #acceptSends(sends: readonly Send[], now: number): Promise<number> {
    const core = this.core;
    // A malformed send (not an input, or one without a type) is refused on its own.
    const shaped = sends.filter((s) => {
      try {
        core.checkBatchShape([s.input]);
        return true;
      } catch (err) {
        s.reject(err);
        return false;
      }
    });
    const { problems, data } = core.validateEachWithData(
      shaped.map((s) => s.input),
      Math.max(now, core.lastCommit?.at ?? now),
    );
    const validData: unknown[] = [];
    const valid = shaped.filter((s, k) => {
      const problem = problems[k];
      if (problem != null) s.reject(problem);
      else validData.push(data[k]);
      return problem == null;
    });
    if (valid.length === 0) return 0;
    let inos: number[];
    try {
      inos = await core.journal(
        valid.map((s) => s.input),
        true,
        validData,
      );
    } catch (err) {
      for (const s of valid) s.reject(err);
      throw err;
    }
    for (let k = 0; k < valid.length; k++) {
      const s = valid[k] as Send;
      this.#waiters.set(inos[k] as number, { resolve: s.resolve, reject: s.reject });
    }
    return valid.length;
  }

  // Waits on the wall clock for the next due timer; the tick itself reads the system's clock.
  #armTimer(): void {
    if (this.#timerTick !== null) clearTimeout(this.#timerTick);
    this.#timerTick = null;
    const next = this.core.timers[0];
    if (!this.#live || next === undefined) return;
    this.#timerTick = setTimeout(
      () => {
        this.#timerTick = null;
        this.#tickNow();
      },
      Math.max(0, next.due - this.clock()),
    );
  }

  #settleWaiters(run: TickRun<S>): void {
    if (this.#waiters.size === 0) return;
    for (const { ino, index } of run.inputs) {
      const waiter = this.#waiters.get(ino);
      if (waiter === undefined) continue;
      this.#waiters.delete(ino);
      const envelope = run.queue[index] as Envelope;
      if (envelope.type === 'causeway.InputRejected') {
        const d = envelope.data as { code: string; message: string };
        waiter.reject(
          new CausewayError(d.code as typeof ErrorCodes.EntityNotFound, d.message, {
            seq: envelope.seq,
          }),
        );
      } else waiter.resolve(envelope);
    }
  }
}
