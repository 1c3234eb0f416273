import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '@causeway/adapters/file';
import { ErrorCodes } from '@causeway/runtime';
import { header, LogBuilder, readAll, rejectionOf } from '../../../test/conformance/fixtures.ts';
import { crc32c } from '../src/file/crc32c.ts';
import { FRAME_HEAD } from '../src/file/records.ts';
import { removeDir, tempDir } from './file-fixtures.ts';

describe('file store snapshots', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('reports a snapshot record whose bytes are not binary as CW_STORE_CORRUPTED when it is read, and keeps the log readable', async () => {
    const writer = new FileStore({ dir });
    await writer.open(header());
    const log = new LogBuilder();
    await log.commitTicks(writer, 2, 2);
    await writer.saveSnapshot({
      tick: 2,
      lastSeq: 4,
      lastInput: 0,
      bytes: new Uint8Array(16).fill(0x61),
    });
    // Enough after it that the saved index's check of its last 4 KiB does not cover it.
    await log.commitTicks(writer, 60, 2);
    await writer.close();
    // Turn the snapshot's bytes (msgpack bin 8) into a string (str 8) of the same length and
    // checksum the record again: what a writer that stored any value as a snapshot left.
    const path = join(dir, '00000001.seg');
    const file = await readFile(path);
    const body = Buffer.from([0x94, 2, 4, 0, 0xc4, 16, ...new Uint8Array(16).fill(0x61)]);
    const at = file.indexOf(body);
    expect(at).toBeGreaterThan(FRAME_HEAD);
    file[at + 4] = 0xd9;
    const start = at - FRAME_HEAD;
    file.writeUInt32LE(crc32c(file, start + 4, at + body.length), start);
    await writeFile(path, file);

    const store = new FileStore({ dir });
    await store.open(header());
    const error = await rejectionOf(() => store.latestSnapshot());

    expect(error).toBeCausewayError(ErrorCodes.StoreCorrupted);
    expect((error as Error).message).toContain(`00000001.seg byte ${start}`);
    expect(await readAll(store)).toEqual(log.events);
    await store.close();
  });
});
