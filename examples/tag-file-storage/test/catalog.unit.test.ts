import { describe, expect, it } from 'vitest';
import { newEntityId } from '@causeway/runtime';
import { command, isCommandRejected, type Mediator } from '@causeway/runtime/cqrs';
import { matchFiles, parseTagExpression } from '../src/expression.ts';
import {
  AddFile,
  catalogMediator,
  catalogSystem,
  entryOf,
  RemoveFile,
  RenameFile,
  TagFile,
  UntagFile,
  type Catalog,
} from '../src/catalog.ts';

const why = 'test';
const as = { actor: 'ada' };

async function started(): Promise<Mediator<Catalog>> {
  const mediator = catalogMediator(catalogSystem());
  await mediator.start();
  return mediator;
}

async function addFile(mediator: Mediator<Catalog>, name: string, hash = 'h1'): Promise<string> {
  const { id } = await mediator.send(
    command(AddFile, newEntityId(), { name, hash, size: 1, why }, as),
  );
  return id;
}

async function tag(mediator: Mediator<Catalog>, id: string, tags: string[]): Promise<string[]> {
  const newTags: Record<string, string> = {};
  for (const t of tags) newTags[t] = newEntityId();
  return (await mediator.send(command(TagFile, id, { tags, newTags, why }, as))).tags;
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => expect.unreachable('the command was accepted'),
    (err: unknown) => (isCommandRejected(err) ? err.reason : String(err)),
  );
}

