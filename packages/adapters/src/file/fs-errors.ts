import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CausewayError, ErrorCodes } from '@causeway/runtime';
import type { ErrorCode } from '@causeway/runtime';

/** What each operating-system error means for a store folder, and what the user can do. */
const ADVICE: Readonly<Record<string, { readonly code: ErrorCode; readonly says: string }>> = {
  ENOSPC: {
    code: ErrorCodes.StoreUnavailable,
    says: 'the disk is full. Free space on that disk (or give the store a folder on another) and open the store again',
  },
  EDQUOT: {
    code: ErrorCodes.StoreUnavailable,
    says: "the user's disk quota is used up. Free space or raise the quota, and open the store again",
  },
  EROFS: {
    code: ErrorCodes.StoreUnavailable,
    says: 'the file system is mounted read-only. Open the store with readOnly: true to read it, or remount the file system writable',
  },
  EACCES: {
    code: ErrorCodes.StoreUnavailable,
    says: 'permission was denied. Give this process write access to the folder, or open the store with readOnly: true',
  },
  EPERM: {
    code: ErrorCodes.StoreUnavailable,
    says: 'the operation is not permitted. Give this process write access to the folder, or open the store with readOnly: true',
  },
  EISDIR: {
    code: ErrorCodes.StoreUnavailable,
    says: "a folder has the name of one of the store's files. Move that folder out of the store folder, then open the store again",
  },
  ENOENT: {
    code: ErrorCodes.InvalidArgument,
    says: 'a folder on the way does not exist and could not be made. Create the parent folder, or give a path whose parent exists',
  },
  EEXIST: {
    code: ErrorCodes.InvalidArgument,
    says: 'the path exists and is not a folder. Give the path of a folder (or of one to create)',
  },
  ENOTDIR: {
    code: ErrorCodes.InvalidArgument,
    says: 'a part of the path is a file, not a folder. Give the path of a folder (or of one to create)',
  },
  EMFILE: {
    code: ErrorCodes.StoreUnavailable,
    says: 'this process has too many open files. Close stores it no longer uses, or raise its limit (ulimit -n)',
  },
  EIO: {
    code: ErrorCodes.StoreUnavailable,
    says: "the disk reported an I/O error. Check the disk and the system's log before opening the store again",
  },
};

/** What a reader (a read-only open, `check`) is told: it needs no write access. */
const READ_ADVICE: Readonly<Record<string, { readonly code: ErrorCode; readonly says: string }>> = {
  EACCES: {
    code: ErrorCodes.StoreUnavailable,
    says: "permission was denied. Give this process read access to the store's folder and files",
  },
  EPERM: {
    code: ErrorCodes.StoreUnavailable,
    says: "the operation is not permitted. Give this process read access to the store's folder and files",
  },
};

/**
 * The error for a file-system call on a store's folder that failed: a `CausewayError` that
 * names the store, the path, what was being done and what to do, with the OS error as its
 * cause (and its errno name in `details.errno`). An error that already is a Causeway error
 * passes through. `access` is what the call needed: a reader is not told to open read-only.
 */
export function fileFailure(
  error: unknown,
  store: string,
  path: string,
  action: string,
  access: 'read' | 'write' = 'write',
): CausewayError {
  if (error instanceof CausewayError) return error;
  const errno = (error as NodeJS.ErrnoException | null)?.code ?? 'unknown';
  const advice = (access === 'read' ? READ_ADVICE[errno] : undefined) ?? ADVICE[errno];
  const says =
    advice?.says ??
    `the operating system refused (${String(error)}). Check the path and the disk, then open the store again`;
  return new CausewayError(
    advice?.code ?? ErrorCodes.StoreUnavailable,
    `Could not ${action} for ${store} at ${path} (${errno}): ${says}.`,
    { store, path, errno },
    { cause: error },
  );
}

/**
 * Creates the store folder `dir` and its missing parents.
 * @throws CausewayError from {@link fileFailure} naming the real cause: a recursive `mkdir`
 * reports `ENOENT` when a parent cannot be made (on a read-only mount, say), so the parents are
 * then made one at a time to find the call that failed and why.
 */
export async function makeStoreFolder(dir: string, store: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw fileFailure(error, store, dir, 'create the store folder');
    }
  }
  const chain: string[] = [];
  for (let at = dir; dirname(at) !== at; at = dirname(at)) chain.unshift(at);
  for (const folder of chain) {
    try {
      await mkdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw fileFailure(error, store, dir, `create the store folder (making ${folder})`);
    }
  }
}

/**
 * The path a file system error names, or `dir` when it names none (a read through a
 * descriptor); undefined for an error that is not the file system's.
 */
export function pathOf(error: unknown, dir: string): string | undefined {
  if (error instanceof CausewayError || !(error instanceof Error)) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string') return undefined;
  return typeof path === 'string' ? path : dir;
}
