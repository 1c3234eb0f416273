import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '@causeway/adapters/file';
import { ErrorCodes } from '@causeway/runtime';
import type { TickCommit } from '@causeway/runtime';
import { header, LogBuilder, rejectionOf } from '../../../test/conformance/fixtures.ts';
import { canMount, Mounts, readContents, removeDir, tempDir } from './file-fixtures.ts';

const mountable = canMount('file store failed-batch tests');

// Appends made while a write and its sync are in flight gather in the next batch: one write
// and one sync for all of them, in the order they were made; a batch whose write fails fails
// as a whole, cut from the file.
describe('file store batches of appends', () => {
  let dir: string;
  const mounts = new Mounts();

  beforeEach(async () => {
    dir = await tempDir();
  });

  afterEach(async () => {
    mounts.release();
    await removeDir(dir);
  });

  it('lands every one, in order, each resolving once durable and reported once', async () => {
    const writer = new FileStore({ dir });
    await writer.open(header());
    const seen: TickCommit[] = [];
    writer.watch((commit) => seen.push(commit));
    const log = new LogBuilder();
    const appends: Array<Promise<void>> = [];
    const journal = (count: number, syncWithCommit: boolean): void => {
      const inputs = log.nextInputs(count);
      appends.push(writer.journal(inputs, { syncWithCommit }));
      log.lastInput += count;
      log.inputs.push(...inputs);
    };
    for (let t = 0; t < 30; t++) {
      // Inputs waiting for their tick's commit, their tick, and now and then inputs acknowledged
      // on their own and a snapshot: none awaited before the next is made.
      journal(2, true);
      const tick = log.nextTick([{}, { data: { t, text: 'é'.repeat(t) } }]);
      appends.push(writer.commit(tick.commit, tick.events));
      log.accept(tick);
      if (t % 7 === 3) journal(1, false);
      if (t % 10 === 5) {
        const c = tick.commit;
        const bytes = new Uint8Array(200_000).fill(t);
        appends.push(
          writer.saveSnapshot({ tick: c.tick, lastSeq: c.lastSeq, lastInput: c.lastInput, bytes }),
        );
      }
    }
    await Promise.all(appends);

    const reader = new FileStore({ dir, readOnly: true });
    await reader.open();
    const contents = await readContents(reader);
    const snapshot = await reader.latestSnapshot();
    await reader.close();
    await writer.close();

    expect(contents.commits).toEqual(log.ticks.map((t) => t.commit));
    expect(contents.events).toEqual(log.events);
    expect(contents.inputs).toEqual(log.inputs);
    expect(seen).toEqual(log.ticks.map((t) => t.commit));
    expect(snapshot?.tick).toBe(26);
    expect(snapshot?.bytes).toEqual(new Uint8Array(200_000).fill(25));
  });

  it('reopens to the same log after appends gathered behind one another', async () => {
    const writer = new FileStore({ dir });
    await writer.open(header());
    const log = new LogBuilder();
    const appends: Array<Promise<void>> = [];
    for (let t = 0; t < 20; t++) {
      const tick = log.nextTick([{ data: { t } }]);
      appends.push(writer.commit(tick.commit, tick.events));
      log.accept(tick);
    }
    await Promise.all(appends);
    await writer.close();

    const again = new FileStore({ dir });
    await again.open(header());
    const contents = await readContents(again);
    await again.close();

    expect(again.recovery).toBeNull();
    expect(contents.commits).toEqual(log.ticks.map((t) => t.commit));
    expect(contents.events).toEqual(log.events);
  });

  it.skipIf(!mountable)(
    'rejects every append of a batch whose write fails, cuts it from the file, and refuses more',
    async () => {
      const disk = join(dir, 'disk');
      await mkdir(disk);
      mounts.mount(disk, '64k');
      const log = new LogBuilder();
      const first = log.nextTick([{ data: { text: 'x'.repeat(1000) } }]);
      // The same first tick alone in a log of its own: what the failed batch is cut back to.
      const plain = new FileStore({ dir: join(dir, 'plain') });
      await plain.open(header());
      await plain.commit(first.commit, first.events);
      await plain.close();
      const size = (await stat(join(dir, 'plain', '00000001.seg'))).size;
      const writer = new FileStore({ dir: disk });
      await writer.open(header());
      const stored = writer.commit(first.commit, first.events);
      log.accept(first);
      // Made while the first write's sync is pending: one batch, too large for the disk.
      const inputs = log.nextInputs(1);
      inputs[0] = { ...(inputs[0] as (typeof inputs)[number]), data: 'y'.repeat(80_000) };
      const journaled = writer.journal(inputs);
      log.lastInput += 1;
      const second = log.nextTick([{}]);
      const committed = writer.commit(second.commit, second.events);
      await stored;

      const errors = [await rejectionOf(() => journaled), await rejectionOf(() => committed)];
      const later = log.nextTick([{}]);
      const refused = await rejectionOf(() => writer.commit(later.commit, later.events));
      const sizeAfter = (await stat(join(disk, '00000001.seg'))).size;
      await writer.close();

      for (const error of [...errors, refused])
        expect(error).toBeCausewayError(ErrorCodes.StoreUnavailable);
      expect(errors[0]).toBe(errors[1]);
      expect(sizeAfter).toBe(size);
      const reader = new FileStore({ dir: disk, readOnly: true });
      await reader.open();
      const contents = await readContents(reader);
      await reader.close();
      expect(contents.commits).toEqual([first.commit]);
      expect(contents.inputs).toEqual([]);
    },
  );

  it.skipIf(!mountable)(
    "cuts a write that fails in a segment it just started back to that segment's start",
    async () => {
      const disk = join(dir, 'disk');
      await mkdir(disk);
      mounts.mount(disk, '64k');
      const writer = new FileStore({ dir: disk, segmentBytes: 1024 });
      await writer.open(header());
      const log = new LogBuilder();
      await log.commitTick(writer, [{ data: { text: 'x'.repeat(1000) } }]);
      const big = log.nextTick([{ data: 'y'.repeat(80_000) }]);

      const error = await rejectionOf(() => writer.commit(big.commit, big.events));
      await writer.close();
      const again = new FileStore({ dir: disk, segmentBytes: 1024 });
      await again.open(header());
      const contents = await readContents(again);
      await again.close();

      expect(error).toBeCausewayError(ErrorCodes.StoreUnavailable);
      expect((await stat(join(disk, '00000002.seg'))).size).toBe(0);
      expect(again.recovery).toBeNull();
      expect(contents.commits).toEqual(log.ticks.map((t) => t.commit));
    },
  );
});
