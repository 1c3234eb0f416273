import { PGlite } from '@electric-sql/pglite';
import { afterAll } from 'vitest';
import { describeStoreConformance } from '../../../test/conformance/suite.ts';
import { PgliteStore } from '../src/pglite/index.ts';

let logs = 0;
// One in-memory PGlite for the file (starting one takes about a second), owned here so that
// closing every store of a log (to reopen it) does not throw the database away; each test's
// log is a schema of its own, dropped afterwards.
let shared: Promise<PGlite> | undefined;

afterAll(async () => {
  await (await shared)?.close();
});

describeStoreConformance({
  name: 'pglite',
  async fresh() {
    shared ??= PGlite.create();
    const db = await shared;
    const schema = `cw_conformance_${++logs}`;
    return {
      writer: () => new PgliteStore(db, 'pglite:memory', { schema }),
      reader: () => new PgliteStore(db, 'pglite:memory', { schema, readOnly: true }),
      dispose: async () => {
        await db.query(`drop schema if exists "${schema}" cascade`);
      },
    };
  },
});
