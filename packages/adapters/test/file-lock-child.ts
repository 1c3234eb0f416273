/**
 * A second process for the lock and reader tests: opens a writer on argv[2] and reports on
 * stdout, as one JSON line, either the error or that it holds the lock. `hold`: keeps it until
 * killed; `write`: first commits three ticks of two events each, then holds it.
 */
import { FileStore } from '@causeway/adapters/file';
import { isCausewayError } from '@causeway/runtime';
import { LogBuilder } from '../../../test/conformance/fixtures.ts';

const [dir, mode] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: file-lock-child.ts <dir> [hold]');
const store = new FileStore({ dir });
try {
  await store.open({ format: 1, seed: 1, schema: {} });
} catch (error) {
  const code = isCausewayError(error) ? error.code : 'unknown';
  process.stdout.write(
    `${JSON.stringify({ error: { code, message: String((error as Error).message) } })}\n`,
  );
  process.exit(0);
}
if (mode === 'write') await new LogBuilder().commitTicks(store, 3, 2);
process.stdout.write(`${JSON.stringify({ holding: process.pid })}\n`);
if (mode === 'hold' || mode === 'write') setInterval(() => undefined, 1000);
else await store.close();
