import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore } from '@causeway/adapters/file';
import {
  defineEvent,
  EventSystem,
  firstDivergence,
  input,
  newEntityId,
  reexecute,
  type EventStore,
} from '@causeway/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { makeWorld } from '../src/sim/world.ts';
import { startRelay } from './relay-fixture.ts';

const cli = fileURLToPath(new URL('../src/node/cli.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'causeway-game-match-'));
const SEED = 777;
const TICKS = 200;

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs one bot in its own process, its log in `dir`; resolves with its exit code and output. */
function botProcess(
  url: string,
  name: string,
  dir: string,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@causeway/source',
        '--import',
        'tsx',
        cli,
        'bot',
        '--url',
        url,
        '--name',
        name,
        '--dir',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Runs the game's CLI with `args`; resolves with its exit code and output. */
function gameCli(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@causeway/source', '--import', 'tsx', cli, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

async function readerOf(dir: string): Promise<FileStore> {
  const store = new FileStore({ dir, readOnly: true });
  await store.open();
  return store;
}

describe('the serve command', () => {
  it('refuses a port out of range with exit 1 naming the value and the range, before opening the world', async () => {
    const dir = join(root, 'world');

    const runs = await Promise.all([
      gameCli('serve', '--dir', dir, '--port', '70000'),
      gameCli('serve', '--dir', dir, '--port', '80.5'),
    ]);

    expect(runs.map((r) => r.code)).toEqual([1, 1]);
    expect(runs[0]?.out).toContain(
      '--port takes a port number from 0 to 65535 (0: a free one), got "70000".',
    );
    expect(runs[1]?.out).toContain('--port takes a whole number, got "80.5".');
    expect(existsSync(dir)).toBe(false);
  }, 30_000);

  it('refuses more bots than it has names for, and an option given twice, with exit 1 and no world opened', async () => {
    const dir = join(root, 'world-options');

    const runs = await Promise.all([
      gameCli('serve', '--dir', dir, '--bots', '8'),
      gameCli('match', join(root, 'match-bots'), '--bots', '9', '--ticks', '5'),
      gameCli('serve', '--dir', dir, '--port', '0', '--port', '8080'),
    ]);

    expect(runs.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(runs[0]?.out).toContain('--bots takes a whole number from 0 to 7');
    expect(runs[0]?.out).toContain('got "8"');
    expect(runs[1]?.out).toContain('got "9"');
    expect(runs[2]?.out).toContain('--port is given more than once; give it once.');
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(root, 'match-bots'))).toBe(false);
  }, 30_000);
});

describe('the bot command', () => {
  it('reports a relay it cannot reach with exit 1 and no stack trace', async () => {
    const run = await gameCli('bot', '--url', 'ws://127.0.0.1:1/ws', '--name', 'viper');

    expect(run.code, run.out).toBe(1);
    expect(run.out).toContain('viper: The connection to the relay at ws://127.0.0.1:1/ws failed');
    expect(run.out).not.toMatch(/^\s+at /m);
  }, 30_000);
});

describe('a match of bots across processes', () => {
  it('ends with identical logs on every peer', async () => {
    const running = await startRelay({ seed: SEED, tickMs: 20, lastTick: TICKS, startWith: 3 });
    const names = ['viper', 'cobra', 'mamba'];
    const dirs = names.map((n) => join(root, n));

    const exits = await Promise.all(
      names.map((n, i) => botProcess(running.url, n, dirs[i] as string)),
    );
    await running.relay.finished();
    await running.close();

    expect(
      exits.map((e) => e.code),
      exits.map((e) => e.out).join('\n'),
    ).toEqual([0, 0, 0]);
    const stores = await Promise.all(dirs.map(readerOf));
    const makeSystem = (store: EventStore) => makeWorld(store, { seed: SEED });
    const [first, ...others] = stores as [FileStore, ...FileStore[]];
    expect((await first.lastCommit())?.tick).toBe(TICKS);
    for (const other of others) {
      expect(await firstDivergence(first, other, { makeSystem })).toMatchObject({
        ok: true,
        ticks: TICKS,
      });
    }
    expect(await reexecute(first, makeSystem)).toMatchObject({ ok: true, ticks: TICKS });
    expect(running.relay.desyncs).toEqual([]);
    await Promise.all(stores.map((s) => s.close()));
  });
});

describe('the match command', () => {
  it('refuses a folder that holds something else than a game log, and deletes nothing', async () => {
    const dir = join(root, 'thesis');
    mkdirSync(dir);
    writeFileSync(join(dir, 'chapter-1.txt'), 'years of work');

    const run = await gameCli('match', dir, '--bots', '1', '--ticks', '5');

    expect(run.code, run.out).toBe(1);
    expect(run.out).toContain('is not empty and holds no game log');
    expect(readdirSync(dir)).toEqual(['chapter-1.txt']);
  });

  it('refuses --ticks 0, a match that would never end, with exit 1', async () => {
    const run = await gameCli('match', join(root, 'never'), '--ticks', '0');

    expect(run.code, run.out).toBe(1);
    expect(run.out).toContain('--ticks takes a whole number of at least 1, got "0".');
  }, 30_000);

  it('refuses a folder that is a file with exit 1, and leaves the file as it was', async () => {
    const file = join(root, 'notes.txt');
    writeFileSync(file, 'my notes');

    const run = await gameCli('match', file, '--bots', '1', '--ticks', '5');

    expect(run.code, run.out).toBe(1);
    expect(run.out).toContain(`${file} is a file, not a folder`);
    expect(run.out).not.toContain('ENOTDIR');
    expect(readFileSync(file, 'utf8')).toBe('my notes');
  }, 30_000);

  it('verify refuses the log of another app as not a game log, with exit 1, instead of reporting a divergence', async () => {
    const dir = join(root, 'other-app');
    const Noted = defineEvent<{ text: string }>('Noted', { version: 1, entity: 'new' });
    const other = new EventSystem({ store: new FileStore({ dir }), seed: 1, events: [Noted] });
    await other.tick([input(Noted, newEntityId(), { text: 'hi' }, 'ada')], { at: Date.now() });
    await other.close();

    const run = await gameCli('verify', dir);

    expect(run.code, run.out).toBe(1);
    expect(run.out).toContain(`${dir} holds a Causeway log, but not of this game`);
    expect(run.out).not.toContain('Divergence');
  }, 30_000);

  it('writes a new match over the log of an earlier one', async () => {
    const dir = join(root, 'again');
    await gameCli('match', dir, '--bots', '1', '--ticks', '5', '--seed', '1');

    const run = await gameCli('match', dir, '--bots', '1', '--ticks', '7', '--seed', '2');
    const store = await readerOf(dir);

    expect(run.code, run.out).toBe(0);
    expect((await store.lastCommit())?.tick).toBe(7);
    await store.close();
  }, 60_000);
});
