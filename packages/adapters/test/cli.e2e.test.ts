import { execFile } from 'node:child_process';
import { chmod, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '@causeway/adapters/file';
import { copyDir, flipByte, readContents, removeDir, tempDir, writeLog } from './file-fixtures.ts';
import type { WrittenLog } from './file-fixtures.ts';
import { pgUrl, requirePostgres } from '../../../test/services.ts';
import { uniqueSchema } from './postgres-harness.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `causeway …` in a child process, as `npm run causeway -- …` does. */
function causeway(...args: string[]): Promise<Run> {
  return causewayAs(null, ...args);
}

/**
 * Runs `causeway …` as another user through `setpriv` (which also drops root's power to read
 * any file), or as this process's user when `as` is null.
 */
function causewayAs(as: { uid: number; gid: number } | null, ...args: string[]): Promise<Run> {
  const node = [process.execPath, '--conditions=@causeway/source', '--import', 'tsx', main];
  const argv =
    as === null
      ? node
      : ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', ...node];
  return new Promise((resolve) => {
    execFile(
      argv[0] as string,
      [...argv.slice(1), ...args],
      { cwd: root },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('causeway store', () => {
  let dir: string;
  let log: WrittenLog;
  const dirs: string[] = [];

  beforeEach(async () => {
    dir = await tempDir();
    dirs.push(dir);
    log = await writeLog(dir, 10);
  });

  afterEach(async () => {
    for (const d of dirs.splice(0)) await removeDir(d);
  });

  it('check reports the counts of a clean store and exits 0', async () => {
    const run = await causeway('store', 'check', dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('ticks:     10');
    expect(run.stdout).toContain(`events:    ${log.log.events.length}`);
    expect(run.stdout).toContain('Clean.');
  });

  it('check names the segment and offset of damage and exits 1', async () => {
    const at = (log.tickEnds[3] as { offset: number }).offset + 12;
    await flipByte(join(dir, '00000001.seg'), at);
    const run = await causeway('store', 'check', dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/DAMAGED: 00000001\.seg at byte \d+/);
  });

  it('check reports a torn tail and exits 1', async () => {
    const handle = await open(join(dir, '00000001.seg'), 'a');
    await handle.write(new Uint8Array([1, 2, 3]));
    await handle.close();
    const run = await causeway('store', 'check', dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Torn tail in 00000001.seg');
  });

  it('repair without --yes shows the cut, changes nothing and exits 1', async () => {
    await flipByte(join(dir, '00000001.seg'), (log.tickEnds[3] as { offset: number }).offset + 12);
    const before = (await stat(join(dir, '00000001.seg'))).size;
    const run = await causeway('store', 'repair', dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Nothing changed. Run again with --yes');
    expect((await stat(join(dir, '00000001.seg'))).size).toBe(before);
  });

  it('repair --yes cuts back to the last good commit, after which check is clean', async () => {
    const copy = await copyDir(dir);
    dirs.push(copy);
    await flipByte(join(copy, '00000001.seg'), (log.tickEnds[3] as { offset: number }).offset + 12);
    const run = await causeway('store', 'repair', copy, '--yes');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Repaired: cut 00000001.seg');
    expect((await causeway('store', 'check', copy)).code).toBe(0);
    const store = new FileStore({ dir: copy, readOnly: true });
    await store.open();
    const contents = await readContents(store);
    expect(contents.commits).toEqual(log.log.ticks.slice(0, 4).map((t) => t.commit));
    await store.close();
  });

  it('check and repair refuse a folder that holds no file store with exit 2, writing nothing', async () => {
    const other = await tempDir();
    dirs.push(other);
    for (const command of ['check', 'repair']) {
      const run = await causeway('store', command, other);
      expect(run.code, run.stdout).toBe(2);
      expect(run.stderr).toContain('holds no file store');
    }
    expect(await readdir(other)).toEqual([]);
  });

  it('check and repair call a path that is a file a file, with exit 2', async () => {
    const file = join(dir, 'log.manifest');

    for (const command of ['check', 'repair']) {
      const run = await causeway('store', command, file);
      expect(run.code, run.stdout).toBe(2);
      expect(run.stderr).toContain(`${file} is a file, not a folder`);
    }
  });

  it('check of a segment it may not read asks for read access, not write access', async () => {
    // Root reads any file: run the check as nobody, who may enter the folder but not read the log.
    const nobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : null;
    await chmod(dir, 0o755);
    await chmod(join(dir, '00000001.seg'), 0o000);

    const run = await causewayAs(nobody, 'store', 'check', dir);
    await chmod(join(dir, '00000001.seg'), 0o644);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('(EACCES): permission was denied');
    expect(run.stderr).toContain("Give this process read access to the store's folder and files");
    expect(run.stderr).not.toContain('readOnly');
  });

  it('prints usage and exits 2 for an unknown command', async () => {
    const run = await causeway('store', 'frobnicate', dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage:');
  });

  it('prints the usage on stdout and exits 0 for --help', async () => {
    const run = await causeway('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage:');
    expect(run.stderr).toBe('');
  });

  it('refuses an unknown option of repair (a typo of --yes) with exit 2, changing nothing', async () => {
    await flipByte(join(dir, '00000001.seg'), (log.tickEnds[3] as { offset: number }).offset + 12);
    const before = (await stat(join(dir, '00000001.seg'))).size;

    const run = await causeway('store', 'repair', dir, '--yse');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown option for repair: --yse');
    expect(run.stdout).toBe('');
    expect((await stat(join(dir, '00000001.seg'))).size).toBe(before);
  });

  it('takes --yes before the folder too', async () => {
    await flipByte(join(dir, '00000001.seg'), (log.tickEnds[3] as { offset: number }).offset + 12);
    const run = await causeway('store', 'repair', '--yes', dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Repaired: cut 00000001.seg');
  });

  it.each([
    ['check without a folder', ['store', 'check']],
    ['check with two folders', ['store', 'check', 'a', 'b']],
    ['check with --yes', ['store', 'check', 'DIR', '--yes']],
    ['reject-input without a URL', ['store', 'reject-input']],
    ['reject-input of input 0', ['store', 'reject-input', 'memory:', '0', '--reason', 'x']],
    ['reject-input of input 0x10', ['store', 'reject-input', 'memory:', '0x10', '--reason', 'x']],
    ['reject-input of input 1.5', ['store', 'reject-input', 'memory:', '1.5', '--reason', 'x']],
    ['reject-input without --reason', ['store', 'reject-input', 'memory:', '1']],
    [
      'reject-input with an empty reason',
      ['store', 'reject-input', 'memory:', '1', '--reason', ' '],
    ],
  ])('refuses %s with the usage and exit 2', async (_, args) => {
    const run = await causeway(...args.map((a) => (a === 'DIR' ? dir : a)));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage:');
    expect(run.stdout).toBe('');
  });
});

const postgres = await requirePostgres();

describe.skipIf(!postgres.available)('causeway store reject-input on Postgres', () => {
  it('never prints the password of the store URL', async () => {
    const url = new URL(pgUrl());
    url.password = 's3cret-pw';
    url.searchParams.set('schema', uniqueSchema());

    const run = await causeway('store', 'reject-input', url.href, '1', '--reason', 'poison');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('holds no log');
    expect(`${run.stdout}${run.stderr}`).not.toContain('s3cret-pw');
  });
});
