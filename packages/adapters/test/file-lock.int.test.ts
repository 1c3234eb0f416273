import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TickCommit } from '@causeway/runtime';
import { checkFileStore, FileStore } from '@causeway/adapters/file';
import { ErrorCodes, EventSystem, isCausewayError } from '@causeway/runtime';
import { removeDir, tempDir } from './file-fixtures.ts';

const child = fileURLToPath(new URL('./file-lock-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const h = { format: 1 as const, seed: 1, schema: {} };

interface LockFile {
  readonly pid: number;
  readonly hostname: string;
}

/** Starts the child writer; resolves with its first line of output, parsed. */
function startChild(
  dir: string,
  mode: 'try' | 'hold' | 'write',
): { proc: ChildProcess; line: Promise<Record<string, unknown>> } {
  const proc = spawn(
    process.execPath,
    ['--conditions=@causeway/source', '--import', 'tsx', child, dir, mode],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const line = new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(out.slice(0, newline)) as Record<string, unknown>);
    });
    proc.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.on('exit', (code) => reject(new Error(`child exited (${code}) before reporting: ${err}`)));
  });
  return { proc, line };
}

function exited(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.on('exit', () => resolve());
  });
}

/** A pid that belonged to a process that has ended. */
async function deadPid(): Promise<number> {
  const proc = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await exited(proc);
  return proc.pid as number;
}

describe('file store writer lock', () => {
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    for (const proc of children.splice(0)) {
      proc.kill('SIGKILL');
      await exited(proc);
    }
    await removeDir(dir);
  });

  it('refuses a writer in another process, naming this process as the holder', async () => {
    const store = new FileStore({ dir });
    await store.open(h);
    try {
      const { proc, line } = startChild(dir, 'try');
      children.push(proc);
      const report = (await line) as { error?: { code: string; message: string } };
      expect(report.error?.code).toBe(ErrorCodes.StoreLocked);
      expect(report.error?.message).toContain(`process ${process.pid} on host ${hostname()}`);
    } finally {
      await store.close();
    }
  });

  it('refuses a writer here while another process holds the lock, naming that process', async () => {
    const { proc, line } = startChild(dir, 'hold');
    children.push(proc);
    const report = (await line) as { holding: number };
    const store = new FileStore({ dir });
    let error: unknown = null;
    await store.open(h).catch((e: unknown) => (error = e));
    expect(isCausewayError(error, ErrorCodes.StoreLocked), String(error)).toBe(true);
    expect((error as Error).message).toContain(`process ${report.holding} on host ${hostname()}`);
  });

  it('takes over the lock of a writer process that was killed', async () => {
    const { proc, line } = startChild(dir, 'hold');
    children.push(proc);
    await line;
    proc.kill('SIGKILL');
    await exited(proc);
    const store = new FileStore({ dir });
    await store.open(h);
    const lock = JSON.parse(await readFile(join(dir, 'writer.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    await store.close();
  });

  it('takes over a stale lock left by a dead pid on this host', async () => {
    const pid = await deadPid();
    await writeFile(
      join(dir, 'writer.lock'),
      JSON.stringify({ pid, hostname: hostname(), since: '2020-01-01T00:00:00.000Z' }),
    );
    const store = new FileStore({ dir });
    await store.open(h);
    expect(
      (JSON.parse(await readFile(join(dir, 'writer.lock'), 'utf8')) as { pid: number }).pid,
    ).toBe(process.pid);
    await store.close();
  });

  it('opens a folder whose lock file names another host when no process holds the lock', async () => {
    await writeFile(
      join(dir, 'writer.lock'),
      JSON.stringify({ pid: 1, hostname: 'elsewhere.example', since: '2020-01-01T00:00:00.000Z' }),
    );
    const store = new FileStore({ dir });

    await store.open(h);
    const lock = JSON.parse(await readFile(join(dir, 'writer.lock'), 'utf8')) as LockFile;
    await store.close();

    expect(lock).toMatchObject({ pid: process.pid, hostname: hostname() });
  });

  it('clears the holder from the lock file on close, leaving the file in place', async () => {
    const store = new FileStore({ dir });
    await store.open(h);

    await store.close();

    expect(await readFile(join(dir, 'writer.lock'), 'utf8')).toBe('');
  });

  it('releases the lock when close() is called while open() is still running', async () => {
    const first = new FileStore({ dir });
    const opening = first.open(h).catch(() => undefined);
    await Promise.resolve();
    await Promise.resolve();

    await first.close();
    await opening;

    const next = new FileStore({ dir });
    await expect(next.open(h)).resolves.toEqual(h);
    await next.close();
  });

  it('releases the lock when a system on the folder is closed while its open() is still running', async () => {
    const first = new EventSystem({ seed: 1, store: new FileStore({ dir }) });
    const opening = first.open().catch(() => undefined);

    await first.close();
    await opening;

    const next = new EventSystem({ seed: 1, store: new FileStore({ dir }) });
    await expect(next.open()).resolves.toBeUndefined();
    await next.close();
  });

  it('removes its lock on close so that a writer in another process can open', async () => {
    const store = new FileStore({ dir });
    await store.open(h);
    await store.close();
    const { proc, line } = startChild(dir, 'try');
    children.push(proc);
    expect(await line).toEqual({ holding: proc.pid });
  });

  it('lets readers open without the lock while a writer holds it', async () => {
    const { proc, line } = startChild(dir, 'hold');
    children.push(proc);
    await line;
    const reader = new FileStore({ dir, readOnly: true });
    expect(await reader.open()).toEqual(h);
    await reader.close();
  });

  it('lets a reader here follow a writer in another process, watch included', async () => {
    const reader = new FileStore({ dir, readOnly: true, pollMs: 10 });
    expect(await reader.open()).toBeNull();
    const seen: TickCommit[] = [];
    const unwatch = reader.watch((c) => seen.push(c));
    try {
      const { proc, line } = startChild(dir, 'write');
      children.push(proc);
      await line;
      const deadline = Date.now() + 10_000;
      while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen.map((c) => [c.tick, c.firstSeq, c.lastSeq])).toEqual([
        [1, 1, 2],
        [2, 3, 4],
        [3, 5, 6],
      ]);
      const page = await reader.readEvents();
      expect(page.items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      unwatch();
      await reader.close();
    }
  });

  it('opens after a writer killed with space reserved ahead of it: every commit, nothing to recover, no zeros kept', async () => {
    const { proc, line } = startChild(dir, 'write');
    children.push(proc);
    await line;
    const segment = join(dir, '00000001.seg');
    const running = await checkFileStore(dir);
    // The writer's file runs past its records; `check` calls the zeros space, not damage.
    expect(running.reservedBytes).toBeGreaterThan(0);
    expect(running.clean).toBe(true);
    expect(running.events).toBe(6);
    expect((await stat(segment)).size).toBe(running.bytes);
    proc.kill('SIGKILL');
    await exited(proc);

    const store = new FileStore({ dir });
    await store.open(h);
    expect(store.recovery).toBeNull();
    expect((await store.readEvents()).items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await store.readCommits(0, 10)).map((c) => c.tick)).toEqual([1, 2, 3]);
    await store.close();
    const after = await checkFileStore(dir);
    expect(after).toMatchObject({ clean: true, reservedBytes: 0, events: 6, ticks: 3 });
    expect((await stat(segment)).size).toBe(running.bytes - running.reservedBytes);
  });
});
