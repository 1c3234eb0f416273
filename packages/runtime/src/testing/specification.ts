import { CausewayError, ErrorCodes, isCausewayError, type ErrorCode } from '../errors/index.ts';
import { isProgramErrorCode } from '../loop/tick-run.ts';
import type { AnyEventType, DataOf } from '../events/event-type.ts';
import type { Envelope } from '../events/envelope.ts';
import type { ListenerFailedData } from '../loop/builtin.ts';
import type { EventSystem } from '../loop/system.ts';
import type { Input } from '../loop/types.ts';
import type { MakeSystem } from '../replay/rebuild.ts';
import {
  assertMakeSystemArgument,
  assertOptionsArgument,
  systemFrom,
} from '../replay/replay-arguments.ts';
import { diffValues } from '../replay/state-diff.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { setStrictByDefault } from '../strict/strict-mode.ts';
import { DEFAULT_START } from './arbitraries.ts';
import type { Immutable } from 'immer';

/** An event a specification expects; fields left out are not compared. */
export interface ExpectedEvent<E extends AnyEventType = AnyEventType> {
  readonly type: E;
  readonly entity?: string;
  readonly data?: DataOf<E>;
  readonly actor?: string;
}

/** Builds a typed {@link ExpectedEvent}. */
export function expected<E extends AnyEventType>(
  type: E,
  entity?: string,
  data?: DataOf<E>,
  actor?: string,
): ExpectedEvent<E> {
  return {
    type,
    ...(entity === undefined ? {} : { entity }),
    ...(data === undefined ? {} : { data }),
    ...(actor === undefined ? {} : { actor }),
  };
}

/**
 * A failed expectation of a specification. `expected` and `actual` hold both sides, which test
 * runners (vitest, jest) show as a diff.
 */
export class SpecificationError extends Error {
  constructor(
    message: string,
    readonly expected: unknown,
    readonly actual: unknown,
  ) {
    super(message);
  }

  override get name(): string {
    return 'SpecificationError';
  }
}

/** Options of {@link ListenerSpecification.for}. */
export interface SpecificationOptions {
  /** Time of the `given` tick; the `when` tick runs one second later. Default {@link DEFAULT_START}. */
  readonly at?: number;
  /** Run in strict mode (unless `makeSystem` sets `strict` itself). Default true. */
  readonly strict?: boolean;
  /**
   * Let program errors in listeners pass (an unregistered type emitted, an invalid payload, a
   * returned Promise), as a production-mode system isolates them; `then` then sees their
   * `ListenerFailed` events. Default false: the specification fails on them. Strict-mode
   * catches always fail.
   */
  readonly allowProgramErrors?: boolean;
}

/** What the `when` tick produced, handed to the `then…` checks. */
interface Outcome<S extends object> {
  readonly system: EventSystem<S>;
  readonly events: readonly Envelope[];
  readonly error: unknown;
}

/**
 * Given/when/then tests for listeners, in the style of Emmett's `DeciderSpecification`: given
 * earlier inputs (run as a first tick), when an input arrives (a second tick), then the tick
 * emits these events — the inputs themselves left out — or the state is this, or the input is
 * rejected. Each check runs on a fresh system on a memory store, in strict mode.
 *
 * @example
 * ```ts
 * const spec = ListenerSpecification.for(makeSystem);
 * const ada = testEntityId(1);
 * await spec
 *   .given([input(Spawned, ada, { x: 0, y: 0 }, 'ada')])
 *   .when(input(Moved, ada, { dx: 11, dy: 0 }, 'ada'))
 *   .then([expected(Bounced, ada, { x: 10 })]);
 * ```
 */
export class ListenerSpecification<S extends object> {
  private constructor(
    private readonly makeSystem: MakeSystem<S>,
    private readonly options: SpecificationOptions,
  ) {}

  /**
   * A specification of the systems `makeSystem` makes.
   *
   * @throws CausewayError `CW_INVALID_ARGUMENT` when `makeSystem` is not a function, `options`
   *   is not an object, or `at` is not an integer from 0 to 2^48 - 1001 (the `when` tick runs a
   *   second later).
   */
  static for<S extends object>(
    makeSystem: MakeSystem<S>,
    options: SpecificationOptions = {},
  ): ListenerSpecification<S> {
    assertMakeSystemArgument(makeSystem, 'ListenerSpecification.for');
    assertOptionsArgument(options, 'ListenerSpecification.for');
    const at: unknown = options.at;
    if (
      at !== undefined &&
      !(Number.isSafeInteger(at) && (at as number) >= 0 && (at as number) <= 2 ** 48 - 1001)
    ) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `ListenerSpecification.for() takes at as the given tick's time, epoch milliseconds from 0 to 2^48 - 1001 (the when tick runs 1,000 ms later), got ${typeof at === 'number' ? String(at) : (JSON.stringify(at) ?? typeof at)}.`,
        { argument: 'at' },
      );
    }
    return new ListenerSpecification(makeSystem, options);
  }

  /** The inputs that happened before (none for an empty history). */
  given(history: readonly Input[] = []): {
    when(input: Input | readonly Input[]): ThenClause<S>;
  } {
    return {
      when: (input) =>
        new ThenClause<S>(() => this.run(history, Array.isArray(input) ? input : [input as Input])),
    };
  }

  private async run(history: readonly Input[], when: readonly Input[]): Promise<Outcome<S>> {
    const restore = setStrictByDefault(this.options.strict ?? true);
    const at = this.options.at ?? DEFAULT_START;
    const system = systemFrom(this.makeSystem, new MemoryStore(), 'ListenerSpecification');
    try {
      const allow = this.options.allowProgramErrors === true;
      if (history.length > 0) {
        const first = await system.tick(history, { at }).catch((error: unknown) => {
          throw programErrorOf(error, 'given', allow) ?? error;
        });
        checkProgramErrors(first.events, 'given', allow);
      }
      try {
        const result = await system.tick(when, { at: at + 1000 });
        checkProgramErrors(result.events, 'when', allow);
        return { system, events: withoutInputs(result.events, when), error: null };
      } catch (error) {
        if (error instanceof SpecificationError) throw error;
        const programError = programErrorOf(error, 'when', allow);
        if (programError !== null) throw programError;
        return { system, events: [], error };
      }
    } finally {
      restore();
    }
  }
}

