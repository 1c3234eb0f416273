import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@causeway/runtime';
import type { InputRecord } from '@causeway/runtime';
import { FileStore } from '@causeway/adapters/file';
import { removeDir, tempDir } from './file-fixtures.ts';

const input: InputRecord = {
  ino: 1,
  type: 'Opened',
  version: 1,
  entity: '018bcfe5-6800-7000-8000-000000000001',
  data: { owner: 'ada' },
  actor: 'ada',
};

describe('a file store used in the wrong state', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('rejects a read before open() with CW_STORE_NOT_OPEN', async () => {
    const store = new FileStore({ dir });

    await expect(store.readEvents()).rejects.toBeCausewayError(ErrorCodes.StoreNotOpen);
  });

  it('rejects a write before open(header) with CW_STORE_NOT_OPEN and writes no file', async () => {
    const store = new FileStore({ dir });

    await expect(store.journal([input])).rejects.toBeCausewayError(ErrorCodes.StoreNotOpen);
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects a write on a log opened without a header with CW_STORE_NOT_OPEN, writing nothing', async () => {
    const store = new FileStore({ dir });
    await store.open();

    await expect(store.journal([input])).rejects.toBeCausewayError(ErrorCodes.StoreNotOpen);
    expect(await store.lastInput()).toBe(0);
    await store.close();
  });

  it.each([
    ['an empty dir', { dir: '' }],
    ['a blank dir', { dir: '  ' }],
    ['a dir that is not a string', { dir: 42 as unknown as string }],
    ['a pollMs of 0', { dir: 'DIR', pollMs: 0 }],
    ['an intervalMs of NaN', { dir: 'DIR', intervalMs: Number.NaN }],
    ['a negative intervalMs', { dir: 'DIR', intervalMs: -1 }],
    ["a readOnly of 'false' (a string)", { dir: 'DIR', readOnly: 'false' as unknown as boolean }],
  ])('refuses %s with CW_INVALID_ARGUMENT and creates nothing', async (_, options) => {
    const before = await readdir(process.cwd());
    let error: unknown = null;
    try {
      new FileStore({ ...options, dir: options.dir === 'DIR' ? dir : options.dir });
    } catch (e) {
      error = e;
    }

    expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
    expect(await readdir(process.cwd())).toEqual(before);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    ['no options', undefined],
    ['null options', null],
  ])('refuses %s with CW_INVALID_ARGUMENT', (_, options) => {
    expect(() => new FileStore(options as never)).toThrow(
      expect.objectContaining({ code: ErrorCodes.InvalidArgument }),
    );
  });
});
