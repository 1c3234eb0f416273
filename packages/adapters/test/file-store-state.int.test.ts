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
});
