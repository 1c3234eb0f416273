import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStore, type EventSystem } from '@causeway/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachInspector, type AttachedInspector } from '../src/agent/index.ts';
import { InspectorClient, type SocketConstructor } from '../src/client/index.ts';
import { makeSystem, runTicks, type Counters } from './fixtures/counter-app.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const app = join(here, 'fixtures', 'counter-app.ts');
const regressed = join(here, 'fixtures', 'regressed-app.ts');
// Inside the package, so the generated file resolves @causeway/runtime like any test; outside
// every vitest project's include patterns, so the suite never collects it.
const outDir = join(here, '..', '.exported-tests', String(process.pid));

let system: EventSystem<Counters>;
let inspector: AttachedInspector;
let client: InspectorClient;

beforeAll(async () => {
  system = makeSystem(new MemoryStore());
  await runTicks(system, 1, 40);
  inspector = await attachInspector(system, {
    print: () => undefined,
    systemModule: { specifier: app },
  });
  client = await InspectorClient.connect(inspector.wsUrl, {
    WebSocket: WebSocket as unknown as SocketConstructor,
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'vitest.config.mjs'),
    "export default { test: { include: ['*.test.ts'] } };\n",
  );
});

afterAll(async () => {
  client.close();
  await inspector.close();
  await system.close();
  rmSync(outDir, { recursive: true, force: true });
});

/** Runs one test file with vitest in a child process; returns its exit code and output. */
function runVitest(file: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [
      join(here, '..', '..', '..', 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--root',
      outDir,
      file,
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } },
  );
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('exporting an input range as a test', () => {
  it('generates a given/when/then file that passes against the app that wrote the log', async () => {
    // Arrange
    const exported = await client.call('exportTest', { fromInput: 20, toInput: 24 });
    const file = join(outDir, exported.fileName);
    writeFileSync(file, exported.source);
    // Act
    const run = runVitest(file);
    // Assert
    expect(exported.fileName).toBe('inputs-20-24-ticks-18-22.test.ts');
    expect(exported.ticks).toBe(5);
    expect(exported.source).toContain('const given: Script');
    expect(run.output).toContain('2 passed');
    expect(run.status).toBe(0);
  });

  it('generates a file that fails once the app regresses', async () => {
    // Arrange
    const exported = await client.call('exportTest', { fromInput: 20, toInput: 24, name: 'guard' });
    const file = join(outDir, 'regressed.test.ts');
    writeFileSync(file, exported.source.replace(JSON.stringify(app), JSON.stringify(regressed)));
    // Act
    const run = runVitest(file);
    // Assert
    expect(run.output).toContain('emits the logged events and reaches the logged state hashes');
    expect(run.status).not.toBe(0);
  });

  it('keeps a name with line breaks inside the comment and the title string', async () => {
    // Arrange: every JavaScript line terminator, each followed by a statement.
    const statement = "globalThis['injected'] = 1;";
    const name = ['a', '\n', '\r', '\u2028', '\u2029'].join(`${statement} `);
    // Act
    const exported = await client.call('exportTest', { fromInput: 20, toInput: 24, name });
    // Assert: no line of the source, as JavaScript splits lines, starts with the statement.
    const lines = exported.source.split(/\r\n|[\n\r\u2028\u2029]/);
    expect(lines.filter((line) => line.includes(statement)).length).toBeGreaterThan(0);
    for (const line of lines.filter((l) => l.includes(statement)))
      expect(line.startsWith('//') || line.startsWith('describe(')).toBe(true);
  });

  it('refuses a range that no committed tick consumed', async () => {
    await expect(
      client.call('exportTest', { fromInput: 1, toInput: 10_000 }),
    ).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});
