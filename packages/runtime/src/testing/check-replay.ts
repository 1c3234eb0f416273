import { CausewayError, ErrorCodes, isCausewayError } from '../errors/index.ts';
import { isProgramErrorCode } from '../loop/tick-run.ts';
import type { Envelope } from '../events/envelope.ts';
import type { ListenerFailedData } from '../loop/builtin.ts';
import type { EventSystem } from '../loop/system.ts';
import {
  firstDivergence,
  formatDivergence,
  type Divergence,
  type DivergenceCheck,
} from '../replay/divergence.ts';
import { rebuild, type MakeSystem } from '../replay/rebuild.ts';
import {
  assertMakeSystemArgument,
  assertOptionsArgument,
  systemFrom,
} from '../replay/replay-arguments.ts';
import { hashState } from '../state/hash.ts';
import { reexecute } from '../replay/reexecute.ts';
import { diffValues } from '../replay/state-diff.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { EventStore, Page } from '../store/port.ts';
import {
  observeStrictViolations,
  setStrictByDefault,
  type StrictViolation,
} from '../strict/strict-mode.ts';
import { CrashingStore } from './crashing-store.ts';
import { assertScript, resumeScript, runScript, type Script } from './script.ts';

/** Options of {@link checkReplay}. */
export interface ReplayCheckOptions {
  /**
   * Run the systems in strict mode (unless `makeSystem` sets `strict` itself). Default true.
   */
  readonly strict?: boolean;
  /**
   * Where the crash-recovery check crashes: any non-negative integer, taken modulo the number of
   * writes of the run (pass a fast-check `fc.nat()` to crash at a random point). Default: the
   * middle write.
   */
  readonly crashAt?: number;
  /** Whether the crash writes first (`after-write`) or not (`before-write`, default). */
  readonly crashWhen?: 'before-write' | 'after-write';
  /**
   * Let program errors in listeners pass (an unregistered type emitted, an invalid payload, a
   * returned Promise), as a production-mode system isolates them. Default false: the check
   * fails on the first one. Strict-mode catches always fail.
   */
  readonly allowProgramErrors?: boolean;
}

/** The checks of {@link checkReplay}, in the order they run. */
export type ReplayCheckName =
  | 'live'
  | 'nondeterminism'
  | 'program-errors'
  | 'rebuild'
  | 'lockstep'
  | 'reexecute'
  | 'crash-recovery';

/** Why a scripted run does not replay. */
export interface ReplayFailure {
  /** The check that failed. */
  readonly check: ReplayCheckName;
  /** The tick where it failed, when known. */
  readonly tick: number | null;
  /** The divergence found, for the checks that compare logs. */
  readonly divergence: Divergence | null;
  /** A readable report: what failed, where, and the divergence's details. */
  readonly message: string;
}

/** The result of {@link checkReplay}. */
export type ReplayCheck =
  | { readonly ok: true; readonly ticks: number; readonly events: number; readonly hash: string }
  | { readonly ok: false; readonly failure: ReplayFailure };

/**
 * Checks that a scripted run is deterministic and recoverable, in six checks:
 *
 * 1. `live`: the script runs (strict mode on, so wall time and global randomness in a listener
 *    or applier throw);
 * 2. `nondeterminism`: no listener failed with `CW_NONDETERMINISM` and no strict-mode violation
 *    was swallowed by a listener's own `catch`;
 * 3. `rebuild`: rebuilding the log gives the live state and hash;
 * 4. `lockstep`: a second peer fed the same ticks produces the same log, hash by hash;
 * 5. `reexecute`: feeding only the journaled inputs through a fresh system reproduces every
 *    event and hash;
 * 6. `crash-recovery`: a run that crashes at one write and recovers by queue rebuilding
 *    (a new system on the same log) ends with the same log.
 *
 * Expected failures are data: the result says which check failed, at which tick, with the
 * divergence report. {@link assertReplay} is the throwing twin for tests and properties.
 *
 * Checks started together (`Promise.all`) run one after another: strict mode's default and its
 * observers are process-wide, so a violation in one check would otherwise fail the other.
 * An empty script checks the initial state alone.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` when `makeSystem` is not a function or returns no
 *   system, `script` is not an array of `{ at, inputs }` steps, or an option has the wrong kind
 *   (`strict` and `allowProgramErrors` booleans, `crashAt` an integer of 0 or more, `crashWhen`
 *   `'before-write'` or `'after-write'`).
 */
export function checkReplay<S extends object>(
  makeSystem: MakeSystem<S>,
  script: Script,
  options: ReplayCheckOptions = {},
): Promise<ReplayCheck> {
  const run = turn.then(() => checkReplayNow(makeSystem, script, options));
  turn = run.catch(() => undefined);
  return run;
}

/** The end of the last check started: the next one waits for it. */
let turn: Promise<unknown> = Promise.resolve();

