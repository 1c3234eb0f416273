import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StoreLockedError } from '@causeway/runtime/store-kit';

/** The lock file's name in a store folder. */
export const LOCK_NAME = 'writer.lock';

/** Who holds a writer lock, as written in the lock file. */
export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly since: string;
}

/** A person-readable name of a lock holder, for error messages. */
export function describeHolder(holder: LockHolder | null, path: string): string {
  if (holder === null) return `an unreadable lock file ${path} (delete it if no writer is running)`;
  return `process ${holder.pid} on host ${holder.hostname} (since ${holder.since}; lock file ${path})`;
}

/** True when process `pid` exists on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (
      typeof value.pid !== 'number' ||
      typeof value.hostname !== 'string' ||
      typeof value.since !== 'string'
    )
      return null;
    return { pid: value.pid, hostname: value.hostname, since: value.since };
  } catch {
    return null;
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * The one-writer lock of a file store folder: a file holding the writer's pid and host.
 *
 * It is created complete under a temporary name and then hard-linked to `writer.lock`, which
 * fails when the name exists (like `O_EXCL`), so no one ever reads a half-written lock. A lock
 * left by a dead process on this host is taken over by renaming it aside (only one contender's
 * rename can succeed) and linking a new one.
 */
export class WriterLock {
  private constructor(
    readonly path: string,
    private readonly content: string,
  ) {}

  /**
   * Takes the lock of `dir`.
   * @throws StoreLockedError naming the holder when a live writer holds it
   */
  static async acquire(dir: string, store: string): Promise<WriterLock> {
    const path = join(dir, LOCK_NAME);
    const me: LockHolder = {
      pid: process.pid,
      hostname: hostname(),
      since: new Date().toISOString(),
    };
    const content = JSON.stringify(me);
    const temp = join(dir, `${LOCK_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(temp, content, { flag: 'wx' });
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await link(temp, path);
          return new WriterLock(path, content);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const text = await readText(path);
        if (text === null) continue;
        const holder = parseHolder(text);
        if (holder === null || holder.hostname !== me.hostname || processAlive(holder.pid)) {
          throw new StoreLockedError(store, describeHolder(holder, path));
        }
        await WriterLock.setAsideStale(path, text);
      }
      throw new StoreLockedError(store, `contending writers (lock file ${path} kept changing)`);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  private static async setAsideStale(path: string, staleText: string): Promise<void> {
    const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const taken = await readText(aside);
    // Another contender replaced the stale lock between our read and our rename: put its live
    // lock back (link never overwrites) and let the next attempt report it.
    if (taken !== staleText) await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
  }

  /** Releases the lock if this writer still holds it. */
  async release(): Promise<void> {
    const text = await readText(this.path);
    if (text === this.content) await unlink(this.path).catch(() => undefined);
  }
}
