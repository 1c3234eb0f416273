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

  it.each([
    ['a host instead of a folder', 'file://data'],
    ['a relative folder after //', 'file://./data'],
    ['a remote host', 'file://server/srv/data'],
    ['nothing after //', 'file://'],
    ['a query', 'file:///srv/data?readOnly=true'],
    ['a fragment', 'file:///srv/data#x'],
  ])('refuses a file URL with %s with CW_INVALID_STORE_URL', async (_, url) => {
    const error = await rejectionOf(() => openStore(url));

    expect(error).toBeCausewayError(ErrorCodes.InvalidStoreUrl);
    expect((error as Error).message).toContain(JSON.stringify(url));
    expect((error as Error).message).toContain('file:./data');
  });

  it('opens file://localhost/… and file:///… as the absolute folder they name', async () => {
    const local = await openStore('file://localhost/srv/causeway%20data', { readOnly: true });
    const plain = await openStore('file:///srv/causeway%20data', { readOnly: true });

    expect(local.description).toBe('file:/srv/causeway data');
    expect(plain.description).toBe('file:/srv/causeway data');
  });

  it.each([
    ['a "/" in the password', 'postgres://app:s3/cret@db.invalid/app', 's3/cret'],
    ['a "#" in the password', 'postgres://app:s3#cret@db.invalid/app', 's3#cret'],
    ['a "?" in the password', 'postgres://app:s3?cret@db.invalid/app', 's3?cret'],
    ['an "@" in the password', 'redis://app:s3@cret@db.invalid/0', 's3@cret'],
  ])('never shows a password with %s in its error or description', async (_, url, password) => {
    let shown: string;
    try {
      const store = await openStore(url, { readOnly: true });
      shown = store.description;
      await store.close();
    } catch (error) {
      expect(error).toBeCausewayError(ErrorCodes.InvalidStoreUrl);
      shown = `${(error as Error).message} ${JSON.stringify((error as { details?: unknown }).details)}`;
    }

    expect(shown).not.toContain(password);
    expect(shown).not.toContain('cret');
    expect(shown).toContain('db.invalid');
  });

  it('hides what may be the password of a Postgres URL whose password is digits before a "/"', async () => {
    // It parses as host "app", port 123 and a path: what may be a password is hidden anyway.
    const store = await openStore('postgres://app:123/x@db.invalid/app', { readOnly: true });

    expect(store.description).not.toContain('123/x');
    await store.close();
  });

  it.each(['information_schema', 'pg_catalog', 'pg_log'])(
    'refuses the Postgres system schema name %s with CW_INVALID_ARGUMENT, before connecting',
    async (schema) => {
      const error = await rejectionOf(() =>
        openStore(`postgres://app@db.invalid:5432/app?schema=${schema}`),
      );

      expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
      expect((error as Error).message).toContain(`"${schema}" is reserved`);
    },
  );

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
  ])('refuses a URL that is %s with CW_INVALID_STORE_URL', async (_, url) => {
    const error = await rejectionOf(() => openStore(url as unknown as string));

    expect(error).toBeCausewayError(ErrorCodes.InvalidStoreUrl);
    expect((error as Error).message).toContain('not a string');
  });

  it('treats null options as none', async () => {
    const store = await openStore('memory:', null as unknown as undefined);

    expect(store.readOnly).toBe(false);
  });

  it.each([
    ['"yes"', 'yes'],
    ['1', 1],
  ])('refuses a readOnly of %s with CW_INVALID_ARGUMENT', async (_, readOnly) => {
    const error = await rejectionOf(() =>
      openStore('memory:', { readOnly } as unknown as { readOnly?: boolean }),
    );

    expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
  });
});
