import { open, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore, repairFileStore } from '@causeway/adapters/file';
import { ErrorCodes, isCausewayError } from '@causeway/runtime';
import {
  compare,
  copyDir,
  readContents,
  removeDir,
  segmentFiles,
  tempDir,
  writeLog,
} from './file-fixtures.ts';
import type { LogContents, LogPosition, WrittenLog } from './file-fixtures.ts';

/** One way to damage a finished log. */
type Damage =
  | {
      readonly kind: 'flip';
      readonly segment: number;
      readonly at: number;
      readonly mask: number;
      readonly more: number[];
    }
  | { readonly kind: 'truncate'; readonly segment: number; readonly at: number };

describe('file store under random damage', () => {
  let base: string;
  let written: WrittenLog;
  let sizes: number[];

  beforeAll(async () => {
    base = await tempDir();
    written = await writeLog(base, 60, { segmentBytes: 2048 });
    const files = await segmentFiles(base);
    sizes = await Promise.all(files.map(async (f) => (await stat(join(base, f))).size));
  });

  afterAll(async () => {
    await removeDir(base);
  });

  /** Applies the damage to a copy; returns the copy and the first damaged position. */
  async function damage(d: Damage): Promise<{ dir: string; first: LogPosition }> {
    const dir = await copyDir(base);
    const segment = d.segment + 1;
    const size = sizes[d.segment] as number;
    const path = join(dir, `${String(segment).padStart(8, '0')}.seg`);
    if (d.kind === 'truncate') {
      const at = Math.floor(d.at * size);
      await truncate(path, at);
      return { dir, first: { segment, offset: at } };
    }
    const bytes = await readFile(path);
    const offsets = [d.at, ...d.more].map((f) => Math.min(size - 1, Math.floor(f * size)));
    const handle = await open(path, 'r+');
    try {
      for (const offset of offsets) {
        const b = new Uint8Array([(bytes[offset] as number) ^ d.mask]);
        await handle.write(b, 0, 1, offset);
      }
    } finally {
      await handle.close();
    }
    return { dir, first: { segment, offset: Math.min(...offsets) } };
  }

  /** Asserts that what the store holds is a prefix of the log with every tick before `first`. */
  function expectIntactBefore(contents: LogContents, first: LogPosition): void {
    const ticks = written.log.ticks;
    const k = contents.commits.length;
    expect(k).toBeLessThanOrEqual(ticks.length);
    expect(contents.commits).toEqual(ticks.slice(0, k).map((t) => t.commit));
    expect(contents.events).toEqual(ticks.slice(0, k).flatMap((t) => t.events));
    const safeTicks = written.tickEnds.filter((end) => compare(end, first) <= 0).length;
    expect(
      k,
      `ticks kept; damage at segment ${first.segment} byte ${first.offset}`,
    ).toBeGreaterThanOrEqual(safeTicks);
    const n = contents.inputs.length;
    expect(contents.inputs).toEqual(written.log.inputs.slice(0, n));
    const safeInputs = written.inputEnds.filter((end) => compare(end, first) <= 0).length;
    expect(n, 'inputs kept').toBeGreaterThanOrEqual(safeInputs);
  }

  const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  const damages = fc.oneof(
    fc.record({
      kind: fc.constant('flip' as const),
      segment: fc.nat(),
      at: unit,
      mask: fc.integer({ min: 1, max: 255 }),
      more: fc.array(unit, { maxLength: 2 }),
    }),
    fc.record({ kind: fc.constant('truncate' as const), segment: fc.nat(), at: unit }),
  );

  it('recovers a torn tail or names the damage, and never loses a tick committed before it', async () => {
    await fc.assert(
      fc.asyncProperty(damages, async (raw) => {
        const d = { ...raw, segment: raw.segment % sizes.length };
        const { dir, first } = await damage(d);
        try {
          const store = new FileStore({ dir });
          let refused: Error | null = null;
          try {
            await store.open(written.header);
          } catch (error) {
            refused = error as Error;
          }
          const lastSegment = d.segment === sizes.length - 1;
          if (refused === null) {
            // An open that starts from the index file does not read the records it covers:
            // damage there is named when a read reaches it, never returned as data.
            let contents;
            try {
              contents = await readContents(store);
            } catch (error) {
              await store.close();
              if (!isCausewayError(error, ErrorCodes.StoreCorrupted)) throw error;
              expect(error.message).toMatch(/\d{8}\.seg byte \d+/);
              return;
            }
            await store.close();
            expectIntactBefore(contents, first);
            // Opening is only right for a cut at the end of the log; damage anywhere else that
            // opens must have cost no tick (else it was silently skipped).
            if (!(d.kind === 'truncate' && lastSegment)) {
              expect(
                contents.commits.length,
                `damage silently cut ticks: ${JSON.stringify(d)}`,
              ).toBe(written.log.ticks.length);
            }
            return;
          }
          // Cutting the last segment is what a crash does: it must always recover.
          expect(
            d.kind === 'truncate' && lastSegment,
            `a torn tail refused: ${String(refused)}`,
          ).toBe(false);
          if (!isCausewayError(refused, ErrorCodes.StoreCorrupted)) throw refused;
          const details = refused.details as { segment: string; offset: number };
          expect(details.segment).toMatch(/^\d{8}\.seg$/);
          expect(Number.isInteger(details.offset)).toBe(true);
          expect(refused.message).toContain(`${details.segment} byte ${details.offset}`);

          await repairFileStore(dir, { apply: true });
          const repaired = new FileStore({ dir });
          await repaired.open(written.header);
          expectIntactBefore(await readContents(repaired), first);
          await repaired.close();
        } finally {
          await removeDir(dir);
        }
      }),
      { numRuns: 150 },
    );
  });
});
