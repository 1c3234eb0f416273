import { mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openStore } from '@causeway/adapters';
import { CausewayError, ErrorCodes, type EventSystem } from '@causeway/runtime';
import type { Mediator } from '@causeway/runtime/cqrs';
import { BlobFolder } from './blobs.ts';
import { catalogMediator, catalogSystem, type Catalog } from './catalog.ts';

/** Where a catalog lives: the data folder (blobs) and the store URL (the log). */
export interface CatalogPlace {
  readonly data: string;
  readonly store: string;
}

/** An open catalog: its system, mediator and blob folder. */
export interface OpenCatalog {
  readonly system: EventSystem<Catalog>;
  readonly mediator: Mediator<Catalog>;
  readonly blobs: BlobFolder;
  close(): Promise<void>;
}

/** The default store of a data folder: the file store in its `catalog` subfolder. */
export function defaultStoreUrl(data: string): string {
  return `file:${resolve(data, 'catalog')}`;
}

/**
 * Refuses a data folder that cannot be one: a path that is, or lies inside, a regular file
 * (`--data notes.txt`), or whose `blobs` is a file. Checked before anything is created, so the
 * refusal writes nothing and names the file rather than quoting the system's `ENOTDIR`.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming the file and what to pass instead.
 */
export function checkDataFolder(data: string): void {
  const folder = resolve(data);
  const blobs = resolve(folder, 'blobs');
  if (statOf(blobs)?.isDirectory() === false) refuse(folder, blobs);
  // The nearest path that exists, the folder itself or one above it, must be a folder.
  for (let path = folder; ; path = dirname(path)) {
    const stat = statOf(path);
    if (stat !== undefined) {
      if (!stat.isDirectory()) refuse(folder, path);
      return;
    }
    if (dirname(path) === path) return;
  }
}

/** What is at `path`, or undefined when nothing is (a missing path, or one under a file). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function refuse(folder: string, file: string): never {
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    `Cannot use ${JSON.stringify(folder)} as the data folder: ${JSON.stringify(file)} is a file, not a folder. Pass --data <folder> (or set $TAGFS_DATA) naming a folder, or a path where one can be made; nothing was written.`,
    { data: folder, file },
  );
}

/**
 * Opens the catalog: the store named by the URL, rebuilt to its last commit, and the blob
 * folder. A file store is opened as the single writer; a second writer is refused by its lock.
 * With `readOnly` (the commands that only read) it is opened as a reader: no lock, nothing
 * written or created, so it can read while another tagfs (`serve`) writes.
 */
export async function openCatalog(
  place: CatalogPlace,
  options: { patches?: boolean; readOnly?: boolean } = {},
): Promise<OpenCatalog> {
  const readOnly = options.readOnly === true;
  checkDataFolder(place.data);
  if (!readOnly) mkdirSync(resolve(place.data, 'blobs'), { recursive: true });
  const store = await openStore(place.store, { readOnly });
  const system = catalogSystem(
    store,
    options.patches === undefined ? {} : { patches: options.patches },
  );
  const mediator = catalogMediator(system);
  try {
    await system.open();
    await mediator.start();
  } catch (err) {
    await system.close().catch(() => undefined);
    throw err;
  }
  return {
    system,
    mediator,
    blobs: new BlobFolder(resolve(place.data, 'blobs')),
    close: () => system.close(),
  };
}
