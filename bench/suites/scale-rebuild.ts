import { FileStore } from '@causeway/adapters/file';
import { world } from './scale-world.ts';

// Rebuilds the scale suite's file log in a process of its own, as an application does when it
// starts: `open()` of a read-only system, timed alone (the process's start and module loading
// are not), then one line of JSON on stdout, `{ "events", "ms", "hash" }`.
// Usage: scale-rebuild.ts <log directory>

const dir = process.argv[2];
if (dir === undefined) {
  console.error('Usage: scale-rebuild.ts <log directory>');
  process.exit(2);
}
const system = world(new FileStore({ dir, readOnly: true }));
const start = process.hrtime.bigint();
await system.open();
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const commit = system.lastCommit;
await system.close();
console.log(JSON.stringify({ events: commit?.lastSeq ?? 0, ms, hash: commit?.hash ?? null }));
