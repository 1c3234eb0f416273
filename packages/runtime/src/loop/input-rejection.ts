import { CausewayError, ErrorCodes } from '../errors/index.ts';
import type { EventStore, InputRecord } from '../store/port.ts';
import { InputDiscarded, type InputDiscardedData } from './builtin.ts';

/** Who journals an operator's rejection, as the input's actor. */
export const OPERATOR_ACTOR = 'operator';

/**
 * Journals an operator's rejection of the journaled input `ino`, which no tick has run yet
 * (typically a poison input whose cascade hits the cascade limit on every open): a
 * `causeway.InputDiscarded` input. The next tick — of this process or of the next one to open
 * the log — records input `ino` as `causeway.InputRejected` (code `CW_INPUT_DISCARDED`)
 * instead of running it, so the log stays the truth and replays the same.
 *
 * `store` must be open for writing, with no system running on it (the system's own
 * `rejectJournaledInput` does this for a running system).
 *
 * @returns the journaled record.
 * @throws CausewayError `CW_INVALID_ARGUMENT` when `ino` is not a journaled input waiting for
 *   its tick (unknown, already committed, or already rejected), or `reason` is empty.
 */
export async function journalInputRejection(
  store: EventStore,
  ino: number,
  reason: string,
): Promise<InputRecord> {
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      'Rejecting a journaled input needs a reason; it is recorded in the log.',
      { ino },
    );
  }
  const lastInput = await store.lastInput();
  const committed = (await store.lastCommit())?.lastInput ?? 0;
  if (!Number.isInteger(ino) || ino <= committed || ino > lastInput) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `Input ${String(ino)} is not waiting for a tick in ${store.description}: ${waitingInputs(committed, lastInput)}. Only an input that has not run can be rejected.`,
      { ino, committed, lastInput },
    );
  }
  let target: InputRecord | undefined;
  for (let after = committed; after < lastInput;) {
    const page = await store.readInputs(after, 1000);
    if (page.length === 0) break;
    for (const record of page) {
      if (record.ino === ino) target = record;
      if (
        record.type === InputDiscarded.name &&
        (record.data as InputDiscardedData | null)?.ino === ino
      ) {
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `Input ${ino} is already rejected (by input ${record.ino}).`,
          { ino, by: record.ino },
        );
      }
    }
    after = (page.at(-1) as InputRecord).ino;
  }
  if (target === undefined) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `Input ${ino} is not in the journal of ${store.description}.`,
      { ino },
    );
  }
  if (target.type === InputDiscarded.name) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `Input ${ino} is itself an operator's rejection; it cannot be rejected.`,
      { ino },
    );
  }
  const data: InputDiscardedData = { ino, reason };
  const record: InputRecord = {
    ino: lastInput + 1,
    type: InputDiscarded.name,
    version: InputDiscarded.version,
    entity: target.entity,
    data,
    actor: OPERATOR_ACTOR,
  };
  await store.journal([record]);
  return record;
}

/** Which journaled inputs wait for a tick, in words ("only input 2 is; input 1 ran …"). */
function waitingInputs(committed: number, lastInput: number): string {
  const ran =
    committed === 0
      ? 'none has run'
      : committed === 1
        ? 'input 1 ran in a committed tick'
        : `inputs 1 to ${committed} ran in committed ticks`;
  if (lastInput === 0) return 'the log holds no journaled input';
  if (committed >= lastInput)
    return `no input is; every journaled input (${lastInput === 1 ? '1' : `1 to ${lastInput}`}) ran in a committed tick`;
  if (committed + 1 === lastInput) return `only input ${lastInput} is; ${ran}`;
  return `inputs ${committed + 1} to ${lastInput} are; ${ran}`;
}
