/**
 * A contender for the lock race test: waits for `go` lines on stdin. At each, it tries to open
 * a writer on argv[2] and reports one JSON line: `{"locked":code}` when refused, or
 * `{"holding":pid,"tick":t}` (the log's last tick when it opened) when it won, after which it
 * commits ticks forever, reporting `{"acked":t}` once each commit has resolved.
 */
import { createInterface } from 'node:readline';
import { FileStore } from '@causeway/adapters/file';
import { isCausewayError } from '@causeway/runtime';
import { LogBuilder } from '../../../test/conformance/fixtures.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: file-lock-race-child.ts <dir>');
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

async function contend(): Promise<void> {
  const store = new FileStore({ dir: dir as string });
  try {
    await store.open({ format: 1, seed: 1, schema: {} });
  } catch (error) {
    say({ locked: isCausewayError(error) ? error.code : String(error) });
    return;
  }
  const last = await store.lastCommit();
  say({ holding: process.pid, tick: last?.tick ?? 0 });
  const log = new LogBuilder();
  log.tick = last?.tick ?? 0;
  log.lastSeq = last?.lastSeq ?? 0;
  log.lastInput = last?.lastInput ?? 0;
  log.at = last?.at ?? log.at;
  for (;;) {
    const { commit } = await log.commitTick(store, [{}]);
    say({ acked: commit.tick });
  }
}

say({ ready: process.pid });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'go') await contend();
}
