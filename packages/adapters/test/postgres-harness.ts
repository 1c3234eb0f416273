import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { StoreHarness, StoreLocation } from '../../../test/conformance/harness.ts';
import { PostgresStore } from '../src/postgres/index.ts';
import type { PostgresStoreOptions } from '../src/postgres/index.ts';

/** A schema name no other test uses. */
export function uniqueSchema(): string {
  return `cw_test_${randomBytes(6).toString('hex')}`;
}

/** Runs `fn` on a fresh connection to `url` and closes it. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops a test schema and everything in it. */
export function dropSchema(url: string, schema: string): Promise<void> {
  return withClient(url, async (c) => {
    await c.query(`drop schema if exists "${schema}" cascade`);
  });
}

/** Places each conformance test's log in a schema of its own, dropped afterwards. */
export function postgresHarness(url: string, options: PostgresStoreOptions = {}): StoreHarness {
  return {
    name: 'postgres',
    fresh(): Promise<StoreLocation> {
      const schema = uniqueSchema();
      return Promise.resolve({
        writer: () => new PostgresStore(url, { ...options, schema }),
        reader: () => new PostgresStore(url, { ...options, schema, readOnly: true }),
        dispose: () => dropSchema(url, schema),
      });
    },
  };
}