describe('catalog commands', () => {
  it('gives a name to one file when two requests add or rename to it in the same tick', async () => {
    const mediator = await started();
    const other = await addFile(mediator, 'b.txt', 'h2');

    // Sent in one turn, as two GraphQL mutations arriving together are: decided in one tick.
    const outcomes = await Promise.allSettled([
      mediator.send(
        command(AddFile, newEntityId(), { name: 'x.txt', hash: 'h3', size: 1, why }, as),
      ),
      mediator.send(
        command(AddFile, newEntityId(), { name: 'x.txt', hash: 'h4', size: 1, why }, as),
      ),
      mediator.send(command(RenameFile, other, { to: 'x.txt', why }, as)),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    const names = Object.values(mediator.system.state.files).map((f) => f.name);
    expect(names.filter((n) => n === 'x.txt')).toHaveLength(1);
    expect(names).toContain('b.txt');
  });

  it('adds a file under its name and indexes the name', async () => {
    const mediator = await started();

    const id = await addFile(mediator, 'a.txt');

    expect(mediator.system.state.files[id]).toEqual({
      name: 'a.txt',
      hash: 'h1',
      size: 1,
      tags: [],
    });
    expect(mediator.system.state.names['a.txt']).toBe(id);
  });

  it('accepts the same name with the same content again and adds nothing', async () => {
    const mediator = await started();
    const first = await addFile(mediator, 'a.txt');

    const again = await mediator.send(
      command(AddFile, newEntityId(), { name: 'a.txt', hash: 'h1', size: 1, why }, as),
    );

    expect(again).toEqual({ id: first, added: false });
    expect(Object.keys(mediator.system.state.files)).toEqual([first]);
  });

  it('rejects another content under a taken name with DUPLICATE_NAME', async () => {
    const mediator = await started();
    await addFile(mediator, 'a.txt');

    const reason = await reasonOf(addFile(mediator, 'a.txt', 'h2'));

    expect(reason).toBe('DUPLICATE_NAME');
    expect(Object.keys(mediator.system.state.files)).toHaveLength(1);
  });

  it('creates a tag entity the first time a tag is used and indexes the file under it', async () => {
    const mediator = await started();
    const id = await addFile(mediator, 'a.txt');

    const tags = await tag(mediator, id, ['photos', '2024']);

    expect(tags).toEqual(['2024', 'photos']);
    expect(
      Object.values(mediator.system.state.tags)
        .map((t) => t.name)
        .sort(),
    ).toEqual(['2024', 'photos']);
    expect(mediator.system.state.index['photos']).toEqual({ [id]: true });
  });

  it('rejects tagging an unknown file with UNKNOWN_FILE', async () => {
    const mediator = await started();

    const reason = await reasonOf(tag(mediator, newEntityId(), ['photos']));

    expect(reason).toBe('UNKNOWN_FILE');
    expect(mediator.system.state.tags).toEqual({});
  });

  it('rejects a tag named like an operator with INVALID_TAG', async () => {
    const mediator = await started();
    const id = await addFile(mediator, 'a.txt');

    const reason = await reasonOf(tag(mediator, id, ['and']));

    expect(reason).toBe('INVALID_TAG');
    expect(mediator.system.state.files[id]?.tags).toEqual([]);
  });

  it('rejects untagging a tag no file ever had with UNKNOWN_TAG', async () => {
    const mediator = await started();
    const id = await addFile(mediator, 'a.txt');

    const reason = await reasonOf(
      mediator.send(command(UntagFile, id, { tags: ['nope'], why }, as)),
    );

    expect(reason).toBe('UNKNOWN_TAG');
  });

  it('takes a tag off a file and out of the index', async () => {
    const mediator = await started();
    const id = await addFile(mediator, 'a.txt');
    await tag(mediator, id, ['photos', 'private']);

    await mediator.send(command(UntagFile, id, { tags: ['private'], why }, as));

    expect(mediator.system.state.files[id]?.tags).toEqual(['photos']);
    expect(mediator.system.state.index['private']).toEqual({});
  });

  it('renames a file and moves its name', async () => {
    const mediator = await started();
    const id = await addFile(mediator, 'a.txt');

    await mediator.send(command(RenameFile, id, { to: 'b.txt', why }, as));

    expect(mediator.system.state.names).toEqual({ 'b.txt': id });
  });

  it('rejects renaming onto a taken name with DUPLICATE_NAME', async () => {
    const mediator = await started();
    const id = await addFile(mediator, 'a.txt');
    await addFile(mediator, 'b.txt', 'h2');

    const reason = await reasonOf(mediator.send(command(RenameFile, id, { to: 'b.txt', why }, as)));

    expect(reason).toBe('DUPLICATE_NAME');
    expect(mediator.system.state.files[id]?.name).toBe('a.txt');
  });

  it('accepts renaming a file to its own name without an event', async () => {
    const mediator = await started();
    const id = await addFile(mediator, 'a.txt');

    const result = await mediator.send(command(RenameFile, id, { to: 'a.txt', why }, as));

    expect(result).toEqual({ name: 'a.txt', renamed: false });
    expect((await mediator.system.readEvents({ type: 'FileRenamed' })).items).toEqual([]);
  });

  it('removes a file from the files, the names and the tag index', async () => {
    const mediator = await started();
    const id = await addFile(mediator, 'a.txt');
    await tag(mediator, id, ['photos']);

    await mediator.send(command(RemoveFile, id, { why }, as));

    expect(mediator.system.state.files).toEqual({});
    expect(mediator.system.state.names).toEqual({});
    expect(mediator.system.state.index['photos']).toEqual({});
  });

  it('rejects removing an unknown file with UNKNOWN_FILE', async () => {
    const mediator = await started();

    const reason = await reasonOf(mediator.send(command(RemoveFile, newEntityId(), { why }, as)));

    expect(reason).toBe('UNKNOWN_FILE');
  });

  it('keeps every file in the index when two commands of one tick create the same tag', async () => {
    const mediator = await started();
    const a = await addFile(mediator, 'a.txt');
    const b = await addFile(mediator, 'b.txt', 'h2');

    await Promise.all([tag(mediator, a, ['x']), tag(mediator, b, ['x'])]);

    expect(mediator.system.state.index['x']).toEqual({ [a]: true, [b]: true });
  });

  it('takes names and tags that objects inherit (constructor, toString) as any others', async () => {
    const mediator = await started();
    const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const ids: string[] = [];
    for (const name of names) ids.push(await addFile(mediator, name, `h-${name}`));
    const [first] = ids as [string];

    expect(await tag(mediator, first, ['constructor', 'toString'])).toEqual([
      'constructor',
      'toString',
    ]);
    await mediator.send(command(RenameFile, ids[1] as string, { to: 'valueOf2', why }, as));
    await mediator.send(command(UntagFile, first, { tags: ['toString'], why }, as));

    const state = mediator.system.state;
    expect(Object.keys(state.names).sort()).toEqual(
      ['constructor', 'hasOwnProperty', 'valueOf', 'valueOf2'].sort(),
    );
    expect(state.names['constructor']).toBe(first);
    expect(state.index['constructor']).toEqual({ [first]: true });
    expect(entryOf(state.index, 'toString')).toEqual({});
    expect(Object.keys(state.tagNames).sort()).toEqual(['constructor', 'toString']);
    const found = matchFiles('constructor', parseTagExpression('constructor'), state.index, () =>
      Object.keys(state.files),
    );
    expect([...found]).toEqual([first]);
    // Nothing was written into what the tables inherit.
    expect(Object.keys(Object)).toEqual([]);
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(
      await reasonOf(
        mediator.send(
          command(AddFile, newEntityId(), { name: 'constructor', hash: 'other', size: 1, why }, as),
        ),
      ),
    ).toBe('DUPLICATE_NAME');
  });

  it('refuses the name and the tag __proto__, which a plain object cannot hold as a key', async () => {
    const mediator = await started();
    const id = await addFile(mediator, 'a.txt');

    const add = command(AddFile, newEntityId(), { name: '__proto__', hash: 'h', size: 1, why }, as);
    const rename = command(RenameFile, id, { to: '__proto__', why }, as);

    expect(await reasonOf(mediator.send(add))).toBe('INVALID_NAME');
    expect(await reasonOf(mediator.send(rename))).toBe('INVALID_NAME');
    expect(await reasonOf(tag(mediator, id, ['__proto__']))).toBe('INVALID_TAG');
    expect(Object.keys(mediator.system.state.names)).toEqual(['a.txt']);
    // The system took all three refusals and goes on.
    expect(await tag(mediator, id, ['ok'])).toEqual(['ok']);
  });
});
