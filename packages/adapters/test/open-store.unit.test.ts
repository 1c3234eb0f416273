import { describe, expect, it } from 'vitest';
import { ErrorCodes, MemoryStore } from '@causeway/runtime';
import { header, LogBuilder, readAll, rejectionOf } from '../../../test/conformance/fixtures.ts';
import { openStore } from '../src/index.ts';

let names = 0;

describe('openStore', () => {
  it('opens a private memory store for memory:', async () => {
    const a = await openStore('memory:');
    const b = await openStore('memory:');
    await a.open(header());
    await new LogBuilder().commitTicks(a, 1, 1);

    expect(a).toBeInstanceOf(MemoryStore);
    expect(await b.open(header())).toEqual(header());
    expect(await b.lastCommit()).toBeNull();
  });

  it('shares the log of memory:name between stores of that name', async () => {
    const name = `open-store-${++names}`;
    const writer = await openStore(`memory:${name}`);
    await writer.open(header());
    const log = new LogBuilder();
    await log.commitTicks(writer, 2, 1);

    const reader = await openStore(`memory:${name}`, { readOnly: true });
    await reader.open();

    expect(reader.readOnly).toBe(true);
    expect(await readAll(reader)).toEqual(log.events);
  });

  it('creates a Postgres store without connecting, its description free of the password', async () => {
    const store = await openStore('postgres://app:s3cret@db.invalid:5432/app?schema=orders', {
      readOnly: true,
    });

    expect(store.readOnly).toBe(true);
    expect(store.description).toContain('schema orders');
    expect(store.description).not.toContain('s3cret');
    await store.close();
  });

  it.each([
    ['an unknown scheme', 'redis://app:s3cret@localhost:6379/0'],
    ['no scheme', './data'],
    ['a malformed Postgres URL', 'postgres://app:s3cret@[::1/app'],
    ['a memory URL with slashes', 'memory://x'],
    ['an empty file path', 'file:'],
    ['an empty PGlite path', 'pglite:'],
  ])(
    'refuses %s with CW_INVALID_STORE_URL, naming the URL without its password',
    async (_, url) => {
      const error = await rejectionOf(() => openStore(url));

      expect(error).toBeCausewayError(ErrorCodes.InvalidStoreUrl);
      const message = (error as Error).message;
      expect(message).not.toContain('s3cret');
      expect(message).toContain(url.replace('s3cret', '***'));
      expect(message).toContain('postgres://');
      expect(message).toContain('pglite:');
      expect(message).toContain('file:');
    },
  );
});
