import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { openStore } from '@causeway/adapters';
import type { EventSystem } from '@causeway/runtime';
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
