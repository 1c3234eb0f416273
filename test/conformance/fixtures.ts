import { expect } from 'vitest';
import { isCausewayError, type ErrorCode } from '@causeway/runtime';
import type {
  EventStore,
  InputRecord,
  LogHeader,
  StoredEnvelope,
  TickCommit,
} from '@causeway/runtime';

/**
 * Builders for the conformance suite: envelopes, inputs and commits that obey the store's
 * numbering rules, so that each test states only what it is about.
 */

let counter = 0;

/**
 * A valid-looking UUIDv7 string, unique within the process. Stores do not validate ids; the
 * runtime does, so the suite only needs the shape.
 */
export function uuid(): string {
  counter++;
  const hex = counter.toString(16).padStart(12, '0');
  return `0190a1b2-c3d4-7${hex.slice(0, 3)}-8${hex.slice(3, 6)}-${hex.padStart(12, '0')}`;
}

/** A log header with the given seed. */
export function header(seed = 42, schema: Record<string, number> = { Created: 1 }): LogHeader {
  return { format: 1, seed, schema };
}

/** What a test says about one event; the builder fills in the numbering. */
export interface EventSpec {
  readonly type?: string;
  readonly version?: number;
  readonly entity?: string;
  readonly data?: unknown;
  readonly correlation?: string;
  readonly causation?: string | null;
  readonly actor?: string;
}

/** One tick as the builder made it: its commit record and its events. */
export interface BuiltTick {
  readonly commit: TickCommit;
  readonly events: readonly StoredEnvelope[];
}

/**
 * Numbers ticks, seqs and inputs the way a system would, so a test can write
 * `await log.tick(store, [{ type: 'Created' }])`.
 */
export class LogBuilder {
  tick = 0;
  lastSeq = 0;
  lastInput = 0;
  consumedInput = 0;
  at = 1_700_000_000_000;
  readonly ticks: BuiltTick[] = [];
  readonly inputs: InputRecord[] = [];

  /** Builds the next inputs without journaling them. */
  nextInputs(count: number, actor = 'client'): InputRecord[] {
    const inputs: InputRecord[] = [];
    for (let i = 0; i < count; i++) {
      inputs.push({
        ino: this.lastInput + 1 + i,
        type: 'Create',
        version: 1,
        entity: uuid(),
        data: { n: this.lastInput + 1 + i, label: `input ${this.lastInput + 1 + i}` },
        actor,
      });
    }
    return inputs;
  }

  /** Journals `count` new inputs on `store`. */
  async journal(store: EventStore, count: number): Promise<InputRecord[]> {
    const inputs = this.nextInputs(count);
    await store.journal(inputs);
    this.lastInput += count;
    this.inputs.push(...inputs);
    return inputs;
  }

  /** Builds the next tick without committing it. */
  nextTick(specs: readonly EventSpec[], consumeInputs = true): BuiltTick {
    const tick = this.tick + 1;
    const at = this.at + 1000;
    const firstSeq = this.lastSeq + 1;
    const events = specs.map((s, i): StoredEnvelope => {
      const id = uuid();
      return {
        id,
        seq: firstSeq + i,
        tick,
        type: s.type ?? 'Created',
        version: s.version ?? 1,
        entity: s.entity ?? uuid(),
        data: s.data ?? { i },
        at,
        causation: s.causation === undefined ? null : s.causation,
        correlation: s.correlation ?? id,
        actor: s.actor ?? 'client',
      };
    });
    const commit: TickCommit = {
      tick,
      at,
      firstSeq,
      lastSeq: firstSeq + events.length - 1,
      lastInput: consumeInputs ? this.lastInput : this.consumedInput,
      hash: tick.toString(16).padStart(16, '0'),
    };
    return { commit, events };
  }

  /** Commits the next tick on `store` and records it as done. */
  async commitTick(store: EventStore, specs: readonly EventSpec[]): Promise<BuiltTick> {
    const built = this.nextTick(specs);
    await store.commit(built.commit, built.events);
    this.accept(built);
    return built;
  }

  /** Commits `count` ticks of `perTick` default events each. */
  async commitTicks(store: EventStore, count: number, perTick = 2): Promise<BuiltTick[]> {
    const out: BuiltTick[] = [];
    for (let t = 0; t < count; t++) {
      out.push(
        await this.commitTick(
          store,
          Array.from({ length: perTick }, () => ({})),
        ),
      );
    }
    return out;
  }

  /** Records a tick that was committed by other means. */
  accept(built: BuiltTick): void {
    this.tick = built.commit.tick;
    this.at = built.commit.at;
    this.lastSeq = built.commit.lastSeq;
    this.consumedInput = built.commit.lastInput;
    this.ticks.push(built);
  }

  /** Every event committed so far, in seq order. */
  get events(): StoredEnvelope[] {
    return this.ticks.flatMap((t) => t.events);
  }
}

/**
 * Returns the error a call rejects with. A store's methods return promises, so throwing
 * synchronously is itself a failure of the contract.
 */
export async function rejectionOf(call: () => Promise<unknown>): Promise<unknown> {
  let pending: Promise<unknown>;
  try {
    pending = call();
  } catch (error) {
    throw new Error(
      `expected a rejected promise, but the call threw synchronously: ${String(error)}`,
    );
  }
  try {
    await pending;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject, but it resolved');
}

/**
 * Retries `check` until it passes or `timeoutMs` runs out: a store in another process may only
 * see the writer's commits when it next polls.
 */
export async function eventually(
  check: () => Promise<void> | void,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Reads every event of a query by following `next`. */
export async function readAll(
  store: EventStore,
  query: Parameters<EventStore['readEvents']>[0] = {},
): Promise<StoredEnvelope[]> {
  const out: StoredEnvelope[] = [];
  let fromSeq: number | null = query.fromSeq ?? 1;
  while (fromSeq !== null) {
    const page = await store.readEvents({ ...query, fromSeq });
    out.push(...page.items);
    fromSeq = page.next;
  }
  return out;
}

/** Calls each named call and expects it to reject with a Causeway error of `code`. */
export async function expectEveryRejected(
  calls: ReadonlyArray<readonly [string, () => Promise<unknown>]>,
  code: ErrorCode,
  when: string,
): Promise<void> {
  for (const [name, call] of calls) {
    const error = await rejectionOf(call);
    expect(isCausewayError(error, code), `${name} ${when}: ${String(error)}`).toBe(true);
  }
}
