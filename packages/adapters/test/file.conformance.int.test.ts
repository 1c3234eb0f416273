import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '@causeway/adapters/file';
import type { EventStore } from '@causeway/runtime';
import { describeStoreConformance } from '../../../test/conformance/suite.ts';

// Small segments so that the suite's larger logs span several segment files.
describeStoreConformance({
  name: 'file',
  async fresh() {
    const dir = await mkdtemp(join(tmpdir(), 'causeway-file-conformance-'));
    const stores: EventStore[] = [];
    const track = (store: EventStore): EventStore => {
      stores.push(store);
      return store;
    };
    return {
      writer: () => track(new FileStore({ dir, segmentBytes: 64 * 1024 })),
      reader: () => track(new FileStore({ dir, readOnly: true, pollMs: 10 })),
      async dispose() {
        for (const store of stores) await store.close().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

// The same contract holds when syncs are deferred: durability changes what a power loss may
// take, never what the store returns.
describeStoreConformance({
  name: 'file (durability interval)',
  async fresh() {
    const dir = await mkdtemp(join(tmpdir(), 'causeway-file-conformance-'));
    const stores: EventStore[] = [];
    const track = (store: EventStore): EventStore => {
      stores.push(store);
      return store;
    };
    return {
      writer: () => track(new FileStore({ dir, durability: 'interval', intervalMs: 5 })),
      reader: () => track(new FileStore({ dir, readOnly: true, pollMs: 10 })),
      async dispose() {
        for (const store of stores) await store.close().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});
