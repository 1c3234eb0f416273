// After a store write whose call failed: does the store hold the write anyway? A write can land
// and its acknowledgement be lost (a connection cut after the database committed). Only a
// byte-for-byte match counts, so a write another system made (two systems on one memory store,
// a writer that took the lock meanwhile) is never taken for this one's; a store that cannot
// answer holds nothing.
import type { StoredEnvelope } from '../events/envelope.ts';
import { encodeEnvelope, encodeValue, inputToTuple } from '../store/codec.ts';
import type { EventStore, InputRecord, TickCommit } from '../store/port.ts';

/** True when the store's journal holds exactly `records` at their input numbers. */
export async function journalLanded(
  store: EventStore,
  records: readonly InputRecord[],
): Promise<boolean> {
  const first = records[0];
  if (first === undefined) return false;
  try {
    const stored = await store.readInputs(first.ino - 1, records.length);
    if (stored.length !== records.length) return false;
    for (let k = 0; k < records.length; k++) {
      const ours = encodeValue(inputToTuple(records[k] as InputRecord));
      const theirs = encodeValue(inputToTuple(stored[k] as InputRecord));
      if (!sameBytes(ours, theirs)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** True when the store's last commit is `commit`, with exactly `events`. */
export async function commitLanded(
  store: EventStore,
  commit: TickCommit,
  events: readonly StoredEnvelope[],
): Promise<boolean> {
  try {
    const last = await store.lastCommit();
    if (
      last === null ||
      last.tick !== commit.tick ||
      last.at !== commit.at ||
      last.firstSeq !== commit.firstSeq ||
      last.lastSeq !== commit.lastSeq ||
      last.lastInput !== commit.lastInput ||
      last.hash !== commit.hash
    )
      return false;
    let k = 0;
    for (let from: number | null = commit.firstSeq; from !== null && k < events.length;) {
      const page = await store.readEvents({ fromSeq: from, toSeq: commit.lastSeq, limit: 10_000 });
      for (const stored of page.items) {
        const ours = events[k++];
        if (ours === undefined || !sameBytes(encodeEnvelope(ours), encodeEnvelope(stored)))
          return false;
      }
      from = page.next;
    }
    return k === events.length;
  } catch {
    return false;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
