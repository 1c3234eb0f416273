import { decodeValue, encodeValue } from '@causeway/runtime/store-kit';
import {
  MemoryStore,
  type EventStore,
  type InputRecord,
  type StoredEnvelope,
  type TickCommit,
} from '@causeway/runtime';

/** A log's first ticks, as one peer sends them to the relay to explain a desync. */
export interface LogExtract {
  readonly seed: number;
  readonly commits: readonly TickCommit[];
  readonly events: readonly StoredEnvelope[];
  readonly inputs: readonly InputRecord[];
}

/** Reads the commits, events and inputs of `store` up to and including `tick`. */
export async function extractLog(
  store: EventStore,
  seed: number,
  tick: number,
): Promise<LogExtract> {
  const commits: TickCommit[] = [];
  while (commits.length < tick) {
    const page = await store.readCommits(commits.length, Math.min(1000, tick - commits.length));
    if (page.length === 0) break;
    commits.push(...page);
  }
  const last = commits.at(-1);
  const events: StoredEnvelope[] = [];
  let from: number | null = 1;
  while (last !== undefined && from !== null && from <= last.lastSeq) {
    const page = await store.readEvents({ fromSeq: from, toSeq: last.lastSeq, limit: 10_000 });
    events.push(...page.items);
    from = page.next;
  }
  const inputs: InputRecord[] = [];
  while (last !== undefined && inputs.length < last.lastInput) {
    const page = await store.readInputs(
      inputs.length,
      Math.min(1000, last.lastInput - inputs.length),
    );
    if (page.length === 0) break;
    inputs.push(...page);
  }
  return { seed, commits, events, inputs };
}

/** Encodes an extract for a binary frame (the runtime's msgpack codec: faithful to the log). */
export function encodeExtract(request: number, extract: LogExtract): Uint8Array {
  return encodeValue({ request, extract });
}

/** Decodes a binary frame made by {@link encodeExtract}. */
export function decodeExtract(bytes: Uint8Array): { request: number; extract: LogExtract } {
  return decodeValue(bytes) as { request: number; extract: LogExtract };
}

/** Writes an extract into a fresh memory store, for the replay tools to read. */
export async function storeOfExtract(extract: LogExtract): Promise<EventStore> {
  const store = new MemoryStore();
  await store.open({ format: 1, seed: extract.seed, schema: {} });
  if (extract.inputs.length > 0) await store.journal(extract.inputs);
  let index = 0;
  for (const commit of extract.commits) {
    const count = commit.lastSeq - commit.firstSeq + 1;
    await store.commit(commit, extract.events.slice(index, index + count));
    index += count;
  }
  return store;
}
