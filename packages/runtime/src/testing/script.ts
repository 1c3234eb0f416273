import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { EventSystem } from '../loop/system.ts';
import type { Input, TickResult } from '../loop/types.ts';
import type { MakeSystem } from '../replay/rebuild.ts';
import { assertMakeSystemArgument, systemFrom } from '../replay/replay-arguments.ts';
import type { EventStore } from '../store/port.ts';

/** One scripted tick: its logical time and the inputs sent with it. */
export interface ScriptedTick {
  /** The tick's time, epoch milliseconds UTC. */
  readonly at: number;
  readonly inputs: readonly Input[];
}

/** A scripted run: one tick per step, in order. */
export type Script = readonly ScriptedTick[];

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * Checks that `script` is a script: an array of `{ at, inputs }` steps with an array of inputs
 * each (the tick checks the time and the inputs themselves).
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming the function and the first wrong step.
 */
export function assertScript(script: unknown, fn: string): asserts script is Script {
  if (!Array.isArray(script)) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `${fn}() takes a script, an array of { at, inputs } steps (one tick each), got ${kindOf(script)}.`,
      { argument: 'script' },
    );
  }
  const wrong = (script as unknown[]).findIndex(
    (step) =>
      typeof step !== 'object' ||
      step === null ||
      !Array.isArray((step as { inputs?: unknown }).inputs),
  );
  if (wrong !== -1) {
    const step: unknown = script[wrong];
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `${fn}() takes a script of { at, inputs } steps with an array of inputs each; step ${wrong + 1} ${typeof step === 'object' && step !== null ? `has inputs of kind ${kindOf((step as { inputs?: unknown }).inputs)}` : `is ${kindOf(step)}`}.`,
      { argument: 'script', step: wrong + 1 },
    );
  }
}

/**
 * Runs `script` on `system` from step `from` (0-based): one `tick(inputs, { at })` per step.
 * Resolves with the committed ticks.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` for a `script` that is not an array of
 *   `{ at, inputs }` steps or a `from` that is not an integer from 0 to the script's length;
 *   whatever a tick throws (rejected inputs, store failures, the halt policy).
 */
export async function runScript(
  system: EventSystem<object>,
  script: Script,
  from = 0,
): Promise<TickResult[]> {
  assertScript(script, 'runScript');
  if (!Number.isSafeInteger(from) || from < 0 || from > script.length) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `runScript() takes from as the 0-based step to start at, an integer from 0 to ${script.length} (the script's length), got ${typeof from === 'number' ? String(from) : (JSON.stringify(from) ?? typeof from)}.`,
      { argument: 'from', from },
    );
  }
  const results: TickResult[] = [];
  for (let i = from; i < script.length; i++) {
    const step = script[i] as ScriptedTick;
    results.push(await system.tick(step.inputs, { at: step.at }));
  }
  return results;
}

/**
 * Recovers after a crash and finishes `script`: opens a new system from `makeSystem` on `store`
 * (which rebuilds the state and puts the journaled, uncommitted inputs back on the queue), then
 * continues where the log says the run is. Ticks already committed are not run again, and the
 * inputs of a step already journaled are not sent again (the step's tick runs with them from
 * the queue). Resolves with the recovered system.
 *
 * @throws CausewayError `CW_LOG_MISMATCH` when the log holds more ticks or inputs than the
 *   script, or a step's inputs only partly; `CW_INVALID_ARGUMENT` when `makeSystem` is not a
 *   function or returns no system, or `script` is not an array of `{ at, inputs }` steps.
 */
export async function resumeScript<S extends object>(
  makeSystem: MakeSystem<S>,
  store: EventStore,
  script: Script,
): Promise<EventSystem<S>> {
  assertMakeSystemArgument(makeSystem, 'resumeScript');
  assertScript(script, 'resumeScript');
  const system = systemFrom(makeSystem, store, 'resumeScript');
  await system.open();
  const committed = system.lastCommit?.tick ?? 0;
  const journaled = await store.lastInput();
  const total = script.reduce((n, step) => n + step.inputs.length, 0);
  if (committed > script.length || journaled > total) {
    throw new CausewayError(
      ErrorCodes.LogMismatch,
      `The log in ${store.description} holds ${committed} ticks and ${journaled} inputs, more than the script's ${script.length} ticks and ${total} inputs; it was not written by this script.`,
      { committed, journaled },
    );
  }
  let sent = 0;
  for (let i = 0; i < committed; i++) sent += (script[i] as ScriptedTick).inputs.length;
  for (let i = committed; i < script.length; i++) {
    const step = script[i] as ScriptedTick;
    const already = Math.max(0, journaled - sent);
    if (already !== 0 && already !== step.inputs.length) {
      throw new CausewayError(
        ErrorCodes.LogMismatch,
        `Step ${i + 1} of the script has ${step.inputs.length} inputs but the log journaled ${already} of them; a journal write is all or nothing, so the log was not written by this script.`,
        { step: i + 1, already },
      );
    }
    await system.tick(already === 0 ? step.inputs : [], { at: step.at });
    sent += step.inputs.length;
  }
  return system;
}