function checkOptions(options: ReplayCheckOptions): void {
  assertOptionsArgument(options, 'checkReplay');
  const wrong = (name: string, expected: string, got: unknown): CausewayError =>
    new CausewayError(
      ErrorCodes.InvalidArgument,
      `checkReplay() takes ${name} as ${expected}, got ${typeof got === 'number' ? String(got) : (JSON.stringify(got) ?? typeof got)}.`,
      { argument: name },
    );
  const { strict, allowProgramErrors, crashAt, crashWhen } = options;
  if (strict !== undefined && typeof strict !== 'boolean')
    throw wrong('strict', 'true or false', strict);
  if (allowProgramErrors !== undefined && typeof allowProgramErrors !== 'boolean')
    throw wrong('allowProgramErrors', 'true or false', allowProgramErrors);
  if (crashAt !== undefined && !(Number.isInteger(crashAt) && crashAt >= 0))
    throw wrong('crashAt', 'an integer of 0 or more (taken modulo the number of writes)', crashAt);
  if (crashWhen !== undefined && crashWhen !== 'before-write' && crashWhen !== 'after-write')
    throw wrong('crashWhen', "'before-write' or 'after-write'", crashWhen);
}

async function checkReplayNow<S extends object>(
  makeSystem: MakeSystem<S>,
  script: Script,
  options: ReplayCheckOptions,
): Promise<ReplayCheck> {
  assertMakeSystemArgument(makeSystem, 'checkReplay');
  assertScript(script, 'checkReplay');
  checkOptions(options);
  const restoreStrict = setStrictByDefault(options.strict ?? true);
  const violations: StrictViolation[] = [];
  const stopObserving = observeStrictViolations((v) => violations.push(v));
  const open: EventSystem<S>[] = [];
  const make: MakeSystem<S> = (store) => {
    const system = systemFrom(makeSystem, store, 'checkReplay');
    open.push(system);
    return system;
  };
  try {
    return await runChecks(make, script, options, violations);
  } finally {
    stopObserving();
    restoreStrict();
    await Promise.all(open.map((s) => s.close().catch(() => undefined)));
  }
}

async function runChecks<S extends object>(
  makeSystem: MakeSystem<S>,
  script: Script,
  options: ReplayCheckOptions,
  violations: StrictViolation[],
): Promise<ReplayCheck> {
  const fail = (
    check: ReplayCheckName,
    tick: number | null,
    message: string,
    divergence: Divergence | null = null,
  ): ReplayCheck => ({
    ok: false,
    failure: { check, tick, divergence, message: `Replay check "${check}" failed: ${message}` },
  });
  const diverged = (
    check: ReplayCheckName,
    what: string,
    result: DivergenceCheck,
  ): ReplayCheck | null =>
    result.ok
      ? null
      : fail(
          check,
          result.divergence.tick,
          `${what}\n${formatDivergence(result.divergence)}`,
          result.divergence,
        );

  // 1. live
  const liveLog = new CrashingStore(new MemoryStore());
  const live = makeSystem(liveLog);
  try {
    // Opened here, not by the first tick, so that an empty script leaves a log to check.
    await live.open();
    await runScript(live, script);
  } catch (err) {
    const tick = (live.lastCommit?.tick ?? 0) + 1;
    // In development mode a program error halts the run: report it by its kind.
    const code = isCausewayError(err) ? err.details['code'] : undefined;
    const listener = isCausewayError(err) ? String(err.details['listener']) : '';
    const cause = err instanceof Error ? messageOf(err.cause) : '';
    if (code === ErrorCodes.Nondeterminism)
      return fail(
        'nondeterminism',
        tick,
        `listener "${listener}" was stopped by strict mode in tick ${tick}: ${cause}`,
      );
    if (isProgramErrorCode(code) && options.allowProgramErrors !== true)
      return fail(
        'program-errors',
        tick,
        `listener "${listener}" made a program error (${String(code)}) in tick ${tick}: ${cause}`,
      );
    return fail('live', tick, `tick ${tick} of the live run threw: ${messageOf(err)}`);
  }
  const last = live.lastCommit;
  const hash = last?.hash ?? hashState(live.state);

  // 2. nondeterminism
  const failed = await nondeterministicListener(liveLog);
  if (failed !== null) {
    const d = failed.data as ListenerFailedData;
    return fail(
      'nondeterminism',
      failed.tick,
      `listener "${d.listener}" was stopped by strict mode in tick ${failed.tick}, handling "${d.event.type}" (seq ${d.event.seq}): ${d.error.message}`,
    );
  }
  if (options.allowProgramErrors !== true) {
    const programError = await firstFailure(liveLog, isProgramErrorCode);
    if (programError !== null) {
      const d = programError.data as ListenerFailedData;
      return fail(
        'program-errors',
        programError.tick,
        `listener "${d.listener}" made a program error (${d.error.code}) in tick ${programError.tick}, handling "${d.event.type}" (seq ${d.event.seq}): ${d.error.message}. Pass allowProgramErrors to let it pass.`,
      );
    }
  }
  const swallowed = violations[0];
  if (swallowed !== undefined) {
    return fail(
      'nondeterminism',
      null,
      `${swallowed.where} called ${swallowed.api} in strict mode and swallowed the NondeterminismError it threw. Use ctx.now, ctx.random() or ctx.create() instead.`,
    );
  }

  // 3. rebuild
  const rebuilt = await rebuild(liveLog, makeSystem);
  const paths = diffValues(live.state, rebuilt.state);
  if (rebuilt.hash !== hash || paths.length > 0) {
    const shown = paths
      .map((p) => `  ${p.path}: live ${JSON.stringify(p.a)}, rebuilt ${JSON.stringify(p.b)}`)
      .join('\n');
    return fail(
      'rebuild',
      last?.tick ?? 0,
      `rebuilding the log gives hash ${rebuilt.hash}, the live run committed ${hash} at tick ${last?.tick ?? 0}.\n${shown}`,
    );
  }

  // 4. lockstep
  const peerLog = new MemoryStore();
  try {
    const peer = makeSystem(peerLog);
    await peer.open();
    await runScript(peer, script);
  } catch (err) {
    return fail('lockstep', null, `the second peer's run threw: ${messageOf(err)}`);
  }
  const lockstep = diverged(
    'lockstep',
    'a second peer fed the same ticks diverged from the live run.',
    await firstDivergence(liveLog, peerLog, { makeSystem, sides: ['live', 'peer'] }),
  );
  if (lockstep !== null) return lockstep;

  // 5. reexecute
  const reexecuted = diverged(
    'reexecute',
    'feeding only the journaled inputs through a fresh system did not reproduce the log.',
    await reexecute(liveLog, makeSystem),
  );
  if (reexecuted !== null) return reexecuted;

  // 6. crash-recovery
  const writes = liveLog.writes;
  if (writes > 0) {
    const k = 1 + ((options.crashAt ?? Math.floor(writes / 2)) % writes);
    const recovered = await crashAndRecover(makeSystem, script, k, options.crashWhen);
    if (typeof recovered === 'string') return fail('crash-recovery', null, recovered);
    const same = diverged(
      'crash-recovery',
      `a run that crashed at write ${k} of ${writes} and recovered by queue rebuilding ended with another log.`,
      await firstDivergence(liveLog, recovered, {
        makeSystem,
        sides: ['uninterrupted', 'recovered'],
      }),
    );
    if (same !== null) return same;
  }
  const events = last?.lastSeq ?? 0;
  return { ok: true, ticks: last?.tick ?? 0, events, hash };
}

