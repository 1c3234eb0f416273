import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@causeway/runtime';
import type { EventStore } from '@causeway/runtime';
import {
  eventually,
  header,
  LogBuilder,
  readAll,
  rejectionOf,
} from '../../../test/conformance/fixtures.ts';
import { openStore } from '../src/index.ts';
import { openPgliteStore } from '../src/pglite/index.ts';

describe('pglite store', () => {
  let dir: string;
  let stores: EventStore[];

  async function track<S extends EventStore>(store: Promise<S>): Promise<S> {
    const s = await store;
    stores.push(s);
    return s;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cw-pglite-'));
    stores = [];
  });

  afterEach(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a directory log after every store on it closed', async () => {
    const writer = await track(openPgliteStore(dir, { schema: 'orders' }));
    await writer.open(header(5));
    const log = new LogBuilder();
    await log.journal(writer, 1);
    await log.commitTicks(writer, 2, 3);
    await writer.close();

    const reader = await track(openPgliteStore(dir, { schema: 'orders', readOnly: true }));

    expect(await reader.open()).toEqual(header(5));
    expect(await readAll(reader)).toEqual(log.events);
    expect(await reader.lastInput()).toBe(1);
  });

  it('refuses a second writer on the same directory with CW_STORE_LOCKED', async () => {
    const first = await track(openPgliteStore(dir));
    await first.open(header());
    const second = await track(openPgliteStore(dir));

    const error = await rejectionOf(() => second.open(header()));

    expect(error).toBeCausewayError(ErrorCodes.StoreLocked);
    expect((error as Error).message).toContain('PGlite writer');
  });

  it('keeps the logs of two schemas in one directory apart, each with its own writer', async () => {
    const a = await track(openPgliteStore(dir, { schema: 'a' }));
    const b = await track(openPgliteStore(dir, { schema: 'b' }));
    await a.open(header(1));
    await b.open(header(2));
    const log = new LogBuilder();
    await log.commitTicks(a, 2, 2);

    expect(await readAll(a)).toEqual(log.events);
    expect(await readAll(b)).toEqual([]);
  });

  it('tells a watching reader of each commit, in order', async () => {
    const writer = await track(openPgliteStore(dir));
    await writer.open(header());
    const reader = await track(openPgliteStore(dir, { readOnly: true }));
    await reader.open();
    const seen: number[] = [];
    const unwatch = reader.watch((c) => seen.push(c.tick));
    const log = new LogBuilder();

    await log.commitTicks(writer, 4, 1);

    await eventually(() => expect(seen).toEqual([1, 2, 3, 4]));
    unwatch();
  });

  it('opens pglite:memory through openStore as a private in-memory log', async () => {
    const a = await track(openStore('pglite:memory'));
    const b = await track(openStore('pglite:memory'));
    await a.open(header());
    await new LogBuilder().commitTicks(a, 1, 1);

    expect(await b.open(header())).toEqual(header());
    expect(await b.lastCommit()).toBeNull();
  });

  it('opens a directory through openStore with pglite:<dir>', async () => {
    const writer = await track(openStore(`pglite:${dir}`));
    await writer.open(header());
    const log = new LogBuilder();
    await log.commitTicks(writer, 1, 2);
    await writer.close();

    const reader = await track(openStore(`pglite:${dir}`, { readOnly: true }));
    await reader.open();

    expect(await readAll(reader)).toEqual(log.events);
  });

  it.each<[string, unknown, unknown]>([
    ['an empty path (it was opened as an in-memory database)', '', {}],
    ['a blank path', '  ', {}],
    ['a number instead of a path or an instance', 5, {}],
    ["a readOnly of 'false' (a string)", 'memory://', { readOnly: 'false' }],
    ['null options', 'memory://', null],
  ])('refuses %s with CW_INVALID_ARGUMENT', async (_what, where, options) => {
    const error = await rejectionOf(() => track(openPgliteStore(where as never, options as never)));

    expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
  });

  it('refuses a path that is a file with CW_INVALID_ARGUMENT naming it, and opens it again once it is a folder', async () => {
    const path = join(dir, 'not-a-folder');
    await writeFile(path, 'x');

    const error = await rejectionOf(() => openStore(`pglite:${path}`));

    expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
    expect((error as Error).message).toContain(`${path} exists and is not a folder`);
    expect((error as Error).message).not.toContain('[object Object]');
    await rm(path);
    const store = await track(openStore(`pglite:${path}`));
    expect(await store.open(header())).toEqual(header());
  });
});
