/**
 * The operator's way out of a poison input on a durable store: `causeway store reject-input`
 * journals the rejection in a stopped app's file store, and the app's next open runs it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineEvent, EventSystem, input, type EventStore } from '@causeway/runtime';
import { FileStore } from '@causeway/adapters/file';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const main = fileURLToPath(new URL('../packages/adapters/src/cli/main.ts', import.meta.url));

const Opened = defineEvent<{ name: string }, 'Opened'>('Opened', { entity: 'new' });
const Pinged = defineEvent<{ again: boolean }, 'Pinged'>('Pinged', { entity: 'existing' });
const entity = '019b7640-0000-7000-8000-000000000001';
const T = Date.UTC(2026, 10, 1);

function makeSystem(store: EventStore): EventSystem {
  const system = new EventSystem({ seed: 3, store, events: [Opened, Pinged], cascadeLimit: 20 });
  system.subscribe(Pinged, function pingAgain(e, ctx) {
    if (e.data.again) ctx.emit(Pinged, e.entity, { again: true });
  });
  return system;
}

function causeway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', main, ...args],
      { cwd: root },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cw-reject-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('causeway store reject-input', () => {
  it('journals the rejection of a poison input, which the app runs on its next open', async () => {
    const app = makeSystem(new FileStore({ dir }));
    await app.tick([input(Opened, entity, { name: 'a' }, 'ada')], { at: T });
    await expect(
      app.tick([input(Pinged, entity, { again: true }, 'ada')], { at: T }),
    ).rejects.toMatchObject({ code: 'CW_CASCADE_LIMIT' });
    await app.close();

    const run = await causeway('store', 'reject-input', `file:${dir}`, '2', '--reason', 'loops');
    const restarted = makeSystem(new FileStore({ dir }));
    const result = await restarted.tick([], { at: T });
    await restarted.close();

    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toContain('input 2 is rejected');
    expect(result.events.map((e) => [e.type, e.actor])).toEqual([
      ['causeway.InputRejected', 'ada'],
      ['causeway.InputDiscarded', 'operator'],
    ]);
  });

  it('refuses an input that already ran, changing nothing', async () => {
    const app = makeSystem(new FileStore({ dir }));
    await app.tick([input(Opened, entity, { name: 'a' }, 'ada')], { at: T });
    await app.close();

    const run = await causeway('store', 'reject-input', `file:${dir}`, '1', '--reason', 'late');
    const reader = new FileStore({ dir, readOnly: true });
    await reader.open();
    const lastInput = await reader.lastInput();
    await reader.close();

    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('not waiting for a tick');
    expect(lastInput).toBe(1);
  });
});
