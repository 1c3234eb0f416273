import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore, type FileStoreOptions } from '@causeway/adapters/file';
import type { EventStore } from '@causeway/runtime';
import type { StoreHarness } from '../../../test/conformance/harness.ts';
import { describeStoreConformance } from '../../../test/conformance/suite.ts';

/** A harness whose writers use `writer` options, each log in a fresh temp folder. */
function fileHarness(name: string, writer: Omit<FileStoreOptions, 'dir'>): StoreHarness {
  return {
    name,
    async fresh() {
      const dir = await mkdtemp(join(tmpdir(), 'causeway-file-conformance-'));
      const stores: EventStore[] = [];
      const track = (store: EventStore): EventStore => {
        stores.push(store);
        return store;
      };
      return {
        writer: () => track(new FileStore({ dir, ...writer })),
        reader: () => track(new FileStore({ dir, readOnly: true, pollMs: 10 })),
        async dispose() {
          for (const store of stores) await store.close().catch(() => undefined);
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

// Small segments so that the suite's larger logs span several segment files.
describeStoreConformance(fileHarness('file', { segmentBytes: 64 * 1024 }));

// The same contract holds when syncs are deferred: durability changes what a power loss may
// take, never what the store returns.
describeStoreConformance(
  fileHarness('file (durability interval)', { durability: 'interval', intervalMs: 5 }),
);
