import { readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFileStore, FileStore, repairFileStore } from '@causeway/adapters/file';
import { ErrorCodes, isCausewayError } from '@causeway/runtime';
import { removeDir, segmentFiles, tempDir, writeLog } from './file-fixtures.ts';
import type { WrittenLog } from './file-fixtures.ts';

async function openError(store: FileStore, log?: WrittenLog): Promise<unknown> {
  let error: unknown = null;
  await store.open(log?.header).catch((e: unknown) => (error = e));
  await store.close();
  return error;
}

describe('file store manifest: a lost tail is reported', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('refuses to open a writer on a log whose last segment was deleted, naming the segment', async () => {
    const log = await writeLog(dir, 40, { segmentBytes: 1024 });
    const files = await segmentFiles(dir);
    const lastFile = files.at(-1) as string;
    await unlink(join(dir, lastFile));

    const error = await openError(new FileStore({ dir }), log);

    expect(files.length).toBeGreaterThan(2);
    expect(isCausewayError(error, ErrorCodes.StoreCorrupted), String(error)).toBe(true);
    expect((error as Error).message).toContain(`${lastFile} is missing`);
    expect(await segmentFiles(dir)).toEqual(files.slice(0, -1));
  });

  it('refuses to open a reader on a log whose last segment was deleted', async () => {
    await writeLog(dir, 40, { segmentBytes: 1024 });
    const lastFile = (await segmentFiles(dir)).at(-1) as string;
    await unlink(join(dir, lastFile));

    const error = await openError(new FileStore({ dir, readOnly: true }));

    expect(isCausewayError(error, ErrorCodes.StoreCorrupted), String(error)).toBe(true);
    expect((error as Error).message).toContain(lastFile);
  });

  it('refuses to open a log whose only segment was deleted as if it were new', async () => {
    const log = await writeLog(dir, 5);
    await unlink(join(dir, '00000001.seg'));

    const error = await openError(new FileStore({ dir }), log);

    expect(isCausewayError(error, ErrorCodes.StoreCorrupted), String(error)).toBe(true);
    expect((error as Error).message).toContain('00000001.seg is missing');
  });

  it('reports the missing tail in check, and opens with the loss accepted after repair', async () => {
    const log = await writeLog(dir, 40, { segmentBytes: 1024 });
    const files = await segmentFiles(dir);
    await unlink(join(dir, files.at(-1) as string));

    const check = await checkFileStore(dir);
    const repair = await repairFileStore(dir, { apply: true });
    const store = new FileStore({ dir });
    await store.open(log.header);
    const last = await store.lastCommit();
    await store.close();

    expect(check.clean).toBe(false);
    expect(check.damage?.segment).toBe(files.at(-1));
    expect(check.damage?.reason).toContain('manifest');
    expect(repair.applied).toBe(true);
    expect(last?.tick).toBeLessThan(40);
  });

  it('opens a log written before manifests existed and records one', async () => {
    const log = await writeLog(dir, 40, { segmentBytes: 1024 });
    await rm(join(dir, 'log.manifest'));
    const files = await segmentFiles(dir);

    const store = new FileStore({ dir });
    await store.open(log.header);
    const last = await store.lastCommit();
    await store.close();
    await unlink(join(dir, files.at(-1) as string));
    const error = await openError(new FileStore({ dir }), log);

    expect(last?.tick).toBe(40);
    expect(await readdir(dir)).toContain('log.manifest');
    expect(isCausewayError(error, ErrorCodes.StoreCorrupted), String(error)).toBe(true);
  });
});
