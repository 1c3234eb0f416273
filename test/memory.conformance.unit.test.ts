import { MemoryStore } from '@causeway/runtime';
import { describeStoreConformance } from './conformance/suite.ts';

let logs = 0;

// Named memory stores share one log per name within the process, so each test gets a new name.
describeStoreConformance({
  name: 'memory',
  fresh() {
    const name = `conformance-${++logs}`;
    return Promise.resolve({
      writer: () => new MemoryStore({ name }),
      reader: () => new MemoryStore({ name, readOnly: true }),
      dispose: () => Promise.resolve(),
    });
  },
});
