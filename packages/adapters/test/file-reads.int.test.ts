import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '@causeway/adapters/file';
import { ErrorCodes, isCausewayError } from '@causeway/runtime';
import type { StoredEnvelope, TickCommit } from '@causeway/runtime';
import { crc32c } from '../src/file/crc32c.ts';
import { FRAME_HEAD } from '../src/file/records.ts';
import { flipByte, readContents, removeDir, tempDir, writeLog } from './file-fixtures.ts';
import type { LogContents, WrittenLog } from './file-fixtures.ts';
import { header, LogBuilder } from '../../../test/conformance/fixtures.ts';

async function reader(dir: string): Promise<FileStore> {
  const store = new FileStore({ dir, readOnly: true });
  await store.open();
  return store;
}

async function range(store: FileStore, fromSeq: number, limit: number): Promise<StoredEnvelope[]> {
  return [...(await store.readEvents({ fromSeq, limit })).items];
}

// Reads of event ranges read neighbouring records a chunk at a time, the next chunk while one is
// decoded, and the first chunk after a range that continued the previous one ahead of the call
// that will want it. Whatever the order of the calls, they return what one full read returns.
describe('file store event reads', () => {
  let dir: string;
  let log: WrittenLog;
  let full: LogContents;

  beforeEach(async () => {
    dir = await tempDir();
    // Small segments: ranges cross segment boundaries.
    log = await writeLog(dir, 120, { segmentBytes: 4096 });
    const store = await reader(dir);
    full = await readContents(store);
    await store.close();
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('returns the same events for pages read in sequence, in any page size', async () => {
    for (const size of [1, 2, 7, 50, 10_000]) {
      const store = await reader(dir);
      const events: StoredEnvelope[] = [];
      for (let from: number | null = 1; from !== null;) {
        const page = await store.readEvents({ fromSeq: from, limit: size });
        events.push(...page.items);
        from = page.next;
      }
      await store.close();
      expect(events).toStrictEqual(full.events);
    }
  });

  it('returns the right events when a read does not go on where the last one ended', async () => {
    const store = await reader(dir);
    const last = full.events.length;
    // Sequential reads (which read ahead), then a shorter one, a jump back, a jump forward, an
    // overlap and a read of the very end.
    const ranges: Array<[number, number]> = [
      [1, 10],
      [11, 10],
      [21, 3],
      [24, 40],
      [5, 5],
      [90, 20],
      [100, 30],
      [last, 5],
      [1, last],
    ];
    for (const [from, limit] of ranges) {
      const expected = full.events.slice(from - 1, Math.min(last, from - 1 + limit));
      expect(await range(store, from, limit)).toStrictEqual(expected);
    }
    await store.close();
  });

  it('returns the right events to reads running side by side on a fresh reader', async () => {
    const store = await reader(dir);
    const last = full.events.length;
    const starts = [1, 30, 60, 90, 1, last - 3];

    const pages = await Promise.all(starts.map((from) => range(store, from, 40)));
    await store.close();

    pages.forEach((page, i) => {
      const from = starts[i] as number;
      expect(page).toStrictEqual(full.events.slice(from - 1, Math.min(last, from - 1 + 40)));
    });
  });

  it('names damage in a record read ahead of the call that reaches it', async () => {
    // Damage in the payload of tick 61's first event (an open from the index file does not
    // read the records, so it is found by the read that reaches it).
    const tick = log.tickEnds[60] as { segment: number };
    const name = `${String(tick.segment).padStart(8, '0')}.seg`;
    const bytes = await readFile(join(dir, name));
    const at = bytes.indexOf('thing 61.0');
    expect(at).toBeGreaterThan(0);
    await flipByte(join(dir, name), at);
    const store = await reader(dir);
    const [commit] = await store.readCommits(60, 1);
    const first = (commit as TickCommit).firstSeq;

    // Two sequential reads end just before tick 61: the second reads the next chunk ahead.
    expect(await range(store, 1, first - 11)).toStrictEqual(full.events.slice(0, first - 11));
    expect(await range(store, first - 10, 10)).toStrictEqual(
      full.events.slice(first - 11, first - 1),
    );
    const error = await store.readEvents({ fromSeq: first, limit: 50 }).then(
      () => null,
      (e: unknown) => e,
    );
    await store.close();

    expect(isCausewayError(error, ErrorCodes.StoreCorrupted), String(error)).toBe(true);
    expect((error as Error).message).toContain(name);
  });

  it('catches a reader up when a page reaches past what it knows, and not before', async () => {
    const dir = await tempDir();
    try {
      const builder = new LogBuilder();
      const writer = new FileStore({ dir });
      await writer.open(header(5, {}));
      await builder.commitTicks(writer, 3, 2);
      const store = await reader(dir);
      await builder.commitTicks(writer, 2, 2);
      // Inside what the reader had seen: the same page whatever the writer added.
      expect(await store.readEvents({ fromSeq: 2, limit: 3 })).toMatchObject({ next: 5 });
      expect((await store.readCommits(0, 2)).map((c) => c.tick)).toEqual([1, 2]);
      // Up to its last known event or commit, or past it: it looks for the writer's new ones.
      const page = await store.readEvents({ fromSeq: 5, limit: 2 });
      expect(page.items.map((e) => e.seq)).toEqual([5, 6]);
      expect(page.next).toBe(7);
      expect((await store.readCommits(2, 10)).map((c) => c.tick)).toEqual([3, 4, 5]);
      expect((await store.readEvents({ fromSeq: 9 })).items.map((e) => e.seq)).toEqual([9, 10]);
      await builder.commitTicks(writer, 1, 2);
      expect((await store.readCommits(0, 6)).map((c) => c.tick)).toEqual([1, 2, 3, 4, 5, 6]);
      await store.close();
      await writer.close();
    } finally {
      await removeDir(dir);
    }
  });

  it('names the damaged record of a long run of neighbours, and returns the events before it', async () => {
    // One segment: the reads take its events in runs of many records, checked, then decoded.
    // Damage in the first event of the first tick and of ticks further on.
    for (const tick of [1, 33, 61, 90]) {
      const one = await tempDir();
      try {
        await writeLog(one, 120);
        const clean = await reader(one);
        const events = (await readContents(clean)).events;
        await clean.close();
        const name = '00000001.seg';
        const bytes = await readFile(join(one, name));
        const at = bytes.indexOf(`thing ${tick}.0`);
        expect(at).toBeGreaterThan(0);
        await flipByte(join(one, name), at);
        const store = await reader(one);
        const [commit] = await store.readCommits(tick - 1, 1);
        const first = (commit as TickCommit).firstSeq;

        const error = await store.readEvents({ fromSeq: 1, limit: 10_000 }).then(
          () => null,
          (e: unknown) => e,
        );
        const before = first > 1 ? await range(store, 1, first - 1) : [];
        await store.close();

        expect(isCausewayError(error, ErrorCodes.StoreCorrupted), String(error)).toBe(true);
        const offset = (error as { details: { offset: number } }).details.offset;
        // The record that holds the damaged byte: its frame starts before it, and no event
        // before it is reported.
        expect(offset).toBeLessThan(at);
        expect(bytes.indexOf(`thing ${tick}.0`, offset)).toBe(at);
        expect(bytes.lastIndexOf(`thing ${tick - 1}.`, offset)).toBe(
          tick === 1 ? -1 : bytes.lastIndexOf(`thing ${tick - 1}.`, at),
        );
        expect(before).toStrictEqual(events.slice(0, first - 1));
      } finally {
        await removeDir(one);
      }
    }
  });

  it('reports a record that does not decode before damage further on in its run', async () => {
    const one = await tempDir();
    try {
      await writeLog(one, 120);
      const path = join(one, '00000001.seg');
      const bytes = await readFile(path);
      // The frame of the record that holds `at`: walked from the first record.
      const frameOf = (at: number): number => {
        let start = 0;
        while (start + 8 + bytes.readUInt32LE(start + 4) <= at)
          start += 8 + bytes.readUInt32LE(start + 4);
        return start;
      };
      // Tick 33's first event: a body no decoder takes (0xc1 is never used by msgpack) under a
      // good checksum. Tick 40's first event: a bad checksum.
      const bad = frameOf(bytes.indexOf('thing 33.0'));
      bytes[bad + FRAME_HEAD] = 0xc1;
      bytes.writeUInt32LE(crc32c(bytes, bad + 4, bad + 8 + bytes.readUInt32LE(bad + 4)), bad);
      const later = bytes.indexOf('thing 40.0');
      bytes[later] = (bytes[later] as number) ^ 0xff;
      await writeFile(path, bytes);
      const store = await reader(one);

      const error = await store.readEvents({ fromSeq: 1, limit: 10_000 }).then(
        () => null,
        (e: unknown) => e,
      );
      await store.close();

      expect(isCausewayError(error, ErrorCodes.StoreCorrupted), String(error)).toBe(true);
      expect((error as { details: { offset: number } }).details.offset).toBe(bad);
      expect((error as Error).message).toContain('does not decode');
    } finally {
      await removeDir(one);
    }
  });

  it('reads a log whose index file is gone the same as one that has it', async () => {
    await unlink(join(dir, 'log.index'));
    const store = await reader(dir);
    const again = await readContents(store);
    await store.close();

    expect(again).toStrictEqual(full);
  });
});
