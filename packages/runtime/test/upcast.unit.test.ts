import {
  defineEvent,
  ErrorCodes,
  EventSystem,
  input,
  MemoryStore,
  rebuild,
  reexecute,
  type EventStore,
  type Table,
} from '@causeway/runtime';
import { defineCommand } from '@causeway/runtime/cqrs';
import { testEntityId } from '@causeway/runtime/testing';
import { describe, expect, it } from 'vitest';

interface Names {
  names: Table<string>;
  greeted: Table<string>;
}

// Version 1 called the field `title`; version 2 calls it `name`, and version 3 adds `lang`.
const RenamedV1 = defineEvent<{ title: string }, 'Renamed'>('Renamed', { entity: 'new' });
const RenamedV2 = defineEvent<{ name: string }, 'Renamed'>('Renamed', {
  entity: 'new',
  version: 2,
  upcast: { 1: (old) => ({ name: (old as { title: string }).title }) },
});
const RenamedV3NoStep1 = defineEvent<{ name: string; lang: string }, 'Renamed'>('Renamed', {
  entity: 'new',
  version: 3,
  upcast: { 2: (old) => ({ ...(old as { name: string }), lang: 'en' }) },
});
const Greeted = defineEvent<{ text: string }, 'Greeted'>('Greeted', { entity: 'existing' });

const at = 1_700_000_000_000;
const ada = testEntityId(1, at);
const bob = testEntityId(2, at);

function oldCode(store: EventStore): EventSystem<Names> {
  const system = new EventSystem<Names>({
    seed: 3,
    store,
    initialState: { names: {}, greeted: {} },
  });
  system.apply(RenamedV1, (draft, e) => {
    draft.names[e.entity] = e.data.title;
  });
  system.subscribe(RenamedV1, function greet(e, ctx) {
    ctx.emit(Greeted, e.entity, { text: `hello ${e.data.title}` });
  });
  system.apply(Greeted, (draft, e) => {
    draft.greeted[e.entity] = e.data.text;
  });
  return system;
}

const seen: unknown[] = [];

function newCode(store: EventStore): EventSystem<Names> {
  const system = new EventSystem<Names>({
    seed: 3,
    store,
    initialState: { names: {}, greeted: {} },
  });
  system.apply(RenamedV2, (draft, e) => {
    seen.push(e.data);
    draft.names[e.entity] = e.data.name;
  });
  system.subscribe(RenamedV2, function greet(e, ctx) {
    ctx.emit(Greeted, e.entity, { text: `hello ${e.data.name}` });
  });
  system.apply(Greeted, (draft, e) => {
    draft.greeted[e.entity] = e.data.text;
  });
  return system;
}

async function oldLog(): Promise<MemoryStore> {
  const store = new MemoryStore();
  const system = oldCode(store);
  await system.tick([input(RenamedV1, ada, { title: 'Ada' }, 'ada')], { at });
  return store;
}

describe('schema evolution', () => {
  it('an old log opened by new code reads as the new shape', async () => {
    const store = await oldLog();
    seen.length = 0;

    const system = newCode(store);
    await system.open();
    const events = (await system.readEvents()).items;

    expect(system.state.names).toEqual({ [ada]: 'Ada' });
    expect(seen).toEqual([{ name: 'Ada' }]);
    expect(events[0]).toMatchObject({ type: 'Renamed', version: 2, data: { name: 'Ada' } });
    const raw = (await store.readEvents()).items[0];
    expect(raw).toMatchObject({ version: 1, data: { title: 'Ada' } }); // the log is never rewritten
  });

  it('new code continues an old log, upcasting inputs journaled by the old code', async () => {
    const store = await oldLog();
    const old = oldCode(store);
    await old.accept([input(RenamedV1, bob, { title: 'Bob' }, 'bob')]);

    const system = newCode(store);
    const { events } = await system.tick([], { at: at + 1000 });

    expect(events.map((e): unknown[] => [e.type, e.version, e.data as unknown])).toEqual([
      ['Renamed', 2, { name: 'Bob' }],
      ['Greeted', 1, { text: 'hello Bob' }],
    ]);
  });

  it('rebuild and reexecute of an old log by new code agree with the log', async () => {
    const store = await oldLog();

    const rebuilt = await rebuild(store, newCode);
    const check = await reexecute(store, newCode);

    expect(rebuilt.hash).toBe((await store.lastCommit())?.hash);
    expect(check).toEqual({ ok: true, ticks: 1, events: 2 });
  });

  it('a missing upcaster is a CW_MISSING_UPCASTER error naming the type and versions', async () => {
    const store = await oldLog();
    const system = new EventSystem({ seed: 3, store, events: [RenamedV3NoStep1, Greeted] });

    const error = await system.open().catch((e: unknown) => e);

    expect(error).toMatchObject({
      code: ErrorCodes.MissingUpcaster,
      details: { type: 'Renamed', from: 1, to: 3, missing: 1 },
    });
    expect((error as Error).message).toContain(
      'A stored "Renamed" event has version 1 but there is no upcaster from version 1 to 2',
    );
    expect((error as Error).message).toContain('upcast: { 1: (old) => new }');
  });

  it('a stored version newer than the code is a CW_MISSING_UPCASTER error', async () => {
    const store = new MemoryStore();
    await newCode(store).tick([input(RenamedV2, ada, { name: 'Ada' }, 'ada')], { at });

    const error = await oldCode(store)
      .open()
      .catch((e: unknown) => e);

    expect(error).toMatchObject({
      code: ErrorCodes.MissingUpcaster,
      details: { type: 'Renamed', from: 2, to: 1 },
    });
    expect((error as Error).message).toContain('newer than this code');
  });

  it('an upcaster keyed outside 1 … version - 1 is refused when the type is declared', () => {
    expect(() =>
      defineEvent('Renamed', { entity: 'new', version: 2, upcast: { 2: (x) => x } }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidEventType }) as Error);
  });

  it('a command upcaster that is not a function is refused when the command is declared', () => {
    const notAFunction = 'title => name' as unknown as (payload: unknown) => unknown;

    expect(() => defineCommand('Rename', { version: 2, upcast: { 1: notAFunction } })).toThrow(
      expect.objectContaining({ code: ErrorCodes.InvalidEventType }) as Error,
    );
  });
});