/**
 * Runs `script` on a store that fails at write `k`, then recovers with a new system on the
 * same log and finishes the script. Returns the log, or why the recovery could not run.
 */
async function crashAndRecover<S extends object>(
  makeSystem: MakeSystem<S>,
  script: Script,
  k: number,
  when: 'before-write' | 'after-write' | undefined,
): Promise<EventStore | string> {
  const log = new MemoryStore();
  const crashing = new CrashingStore(log, when === undefined ? { failAt: k } : { failAt: k, when });
  try {
    await runScript(makeSystem(crashing), script);
  } catch (err) {
    if (crashing.crashed === null) return `the run before the crash threw: ${messageOf(err)}`;
  }
  try {
    await resumeScript(makeSystem, log, script);
  } catch (err) {
    return `recovering after a crash at write ${k} (${crashing.crashed ?? 'none'}) threw: ${messageOf(err)}`;
  }
  return log;
}

function nondeterministicListener(store: EventStore): Promise<Envelope | null> {
  return firstFailure(store, (code) => code === ErrorCodes.Nondeterminism);
}

/** The first `ListenerFailed` event whose error code passes `wanted`. */
async function firstFailure(
  store: EventStore,
  wanted: (code: string | null) => boolean,
): Promise<Envelope | null> {
  for (let from: number | null = 1; from !== null;) {
    const page: Page<Envelope> = await store.readEvents({
      type: 'causeway.ListenerFailed',
      fromSeq: from,
    });
    for (const e of page.items) {
      if (wanted((e.data as ListenerFailedData).error.code)) return e;
    }
    from = page.next;
  }
  return null;
}

/**
 * Throws when a scripted run does not replay; the throwing twin of {@link checkReplay}. Under
 * `fc.assert`, fast-check adds its seed and path to the report, so the failure reproduces with
 * `fc.assert(property, { seed, path })`.
 *
 * @throws CausewayError `CW_NONDETERMINISM` when strict mode stopped a listener,
 *   `CW_DIVERGENCE` for any other failed check; the message is the report, and
 *   `details.failure` the {@link ReplayFailure}.
 */
export async function assertReplay<S extends object>(
  makeSystem: MakeSystem<S>,
  script: Script,
  options: ReplayCheckOptions = {},
): Promise<void> {
  const result = await checkReplay(makeSystem, script, options);
  if (result.ok) return;
  const { failure } = result;
  throw new CausewayError(
    failure.check === 'nondeterminism' ? ErrorCodes.Nondeterminism : ErrorCodes.Divergence,
    failure.message,
    { failure, check: failure.check, tick: failure.tick },
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
