import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFileStore, FileStore } from '@causeway/adapters/file';
import { ErrorCodes, isCausewayError } from '@causeway/runtime';
import { canMount, Mounts, removeDir, tempDir } from './file-fixtures.ts';

const h = { format: 1 as const, seed: 1, schema: {} };

const mountable = canMount('file store disk-full and read-only tests');

async function openError(store: FileStore): Promise<unknown> {
  let error: unknown = null;
  await store.open(h).catch((e: unknown) => (error = e));
  return error;
}

describe('file store errors from the file system', () => {
  let dir: string;
  const mounts = new Mounts();

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    mounts.release();
    await removeDir(dir);
  });

  it('refuses a path that is a file, naming it, with CW_INVALID_ARGUMENT', async () => {
    const path = join(dir, 'not-a-folder');
    await writeFile(path, 'x');

    const error = await openError(new FileStore({ dir: path }));

    expect(isCausewayError(error, ErrorCodes.InvalidArgument), String(error)).toBe(true);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('not a folder');
  });

  it('refuses a segment that is a folder with CW_STORE_UNAVAILABLE in open and check, saying what to do', async () => {
    const writer = new FileStore({ dir, segmentBytes: 1024 });
    await writer.open(h);
    for (let t = 1; t <= 100; t++) {
      await writer.commit({ tick: t, at: t, firstSeq: 1, lastSeq: 0, lastInput: 0, hash: 'h' }, []);
    }
    await writer.close();
    expect(await readdir(dir)).toContain('00000002.seg');
    await rm(join(dir, '00000002.seg'));
    await mkdir(join(dir, '00000002.seg'));

    const error = await openError(new FileStore({ dir }));
    let checkError: unknown = null;
    await checkFileStore(dir).catch((e: unknown) => (checkError = e));

    for (const e of [error, checkError]) {
      expect(isCausewayError(e, ErrorCodes.StoreUnavailable), String(e)).toBe(true);
      expect((e as Error).message).toContain(dir);
      expect((e as Error).message).toContain('a folder has the name of one of the store');
    }
  });

  it('refuses a reader on a path that is a file, naming it, with CW_INVALID_ARGUMENT', async () => {
    const path = join(dir, 'not-a-folder');
    await writeFile(path, 'x');

    let error: unknown = null;
    await new FileStore({ dir: path, readOnly: true }).open().catch((e: unknown) => (error = e));

    expect(isCausewayError(error, ErrorCodes.InvalidArgument), String(error)).toBe(true);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('not a folder');
  });

  it('refuses a path under a file, naming it, with CW_INVALID_ARGUMENT', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const path = join(dir, 'file', 'store');

    const error = await openError(new FileStore({ dir: path }));

    expect(isCausewayError(error, ErrorCodes.InvalidArgument), String(error)).toBe(true);
    expect((error as Error).message).toContain(path);
    expect((error as isCausewayErrorLike).details.errno).toBe('ENOTDIR');
  });

  it.skipIf(!mountable)(
    'reports a full disk while creating a log as CW_STORE_UNAVAILABLE, leaving no temporary lock file',
    async () => {
      const disk = join(dir, 'disk');
      await mkdir(disk);
      mounts.mount(disk, '64k');
      await writeFile(join(disk, 'filler'), new Uint8Array(64 * 1024)).catch(() => undefined);
      const path = join(disk, 'store');

      const error = await openError(new FileStore({ dir: path }));

      expect(isCausewayError(error, ErrorCodes.StoreUnavailable), String(error)).toBe(true);
      expect((error as Error).message).toContain('disk is full');
      expect((error as isCausewayErrorLike).details.errno).toBe('ENOSPC');
      const left = await readdir(path).catch(() => []);
      expect(left.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    },
  );

  it.skipIf(!mountable)(
    'reports a writer opened on a read-only mount as CW_STORE_UNAVAILABLE and still lets a reader open',
    async () => {
      const disk = join(dir, 'disk');
      await mkdir(disk);
      mounts.mount(disk, '1m');
      const path = join(disk, 'store');
      const first = new FileStore({ dir: path });
      await first.open(h);
      await first.close();
      execFileSync('mount', ['-o', 'remount,ro', disk]);

      const error = await openError(new FileStore({ dir: path }));
      const reader = new FileStore({ dir: path, readOnly: true });
      const header = await reader.open();
      await reader.close();

      expect(isCausewayError(error, ErrorCodes.StoreUnavailable), String(error)).toBe(true);
      expect((error as Error).message).toContain('read-only');
      expect((error as Error).message).toContain(path);
      expect((error as isCausewayErrorLike).details.errno).toBe('EROFS');
      expect(header).toEqual(h);
    },
  );

  it.skipIf(!mountable)(
    'reports a store folder that cannot be made under a read-only parent as CW_STORE_UNAVAILABLE',
    async () => {
      const disk = join(dir, 'disk');
      await mkdir(disk);
      mounts.mount(disk, '64k');
      execFileSync('mount', ['-o', 'remount,ro', disk]);
      const path = join(disk, 'missing', 'store');

      const error = await openError(new FileStore({ dir: path }));

      expect(isCausewayError(error, ErrorCodes.StoreUnavailable), String(error)).toBe(true);
      expect((error as Error).message).toContain(path);
      expect((error as isCausewayErrorLike).details.errno).toBe('EROFS');
    },
  );
});

interface isCausewayErrorLike {
  readonly details: Record<string, unknown>;
}
