import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { EventSystem } from '../loop/system.ts';
import type { Input, TickResult } from '../loop/types.ts';
import type { MakeSystem } from '../replay/rebuild.ts';
import type { EventStore } from '../store/port.ts';

/** One scripted tick: its logical time and the inputs sent with it. */
export interface ScriptedTick {
  /** The tick's time, epoch milliseconds UTC. */
  readonly at: number;
  readonly inputs: readonly Input[];
}

/** A scripted run: one tick per step, in order. */
export type Script = readonly ScriptedTick[];

/**
 * Runs `script` on `system` from step `from` (0-based): one `tick(inputs, { at })` per step.
 * Resolves with the committed ticks.
 *
 * @throws whatever a tick throws (rejected inputs, store failures, the halt policy).
 */
export async function runScript(
  system: EventSystem<object>,
  script: Script,
  from = 0,
): Promise<TickResult[]> {
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
 *   script, or a step's inputs only partly.
 */
export async function resumeScript<S extends object>(
  makeSystem: MakeSystem<S>,
  store: EventStore,
  script: Script,
): Promise<EventSystem<S>> {
  const system = makeSystem(store);
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
