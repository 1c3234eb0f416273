import { readdir, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFileStore, FileStore } from '@causeway/adapters/file';
import { ErrorCodes, isCausewayError } from '@causeway/runtime';
import {
  flipByte,
  readContents,
  removeDir,
  segmentFiles,
  tempDir,
  writeLog,
} from './file-fixtures.ts';
import type { LogContents, WrittenLog } from './file-fixtures.ts';
import { header, LogBuilder } from '../../../test/conformance/fixtures.ts';

async function contentsOf(dir: string, log: WrittenLog): Promise<LogContents> {
  const store = new FileStore({ dir });
  await store.open(log.header);
  try {
    return await readContents(store);
  } finally {
    await store.close();
  }
}

describe('file store index file', () => {
  let dir: string;
  let log: WrittenLog;
  let full: LogContents;

  beforeEach(async () => {
    dir = await tempDir();
    log = await writeLog(dir, 60, { segmentBytes: 2048 });
    await unlink(join(dir, 'log.index'));
    full = await contentsOf(dir, log);
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('is written when a writer closes', async () => {
    expect(await readdir(dir)).toContain('log.index');
  });

  it('opens from the index file to the same log as a scan of every segment', async () => {
    const fromIndex = await contentsOf(dir, log);

    expect(fromIndex).toEqual(full);
    expect(fromIndex.commits).toHaveLength(60);
  });

  it('opens a reader from the index file to the same log', async () => {
    const reader = new FileStore({ dir, readOnly: true });
    await reader.open();

    const contents = await readContents(reader);
    await reader.close();

    expect(contents).toEqual(full);
  });

  it('scans from the start when the last segment is shorter than the index says', async () => {
    const last = (await segmentFiles(dir)).at(-1) as string;
    const end = log.tickEnds.filter((p) => p.segment === Number(last.slice(0, 8))).at(-2);
    await truncate(join(dir, last), end?.offset ?? 0);

    const contents = await contentsOf(dir, log);

    expect(contents.commits.length).toBeLessThan(60);
    expect(contents.commits).toEqual(full.commits.slice(0, contents.commits.length));
    expect(contents.events).toEqual(full.events.slice(0, contents.events.length));
  });

  it('ignores an index file whose bytes were damaged', async () => {
    await flipByte(join(dir, 'log.index'), 40);

    expect(await contentsOf(dir, log)).toEqual(full);
  });

  it('reads the places of a damaged chunk of the index file from the segments instead', async () => {
    // The file ends with the chunk of input places, which an open does not read.
    const path = join(dir, 'log.index');
    await flipByte(path, (await stat(path)).size - 12);
    const reader = new FileStore({ dir, readOnly: true });
    await reader.open();

    const contents = await readContents(reader);
    await reader.close();

    expect(contents).toEqual(full);
  });

  it('ignores an index file when an earlier segment changed size', async () => {
    const first = join(dir, '00000001.seg');
    await truncate(first, (await stat(first)).size - 3);

    const store = new FileStore({ dir });
    const error = await store.open(log.header).then(
      () => null,
      (e: unknown) => e,
    );
    await store.close();

    expect(isCausewayError(error, ErrorCodes.StoreCorrupted), String(error)).toBe(true);
    expect((error as Error).message).toContain('00000001.seg');
  });

  it('names damage in a record the index covers when a read reaches it, and check finds it', async () => {
    const at = (log.tickEnds[10] as { offset: number }).offset - 30;
    await flipByte(join(dir, '00000001.seg'), at);

    const store = new FileStore({ dir });
    await store.open(log.header);
    const error = await readContents(store).then(
      () => null,
      (e: unknown) => e,
    );
    await store.close();
    const check = await checkFileStore(dir);

    expect(isCausewayError(error, ErrorCodes.StoreCorrupted), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/00000001\.seg byte \d+/);
    expect(check.damage?.segment).toBe('00000001.seg');
  });

  it('opens from an index of thousands of places, appends before reading them, and reads every one', async () => {
    // More places than a table starts with: its columns grow on the first append or read.
    const big = await tempDir();
    try {
      const h = header(99, { Created: 1 });
      const builder = new LogBuilder();
      const writer = new FileStore({ dir: big, durability: 'none' });
      await writer.open(h);
      await builder.journal(writer, 3000);
      await builder.commitTicks(writer, 6, 500);
      await writer.close();
      expect(await readdir(big)).toContain('log.index');

      const reader = new FileStore({ dir: big, readOnly: true });
      await reader.open();
      const appender = new FileStore({ dir: big, durability: 'none' });
      await appender.open(h);
      await builder.journal(appender, 1);
      await builder.commitTicks(appender, 1, 3);
      const appended = await readContents(appender);
      await appender.close();
      // The reader learns of the new tick (its places pushed past the index's) before it reads
      // any place the index holds.
      const [latest] = await reader.readCommits(6, 1);
      const read = await readContents(reader);
      await reader.close();
      await unlink(join(big, 'log.index'));
      const scanned = await contentsOf(big, { ...log, header: h });

      expect(latest?.tick).toBe(7);
      expect(appended.events).toHaveLength(3003);
      expect(appended.inputs).toHaveLength(3001);
      expect(appended).toEqual(scanned);
      expect(read).toEqual(scanned);
    } finally {
      await removeDir(big);
    }
  });
});
