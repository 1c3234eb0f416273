/**
 * The crash proof's child process: runs the workload on the store at `argv[2]`, resuming from
 * wherever the store is, and prints one line per acknowledgement for the parent, which kills it
 * at random moments:
 *
 * ```
 * resume <last committed tick> <last journaled input>
 * input <ino>        after the accept() or tick() that journaled it resolved
 * tick <n>           after tick n's tick() resolved
 * done
 * ```
 *
 * Usage: `node --conditions=@causeway/source --import tsx test/crash/worker.ts <store url>`
 */
import { writeSync } from 'node:fs';
import { openStore } from '@causeway/adapters';
import { makeBank, runWorkload } from './workload.ts';

// Synchronous writes: a line is out of the process before the next store call starts, so the
// parent never holds an acknowledgement the worker had not yet reached.
function say(line: string): void {
  writeSync(1, `${line}\n`);
}

const url = process.argv[2];
if (url === undefined) {
  process.stderr.write(
    'Usage: node --conditions=@causeway/source --import tsx test/crash/worker.ts <store url>\n',
  );
  process.exit(2);
}

const system = makeBank(await openStore(url));
await runWorkload(system, {
  resumed: (tick, lastInput) => say(`resume ${tick} ${lastInput}`),
  input: (ino) => say(`input ${ino}`),
  tick: (tick) => say(`tick ${tick}`),
});
await system.close();
say('done');
