import { appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFileStore, FileStore, repairFileStore } from '@causeway/adapters/file';
import { ErrorCodes } from '@causeway/runtime';
import {
  copyDir,
  flipByte,
  readContents,
  removeDir,
  segmentFiles,
  tempDir,
  writeLog,
} from './file-fixtures.ts';
import type { WrittenLog } from './file-fixtures.ts';

const SEG1 = '00000001.seg';

async function openWriter(dir: string, log: WrittenLog, segmentBytes?: number): Promise<FileStore> {
  const store = new FileStore({ dir, ...(segmentBytes === undefined ? {} : { segmentBytes }) });
  await store.open(log.header);
  return store;
}

async function openError(dir: string, log: WrittenLog): Promise<unknown> {
  const store = new FileStore({ dir });
  try {
    await store.open(log.header);
  } catch (error) {
    return error;
  }
  await store.close();
  throw new Error('expected the store to refuse to open');
}

describe('file store recovery', () => {
  let base: string;
  let log: WrittenLog;
  const dirs: string[] = [];

  async function damaged(): Promise<string> {
    const dir = await copyDir(base);
    dirs.push(dir);
    return dir;
  }

  beforeAll(async () => {
    base = await tempDir();
    log = await writeLog(base, 12);
  });

  afterAll(async () => {
    await removeDir(base);
    for (const dir of dirs) await removeDir(dir);
  });

  it('cuts a torn last tick at every truncation length and keeps every earlier tick', async () => {
    const lastTick = log.tickEnds.length;
    const start = log.lastTickStart.offset;
    const end = (log.tickEnds[lastTick - 1] as { offset: number }).offset;
    const dir = await damaged();
    const path = join(dir, SEG1);
    const full = await readFile(path);
    const kept = log.log.ticks.slice(0, lastTick - 1);
    for (let length = start; length < end; length++) {
      await writeFile(path, full.subarray(0, length));
      const store = await openWriter(dir, log);
      const contents = await readContents(store);
      expect(contents.commits, `truncated to ${length}`).toEqual(kept.map((t) => t.commit));
      expect(contents.events).toEqual(kept.flatMap((t) => t.events));
      expect(length === start || store.recovery !== null, `recovery reported at ${length}`).toBe(
        true,
      );
      await store.close();
      expect((await stat(path)).size, `file cut back at ${length}`).toBe(start);
    }
  });

  it('keeps inputs journaled after the last commit when the tail after them is torn', async () => {
    const dir = await damaged();
    await appendFile(join(dir, SEG1), new Uint8Array([7, 0, 0]));
    const store = await openWriter(dir, log);
    const contents = await readContents(store);
    expect(contents.inputs).toEqual(log.log.inputs);
    expect(contents.commits).toEqual(log.log.ticks.map((t) => t.commit));
    expect(store.recovery?.bytesCut).toBe(3);
    await store.close();
  });

  it('cuts zeros left at the tail by a crash', async () => {
    const dir = await damaged();
    await appendFile(join(dir, SEG1), new Uint8Array(4096));
    const store = await openWriter(dir, log);
    expect((await readContents(store)).events).toEqual(log.log.events);
    await store.close();
  });

  it('cuts events whose commit record is missing and appends after them again', async () => {
    const dir = await damaged();
    const path = join(dir, SEG1);
    // The last tick's commit record is the last record before the final input; cut just before
    // it by dropping the input and the commit record (both end the file).
    const lastTickEnd = (log.tickEnds.at(-1) as { offset: number }).offset;
    const full = await readFile(path);
    const commitStart = findCommitStart(full, log.lastTickStart.offset, lastTickEnd);
    await writeFile(path, full.subarray(0, commitStart));
    const store = await openWriter(dir, log);
    expect(store.recovery?.uncommittedEvents).toBeGreaterThan(0);
    const kept = log.log.ticks.slice(0, -1);
    expect((await readContents(store)).events).toEqual(kept.flatMap((t) => t.events));
    const redo = log.log.ticks.at(-1);
    if (redo === undefined) throw new Error('the log has ticks');
    await store.commit(redo.commit, redo.events);
    await store.close();
    const again = await openWriter(dir, log);
    expect((await readContents(again)).events).toEqual(log.log.events);
    await again.close();
  });

  it('refuses to open a log with a bad checksum in the middle, naming segment and offset', async () => {
    const dir = await damaged();
    const at = (log.tickEnds[2] as { offset: number }).offset + 20;
    await flipByte(join(dir, SEG1), at);
    const error = await openError(dir, log);
    expect(error).toBeCausewayError(ErrorCodes.StoreCorrupted);
    const details = (error as { details: { segment: string; offset: number } }).details;
    expect(details.segment).toBe(SEG1);
    expect(details.offset).toBeLessThanOrEqual(at);
    expect(details.offset).toBeGreaterThanOrEqual((log.tickEnds[2] as { offset: number }).offset);
    expect((error as Error).message).toContain(`${SEG1} byte ${details.offset}`);
    expect((await stat(join(dir, SEG1))).size).toBe((await stat(join(base, SEG1))).size);
  });

  it('refuses a reader on a log damaged in the middle', async () => {
    const dir = await damaged();
    await flipByte(join(dir, SEG1), (log.tickEnds[4] as { offset: number }).offset + 3);
    const reader = new FileStore({ dir, readOnly: true });
    let error: unknown = null;
    await reader.open().catch((e: unknown) => (error = e));
    expect(error).toBeCausewayError(ErrorCodes.StoreCorrupted);
  });

  it('refuses a log whose earlier segment is cut short while a later one has data', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const small = await writeLog(dir, 40, { segmentBytes: 1024 });
    const files = await segmentFiles(dir);
    expect(files.length).toBeGreaterThan(2);
    const second = join(dir, files[1] as string);
    await truncate(second, (await stat(second)).size - 5);
    const error = await openError(dir, small);
    expect(error).toBeCausewayError(ErrorCodes.StoreCorrupted);
    expect((error as { details: { segment: string } }).details.segment).toBe(files[1]);
  });

  it('refuses a log whose earlier segment ends in zeros while a later one has data', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const small = await writeLog(dir, 40, { segmentBytes: 1024 });
    const files = await segmentFiles(dir);
    const second = join(dir, files[1] as string);
    const end = (await stat(second)).size;
    // A writer cuts its reserve before it starts the next segment: zeros here are not space.
    await appendFile(second, new Uint8Array(300));
    const error = await openError(dir, small);
    expect(error).toBeCausewayError(ErrorCodes.StoreCorrupted);
    expect((error as { details: { segment: string; offset: number } }).details).toMatchObject({
      segment: files[1],
      offset: end,
    });
    expect((await checkFileStore(dir)).damage?.kind).toBe('corrupt');
  });

  it('counts zeros after the last record as reserved space, and a stray byte in them as a torn tail', async () => {
    const dir = await damaged();
    const path = join(dir, SEG1);
    const end = (await stat(path)).size;
    await appendFile(path, new Uint8Array(5000));
    const spaced = await checkFileStore(dir);
    expect(spaced).toMatchObject({ clean: true, reservedBytes: 5000, bytesAfterCut: 0 });
    await flipByte(path, end + 4000);
    const stray = await checkFileStore(dir);
    expect(stray.reservedBytes).toBe(0);
    expect(stray.damage).toMatchObject({ kind: 'torn', offset: end });
    const store = await openWriter(dir, log);
    expect(store.recovery).toMatchObject({ offset: end, bytesCut: 5000 });
    expect((await readContents(store)).events).toEqual(log.log.events);
    await store.close();
    expect((await stat(path)).size).toBe(end);
  });

  it('repairs a damaged log only with apply, keeping every tick before the damage', async () => {
    const dir = await damaged();
    const damageAt = (log.tickEnds[5] as { offset: number }).offset + 10;
    await flipByte(join(dir, SEG1), damageAt);

    const dry = await repairFileStore(dir);
    expect(dry.applied).toBe(false);
    expect(dry.before.damage?.kind).toBe('corrupt');
    expect((await stat(join(dir, SEG1))).size).toBe((await stat(join(base, SEG1))).size);

    const done = await repairFileStore(dir, { apply: true });
    expect(done.applied).toBe(true);
    expect((await checkFileStore(dir)).clean).toBe(true);
    const store = await openWriter(dir, log);
    const contents = await readContents(store);
    const kept = log.log.ticks.slice(0, 6);
    expect(contents.commits).toEqual(kept.map((t) => t.commit));
    expect(contents.events).toEqual(kept.flatMap((t) => t.events));
    await store.close();
  });

  it("refuses repair with an apply that is not a boolean ('yes') with CW_INVALID_ARGUMENT, changing nothing", async () => {
    const dir = await damaged();
    const damageAt = (log.tickEnds[5] as { offset: number }).offset + 10;
    await flipByte(join(dir, SEG1), damageAt);
    const size = (await stat(join(dir, SEG1))).size;

    const outcome = repairFileStore(dir, { apply: 'yes' as unknown as boolean });

    await expect(outcome).rejects.toBeCausewayError(ErrorCodes.InvalidArgument);
    expect((await stat(join(dir, SEG1))).size).toBe(size);
    expect((await checkFileStore(dir)).damage?.kind).toBe('corrupt');
  });

  it('checks a clean log as clean with its counts', async () => {
    const report = await checkFileStore(base);
    expect(report.clean).toBe(true);
    expect(report.damage).toBeNull();
    expect(report.ticks).toBe(12);
    expect(report.events).toBe(log.log.events.length);
    expect(report.inputs).toBe(log.log.inputs.length);
    expect(report.snapshots).toBe(1);
  });
});

/** The offset of the last commit record in `bytes[from, to)`, found by walking the frames. */
function findCommitStart(bytes: Uint8Array, from: number, to: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = from;
  let commitAt = -1;
  while (at < to) {
    const length = view.getUint32(at + 4, true);
    if (bytes[at + 8] === 4) commitAt = at;
    at += 8 + length;
  }
  if (commitAt < 0) throw new Error('no commit record in the range');
  return commitAt;
}
