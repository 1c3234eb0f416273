import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@causeway/adapters';
import { MemoryStore, type EventSystem } from '@causeway/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachInspector, type AttachedInspector } from '../src/agent/index.ts';
import { InspectorClient, type SocketConstructor } from '../src/client/index.ts';
import { counter, makeSystem, runTicks, type Counters } from './fixtures/counter-app.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..', '..');
const cli = join(here, '..', 'src', 'cli', 'main.ts');
const app = join(here, 'fixtures', 'counter-app.ts');
const children: ChildProcess[] = [];
let dir: string;

/** Starts the CLI and resolves with the URL it prints. */
function startCli(args: readonly string[]): Promise<{ url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@causeway/source', '--import', 'tsx', cli, ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /open (http:\/\/\S+)/.exec(output)?.[1];
      if (url !== undefined) resolve({ url, output: () => output });
    };
    child.stdout?.on('data', seen);
    child.stderr?.on('data', seen);
    child.once('exit', (code) => reject(new Error(`the CLI exited with ${code}:\n${output}`)));
  });
}

/** Runs the CLI to its end: its exit code and what it printed on each stream. */
function runCli(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@causeway/source', '--import', 'tsx', cli, ...args],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function wsOf(httpUrl: string): string {
  const url = new URL(httpUrl);
  return `ws://${url.host}/ws${url.search}`;
}

function connect(url: string): Promise<InspectorClient> {
  return InspectorClient.connect(url, { WebSocket: WebSocket as unknown as SocketConstructor });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'causeway-inspector-cli-'));
  const store = await openStore(`file:${dir}`);
  const system = makeSystem(store);
  await runTicks(system, 1, 60);
  await system.close();
});

afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('causeway-inspector open', () => {
  it('serves a file store with no app: states from the app module, and a page at /', async () => {
    // Arrange
    const { url, output } = await startCli(['open', `file:${dir}`, '--system', app]);
    // Act
    const client = await connect(wsOf(url));
    const summary = await client.call('summary', {});
    const value = await client.call('stateAt', {
      seq: summary.events,
      path: ['counters', counter(1), 'value'],
    });
    const page = await fetch(url);
    client.close();
    // Assert
    expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(summary).toMatchObject({ mode: 'offline', ticks: 60, states: true, verify: true });
    expect(value.exists).toBe(true);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Causeway inspector|<script/);
    expect(output()).not.toContain('no --system given');
  });

  it('compares with the stores given by --compare and refuses any other with forbidden', async () => {
    // Arrange: the log compared with itself (a second read-only open of the same folder).
    const { url } = await startCli(['open', `file:${dir}`, '--compare', `file:${dir}`]);
    const client = await connect(wsOf(url));
    // Act
    const same = await client.call('compare', { other: `file:${dir}` });
    const other = client.call('compare', { other: `file:${tmpdir()}` });
    // Assert
    expect(same).toMatchObject({ ok: true, ticks: 60 });
    await expect(other).rejects.toMatchObject({ code: 'forbidden' });
    client.close();
  });

  it('says when the store it opens holds no log yet, as for a mistyped path', async () => {
    // Act
    const { output } = await startCli(['open', `file:${join(dir, 'no-such-folder')}`]);
    for (let waited = 0; !output().includes('no --system given') && waited < 5000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    // Assert
    expect(output()).toContain('holds no committed tick yet: check the URL');
  });

  it('says nothing of an empty log when the store holds one', async () => {
    const { output } = await startCli(['open', `file:${dir}`]);
    for (let waited = 0; !output().includes('no --system given') && waited < 5000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(output()).not.toContain('holds no committed tick');
  });

  it('says what it cannot do without the app module', async () => {
    const { url, output } = await startCli(['open', `file:${dir}`]);
    const client = await connect(wsOf(url));
    await expect(client.call('stateAt', { seq: 1 })).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect((await client.call('events', { limit: 5 })).events).toHaveLength(5);
    client.close();
    expect(output()).toContain('no --system given');
  });
});

describe('causeway-inspector arguments', () => {
  it('prints the usage and exits 0 for --help, before or after the command', async () => {
    const runs = await Promise.all([
      runCli(['--help']),
      runCli(['open', '--help']),
      runCli(['-h']),
    ]);

    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('causeway-inspector open <store-url>');
    }
  });

  it('refuses an unknown option, a port out of range, an option of open given to attach and a repeated --port with exit 2, naming each', async () => {
    const runs = await Promise.all([
      runCli(['open', `file:${dir}`, '--prot', '5']),
      runCli(['open', `file:${dir}`, '--port', '70000']),
      runCli(['attach', 'ws://127.0.0.1:1/ws?token=x', '--system', app]),
      runCli(['open']),
      runCli(['open', `file:${dir}`, '--port', '1', '--port', '2']),
    ]);

    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(runs[4]?.stderr).toContain('--port is given twice ("1" and "2"); give it once.');
    expect(runs[0]?.stderr).toContain('Unknown option "--prot".');
    expect(runs[1]?.stderr).toContain(
      '--port must be a port number from 0 to 65535 (0: a free one), got "70000".',
    );
    expect(runs[2]?.stderr).toContain('--system is an option of open, not of attach.');
    expect(runs[3]?.stderr).toContain('open needs the store URL');
    for (const run of runs) expect(run.stderr).toContain('Usage:');
  });
});

describe('causeway-inspector attach', () => {
  let system: EventSystem<Counters>;
  let agent: AttachedInspector;

  beforeAll(async () => {
    system = makeSystem(new MemoryStore());
    await runTicks(system, 1, 10);
    agent = await attachInspector(system, { print: () => undefined });
  });

  afterAll(async () => {
    await agent.close();
    await system.close();
  });

  it('relays the UI on its own port to a running agent', async () => {
    // Arrange
    const { url } = await startCli(['attach', agent.wsUrl]);
    const client = await connect(wsOf(url));
    // Act
    const before = await client.call('summary', {});
    await runTicks(system, 11, 12);
    const after = await client.call('summary', {});
    client.close();
    // Assert
    expect(new URL(url).port).not.toBe(String(agent.port));
    expect(before).toMatchObject({ mode: 'live', ticks: 10 });
    expect(after.ticks).toBe(12);
  });

  it('refuses a browser page from a foreign origin at the relay', async () => {
    const { url } = await startCli(['attach', agent.wsUrl]);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(wsOf(url), { headers: { Origin: 'https://evil.example' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', reject);
    });
    expect(status).toBe(403);
  });
});