/** The `then…` checks of a specification. Each runs the specification once. */
export class ThenClause<S extends object> {
  constructor(private readonly run: () => Promise<Outcome<S>>) {}

  /**
   * The `when` tick emits exactly these events, in order (the `when` inputs themselves left out;
   * builtin events such as timers and listener failures included).
   * @throws SpecificationError listing both sequences.
   */
  async then(events: readonly ExpectedEvent[]): Promise<void> {
    const outcome = await this.settle();
    const actual = outcome.events.map((e, i) => {
      const want = events[i];
      return {
        type: e.type,
        ...(want?.entity === undefined ? {} : { entity: e.entity }),
        ...(want?.data === undefined ? {} : { data: e.data as unknown }),
        ...(want?.actor === undefined ? {} : { actor: e.actor }),
      };
    });
    const wanted = events.map((e) => ({ ...e, type: e.type.name }));
    const diff = diffValues(wanted, actual);
    if (diff.length > 0) {
      const lines = diff.map(
        (d) => `  ${d.path}: expected ${JSON.stringify(d.a)}, got ${JSON.stringify(d.b)}`,
      );
      throw new SpecificationError(
        `The "when" tick emitted other events than expected:\n${lines.join('\n')}`,
        wanted,
        actual,
      );
    }
  }

  /** The state after the `when` tick passes `check` (which throws, e.g. with `expect`, when not). */
  async thenState(check: (state: Immutable<S>) => void): Promise<void> {
    const outcome = await this.settle();
    check(outcome.system.state);
  }

  /**
   * The `when` input is refused with `code`: at acceptance (the tick throws), or by an
   * `InputRejected` event when its tick ran.
   * @throws SpecificationError when it was accepted or refused with another code.
   */
  async thenRejects(code: ErrorCode): Promise<void> {
    const outcome = await this.run();
    await outcome.system.close();
    if (isCausewayError(outcome.error, code)) return;
    const rejected = outcome.events.find(
      (e) => e.type === 'causeway.InputRejected' && (e.data as { code: string }).code === code,
    );
    if (rejected !== undefined) return;
    const actual = isCausewayError(outcome.error)
      ? outcome.error.code
      : outcome.error === null
        ? 'accepted'
        : messageOf(outcome.error);
    throw new SpecificationError(
      `Expected the "when" input to be rejected with ${code}, but it was ${actual === 'accepted' ? 'accepted' : `refused with ${actual}`}.`,
      code,
      actual,
    );
  }

  private async settle(): Promise<Outcome<S>> {
    const outcome = await this.run();
    await outcome.system.close();
    if (outcome.error !== null) {
      throw new SpecificationError(
        `The "when" tick threw: ${messageOf(outcome.error)}`,
        'a committed tick',
        outcome.error,
      );
    }
    return outcome;
  }
}

/** The tick's events without the `when` inputs (each matched once, by type, entity and actor). */
function withoutInputs(events: readonly Envelope[], inputs: readonly Input[]): Envelope[] {
  const left = [...inputs];
  return events.filter((e) => {
    if (e.causation !== null) return true;
    const i = left.findIndex(
      (input) =>
        input.type.name === e.type &&
        input.entity === e.entity &&
        (input.actor ?? 'anonymous') === e.actor,
    );
    if (i === -1) return true;
    left.splice(i, 1);
    return false;
  });
}

/**
 * Strict mode's catches and program errors must fail the specification, not hide in a
 * `ListenerFailed` (production mode) or pass for an expected rejection (development mode halts).
 */
function checkProgramErrors(events: readonly Envelope[], phase: string, allow: boolean): void {
  for (const e of events) {
    if (e.type !== 'causeway.ListenerFailed') continue;
    const d = e.data as ListenerFailedData;
    const error = programError(d.listener, d.error.code, d.error.message, phase, allow);
    if (error !== null) throw error;
  }
}

function programErrorOf(error: unknown, phase: string, allow: boolean): SpecificationError | null {
  if (!isCausewayError(error, ErrorCodes.ListenerFailed)) return null;
  const code = error.details['code'];
  const message = error.cause instanceof Error ? error.cause.message : error.message;
  return programError(
    String(error.details['listener']),
    typeof code === 'string' ? code : null,
    message,
    phase,
    allow,
  );
}

function programError(
  listener: string,
  code: string | null,
  message: string,
  phase: string,
  allow: boolean,
): SpecificationError | null {
  if (code === ErrorCodes.Nondeterminism)
    return new SpecificationError(
      `In the "${phase}" tick, strict mode stopped listener "${listener}": ${message}`,
      'deterministic listeners',
      message,
    );
  if (!allow && isProgramErrorCode(code))
    return new SpecificationError(
      `In the "${phase}" tick, listener "${listener}" made a program error (${code}): ${message}. Pass allowProgramErrors to let it pass.`,
      'no program errors',
      message,
    );
  return null;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : JSON.stringify(err);
}
