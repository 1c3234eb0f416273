import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFileStore, FileStore } from '@causeway/adapters/file';
import type { FileStoreOptions } from '@causeway/adapters/file';
import type { InputRecord, LogHeader, StoredEnvelope, TickCommit } from '@causeway/runtime';
import { header, LogBuilder } from '../../../test/conformance/fixtures.ts';

/** A place in the log: segment number and byte offset. */
export interface LogPosition {
  readonly segment: number;
  readonly offset: number;
}

/** Orders two log positions. */
export function compare(a: LogPosition, b: LogPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}

/** A log written for a recovery test, with where each tick and input ended on disk. */
export interface WrittenLog {
  readonly header: LogHeader;
  readonly log: LogBuilder;
  /** For tick t (index t - 1): the position just after its commit record. */
  readonly tickEnds: LogPosition[];
  /** For input n (index n - 1): the position just after its record. */
  readonly inputEnds: LogPosition[];
  /** Where the last tick's records start (its first event, or its commit record). */
  readonly lastTickStart: LogPosition;
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'causeway-file-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a folder made by {@link tempDir}. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** Copies a store folder (to damage the copy). */
export async function copyDir(from: string): Promise<string> {
  const to = await tempDir('causeway-file-copy-');
  await cp(from, to, { recursive: true });
  return to;
}

/** The segment files of a folder, in order. */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
}

/** Where the records of a log end: the last segment's size less the zeros its writer reserved. */
async function endOf(dir: string): Promise<LogPosition> {
  const files = await segmentFiles(dir);
  const last = files.at(-1) as string;
  const { reservedBytes } = await checkFileStore(dir);
  return {
    segment: Number(last.slice(0, 8)),
    offset: (await stat(join(dir, last))).size - reservedBytes,
  };
}

/**
 * Writes a log of `ticks` ticks (1 to 3 events each, an input every other tick, a snapshot
 * every 7th) and closes it, noting where every tick and input ends.
 */
export async function writeLog(
  dir: string,
  ticks: number,
  options: Partial<FileStoreOptions> = {},
): Promise<WrittenLog> {
  const h = header(1234, { Created: 1 });
  const store = new FileStore({ ...options, dir });
  await store.open(h);
  const log = new LogBuilder();
  const tickEnds: LogPosition[] = [];
  const inputEnds: LogPosition[] = [];
  let lastTickStart: LogPosition = await endOf(dir);
  for (let t = 1; t <= ticks; t++) {
    if (t % 2 === 1) {
      await log.journal(store, 1);
      inputEnds.push(await endOf(dir));
    }
    lastTickStart = await endOf(dir);
    await log.commitTick(
      store,
      Array.from({ length: 1 + (t % 3) }, (_, i) => ({
        type: i === 0 ? 'Created' : 'Renamed',
        data: { t, i, name: `thing ${t}.${i}`, bytes: new Uint8Array([t & 255, i]) },
      })),
    );
    tickEnds.push(await endOf(dir));
    if (t % 7 === 0) {
      await store.saveSnapshot({
        tick: t,
        lastSeq: log.lastSeq,
        lastInput: log.consumedInput,
        bytes: new Uint8Array([t, t, t]),
      });
    }
  }
  // A journaled input that no tick consumed yet ends the log, as after a crash mid-tick.
  await log.journal(store, 1);
  inputEnds.push(await endOf(dir));
  await store.close();
  return { header: h, log, tickEnds, inputEnds, lastTickStart };
}

/** Everything a store holds, read back through the port. */
export interface LogContents {
  readonly commits: readonly TickCommit[];
  readonly events: readonly StoredEnvelope[];
  readonly inputs: readonly InputRecord[];
}

/** Reads every commit, event and input of an opened store. */
export async function readContents(store: FileStore): Promise<LogContents> {
  const commits: TickCommit[] = [];
  for (;;) {
    const page = await store.readCommits(commits.length, 10_000);
    if (page.length === 0) break;
    commits.push(...page);
  }
  const events: StoredEnvelope[] = [];
  let next: number | null = 1;
  while (next !== null) {
    const page = await store.readEvents({ fromSeq: next, limit: 10_000 });
    events.push(...page.items);
    next = page.next;
  }
  const inputs: InputRecord[] = [];
  for (;;) {
    const page = await store.readInputs(inputs.length, 10_000);
    if (page.length === 0) break;
    inputs.push(...page);
  }
  return { commits, events, inputs };
}

/**
 * Whether this process may mount a small tmpfs (as root, outside a container that forbids it):
 * the only way here to make a disk full or read-only for real. Without it the tests that need
 * one skip with one loud line naming `what`, except in CI, where they must run.
 */
export function canMount(what: string): boolean {
  const probe = execFileSync('mktemp', ['-d']).toString().trim();
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
  if (mounted.status === 0) spawnSync('umount', [probe]);
  spawnSync('rmdir', [probe]);
  if (mounted.status === 0) return true;
  const why = `cannot mount a tmpfs here (${mounted.stderr.toString().trim() || 'not permitted'})`;
  if (process.env['CI'] === 'true') throw new Error(`${why}; CI runs as root and must`);
  console.warn(`SKIPPED: ${what}: ${why}.`);
  return false;
}

/** Small tmpfs disks mounted by a test, unmounted (latest first) by {@link Mounts.release}. */
export class Mounts {
  private readonly dirs: string[] = [];

  /** Mounts a tmpfs of `size` (`64k`, `1m`…) on the existing folder `dir`. */
  mount(dir: string, size: string): void {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    this.dirs.push(dir);
  }

  release(): void {
    for (const dir of this.dirs.reverse()) spawnSync('umount', [dir]);
    this.dirs.length = 0;
  }
}

/** Inverts one byte of a file in place: damage a checksum must catch. */
export async function flipByte(path: string, offset: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const byte = new Uint8Array(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = (byte[0] as number) ^ 0xff;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}
