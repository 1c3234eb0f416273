import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StoreLockedError } from '@causeway/runtime/store-kit';
import { fileFailure } from './fs-errors.ts';

/** The lock file's name in a store folder. */
export const LOCK_NAME = 'writer.lock';

/** Who holds a writer lock, as written in the lock file. */
export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly since: string;
}

interface Flock {
  flockSync(this: void, fd: number, flags: 'exnb' | 'un'): void;
}

// fs-ext is a CommonJS native addon: flock(2), which Node's fs lacks.
const { flockSync } = createRequire(import.meta.url)('fs-ext') as Flock;

/** A person-readable name of a lock holder, for error messages. */
export function describeHolder(holder: LockHolder | null, path: string): string {
  if (holder === null) return `a process that has not yet written its name (lock file ${path})`;
  return `process ${holder.pid} on host ${holder.hostname} (since ${holder.since}; lock file ${path})`;
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

/**
 * The one-writer lock of a file store folder: an exclusive `flock(2)` held on an open
 * descriptor of `writer.lock` for as long as the writer is open.
 *
 * The kernel grants the lock to one descriptor at a time and releases it when the process ends,
 * however it ends, so there is no stale lock to take over and no window in which two contenders
 * can both win. The file's content (the holder's pid, host and start time) is information for
 * error messages only; the file itself is never deleted, because a contender that opened the old
 * name would then lock a different file than the next one.
 */
export class WriterLock {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /**
   * Takes the lock of `dir`.
   * @throws StoreLockedError naming the holder when another writer holds it
   */
  static async acquire(dir: string, store: string): Promise<WriterLock> {
    const path = join(dir, LOCK_NAME);
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDWR | constants.O_CREAT);
    } catch (error) {
      throw fileFailure(error, store, path, 'open the writer lock file');
    }
    try {
      flockSync(handle.fd, 'exnb');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const text = await handle.readFile('utf8').catch(() => '');
      await handle.close();
      if (code === 'EWOULDBLOCK' || code === 'EAGAIN') {
        throw new StoreLockedError(store, describeHolder(parseHolder(text), path));
      }
      throw fileFailure(error, store, path, 'lock the writer lock file');
    }
    const me: LockHolder = {
      pid: process.pid,
      hostname: hostname(),
      since: new Date().toISOString(),
    };
    try {
      await handle.truncate(0);
      await handle.write(JSON.stringify(me), 0);
    } catch (error) {
      await handle.close();
      throw fileFailure(error, store, path, 'write the writer lock file');
    }
    return new WriterLock(path, handle);
  }

  /** Releases the lock: clears the holder's name, then lets the kernel lock go. */
  async release(): Promise<void> {
    await this.handle.truncate(0).catch(() => undefined);
    await this.handle.close().catch(() => undefined);
  }
}
