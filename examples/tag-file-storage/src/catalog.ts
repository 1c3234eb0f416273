import {
  defineEvent,
  EventSystem,
  MemoryStore,
  type EventStore,
  type Table,
} from '@causeway/runtime';
import { defineCommand, defineQuery, Mediator } from '@causeway/runtime/cqrs';

/** A file in the catalog: its name (unique), the blob it points at, and its tags. */
export interface CatalogFile {
  name: string;
  /** sha-256 of the content, hex: the blob's address under the data folder. */
  hash: string;
  size: number;
  /** Tag names, sorted. */
  tags: string[];
}

/**
 * The catalog's state. `files` and `tags` are the entities; `names`, `tagNames` and `index`
 * are inline read models kept by the same appliers: a name lookup, and the tag index that
 * answers finds without scanning files (tag name to the set of file ids that carry it).
 */
export interface Catalog {
  files: Table<CatalogFile>;
  names: Table<string>;
  tags: Table<{ name: string }>;
  tagNames: Table<string>;
  index: Table<Table<true>>;
}

/**
 * The entry of `table` under `key`, or undefined: the table's own entries only. Names and tags
 * come from users, and a plain object answers a key such as `constructor` from its prototype:
 * an applier that took that for an entry and wrote into it would change `Object` itself.
 */
export function entryOf<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The catalog's state as the system exposes it: read only. */
export type CatalogState = EventSystem<Catalog>['state'];

/** A file entered the catalog. */
export const FileAdded = defineEvent<
  { name: string; hash: string; size: number; why: string },
  'FileAdded'
>('FileAdded', { entity: 'new' });
/** A tag came into being (the first time a file was given it). */
export const TagCreated = defineEvent<{ name: string }, 'TagCreated'>('TagCreated', {
  entity: 'new',
});
/** A file was given tags. */
export const FileTagged = defineEvent<{ tags: string[]; why: string }, 'FileTagged'>('FileTagged', {
  entity: 'existing',
});
/** Tags were taken off a file. */
export const FileUntagged = defineEvent<{ tags: string[]; why: string }, 'FileUntagged'>(
  'FileUntagged',
  { entity: 'existing' },
);
/** A file got a new name. */
export const FileRenamed = defineEvent<{ from: string; to: string; why: string }, 'FileRenamed'>(
  'FileRenamed',
  { entity: 'existing' },
);
/** A file left the catalog (its blob stays: other files may share it). */
export const FileRemoved = defineEvent<{ name: string; why: string }, 'FileRemoved'>(
  'FileRemoved',
  { entity: 'existing' },
);

/** What every command carries besides its own fields: the user's reason, for `history`. */
interface Why {
  why: string;
}

/**
 * Adds a file under a name. Adding the same name with the same content again is accepted and
 * changes nothing (result `added: false`): that is what makes an interrupted import resumable.
 */
export const AddFile = defineCommand<
  { name: string; hash: string; size: number } & Why,
  { id: string; added: boolean },
  'DUPLICATE_NAME' | 'INVALID_NAME',
  'AddFile'
>('AddFile');
/** Gives a file tags; `newTags` carries a client-made id for every tag name not seen yet. */
export const TagFile = defineCommand<
  { tags: string[]; newTags: Table<string> } & Why,
  { tags: string[] },
  'UNKNOWN_FILE' | 'INVALID_TAG',
  'TagFile'
>('TagFile');
/** Takes tags off a file; each must exist and be on the file. */
export const UntagFile = defineCommand<
  { tags: string[] } & Why,
  { tags: string[] },
  'UNKNOWN_FILE' | 'UNKNOWN_TAG' | 'NOT_TAGGED',
  'UntagFile'
>('UntagFile');
/** Renames a file; to its own name, it changes nothing (`renamed: false`). */
export const RenameFile = defineCommand<
  { to: string } & Why,
  { name: string; renamed: boolean },
  'UNKNOWN_FILE' | 'DUPLICATE_NAME' | 'INVALID_NAME',
  'RenameFile'
>('RenameFile');
/** Removes a file from the catalog. */
export const RemoveFile = defineCommand<Why, { name: string }, 'UNKNOWN_FILE', 'RemoveFile'>(
  'RemoveFile',
);

/** The file id a name points at, or null. */
export const FileByName = defineQuery<{ name: string }, string | null>('FileByName');

/** The commands of the catalog, for registration and for GraphQL. */
export const catalogCommands = [AddFile, TagFile, UntagFile, RenameFile, RemoveFile] as const;

// The one key a plain object (the catalog's small tables) cannot hold as an entry: writing it
// sets the object's prototype.
const PROTO = '__proto__';
const PROTO_PROBLEM = (what: string, name: string): string =>
  `${what} ${JSON.stringify(name)} is reserved: JavaScript objects, which the catalog's indexes are, cannot hold it as a key. Pick another.`;

/** Tag names: letters, digits, `-`, `_`, `.`, `:`; not the operator words of find expressions. */
const TAG = /^[\p{L}\p{N}_.:-]+$/u;
const RESERVED = new Set(['and', 'or', 'not']);

/** Why `tag` is not a usable tag name, or null when it is. */
export function tagProblem(tag: string): string | null {
  if (!TAG.test(tag))
    return `Tag ${JSON.stringify(tag)} has characters other than letters, digits, "-", "_", "." and ":".`;
  if (RESERVED.has(tag.toLowerCase()))
    return `Tag ${JSON.stringify(tag)} is an operator of find expressions; pick another word.`;
  if (tag === PROTO) return PROTO_PROBLEM('Tag', tag);
  return null;
}

function nameProblem(name: string): string | null {
  if (name === '' || name.length > 1024 || name.includes('\0'))
    return `File name ${JSON.stringify(name)} is empty, too long or has a NUL character.`;
  if (name === PROTO) return PROTO_PROBLEM('File name', name);
  return null;
}

function initialCatalog(): Catalog {
  return { files: {}, names: {}, tags: {}, tagNames: {}, index: {} };
}

/** The catalog's event system on `store`, with its appliers (the inline read models). */
export function catalogSystem(
  store: EventStore = new MemoryStore(),
  options: { patches?: boolean } = {},
): EventSystem<Catalog> {
  const system = new EventSystem<Catalog>({
    seed: 1,
    store,
    initialState: initialCatalog(),
    events: [FileAdded, TagCreated, FileTagged, FileUntagged, FileRenamed, FileRemoved],
    snapshotEvery: 200,
    ...(options.patches === undefined ? {} : { patches: options.patches }),
  });
  system.apply(FileAdded, (d, e) => {
    d.files[e.entity] = { name: e.data.name, hash: e.data.hash, size: e.data.size, tags: [] };
    d.names[e.data.name] = e.entity;
  });
  system.apply(TagCreated, (d, e) => {
    // Handlers of one tick decide from the state the tick started with, so two commands of a
    // tick may both create a tag: the first id stays the tag's, and the index is kept.
    d.tags[e.entity] = { name: e.data.name };
    if (!Object.hasOwn(d.tagNames, e.data.name)) d.tagNames[e.data.name] = e.entity;
    if (!Object.hasOwn(d.index, e.data.name)) d.index[e.data.name] = {};
  });
  system.apply(FileTagged, (d, e) => {
    const file = d.files[e.entity];
    if (file === undefined) return;
    for (const tag of e.data.tags) {
      if (!file.tags.includes(tag)) file.tags.push(tag);
      const files = entryOf(d.index, tag) ?? (d.index[tag] = {});
      files[e.entity] = true;
    }
    file.tags.sort();
  });
  system.apply(FileUntagged, (d, e) => {
    const file = d.files[e.entity];
    if (file === undefined) return;
    file.tags = file.tags.filter((t) => !e.data.tags.includes(t));
    for (const tag of e.data.tags) delete entryOf(d.index, tag)?.[e.entity];
  });
  system.apply(FileRenamed, (d, e) => {
    const file = d.files[e.entity];
    if (file === undefined) return;
    delete d.names[e.data.from];
    d.names[e.data.to] = e.entity;
    file.name = e.data.to;
  });
  system.apply(FileRemoved, (d, e) => {
    const file = d.files[e.entity];
    if (file === undefined) return;
    for (const tag of file.tags) delete entryOf(d.index, tag)?.[e.entity];
    delete d.names[file.name];
    delete d.files[e.entity];
  });
  return system;
}

/** The catalog's mediator over `system`: every command's handler decides from state. */
export function catalogMediator(system: EventSystem<Catalog>): Mediator<Catalog> {
  const mediator = new Mediator(system, { commands: [...catalogCommands] })
    .handle(AddFile, (cmd, ctx) => {
      const { name, hash, size, why } = cmd.payload;
      const problem = nameProblem(name);
      if (problem !== null) return ctx.reject('INVALID_NAME', problem, { name });
      const holder = entryOf(ctx.state.names, name);
      if (holder !== undefined) {
        if (ctx.state.files[holder]?.hash === hash) return { id: holder, added: false };
        return ctx.reject(
          'DUPLICATE_NAME',
          `A different file is already named ${JSON.stringify(name)}. Rename one of them (tagfs rename) or remove it (tagfs rm) first.`,
          { name, id: holder },
        );
      }
      ctx.emit(FileAdded, cmd.entity, { name, hash, size, why });
      return { id: cmd.entity, added: true };
    })
    .handle(TagFile, (cmd, ctx) => {
      const file = ctx.state.files[cmd.entity];
      if (file === undefined)
        return ctx.reject('UNKNOWN_FILE', `No file has id ${cmd.entity}.`, { id: cmd.entity });
      for (const tag of cmd.payload.tags) {
        const problem = tagProblem(tag);
        if (problem !== null) return ctx.reject('INVALID_TAG', problem, { tag });
      }
      const fresh = [...new Set(cmd.payload.tags)].filter((t) => !file.tags.includes(t)).sort();
      for (const tag of fresh) {
        if (entryOf(ctx.state.tagNames, tag) !== undefined) continue;
        const id = entryOf(cmd.payload.newTags, tag);
        if (id === undefined)
          return ctx.reject('INVALID_TAG', `Tag ${JSON.stringify(tag)} is new but has no id.`, {
            tag,
          });
        ctx.emit(TagCreated, id, { name: tag });
      }
      if (fresh.length > 0) ctx.emit(FileTagged, cmd.entity, { tags: fresh, why: cmd.payload.why });
      return { tags: [...new Set([...file.tags, ...fresh])].sort() };
    })
    .handle(UntagFile, (cmd, ctx) => {
      const file = ctx.state.files[cmd.entity];
      if (file === undefined)
        return ctx.reject('UNKNOWN_FILE', `No file has id ${cmd.entity}.`, { id: cmd.entity });
      const tags = [...new Set(cmd.payload.tags)].sort();
      for (const tag of tags) {
        if (entryOf(ctx.state.tagNames, tag) === undefined)
          return ctx.reject('UNKNOWN_TAG', `No file has ever been tagged ${JSON.stringify(tag)}.`, {
            tag,
          });
        if (!file.tags.includes(tag))
          return ctx.reject(
            'NOT_TAGGED',
            `${JSON.stringify(file.name)} is not tagged ${JSON.stringify(tag)}; its tags are ${file.tags.join(', ') || '(none)'}.`,
            { tag, tags: [...file.tags] },
          );
      }
      ctx.emit(FileUntagged, cmd.entity, { tags, why: cmd.payload.why });
      return { tags: file.tags.filter((t) => !tags.includes(t)) };
    })
    .handle(RenameFile, (cmd, ctx) => {
      const file = ctx.state.files[cmd.entity];
      if (file === undefined)
        return ctx.reject('UNKNOWN_FILE', `No file has id ${cmd.entity}.`, { id: cmd.entity });
      const problem = nameProblem(cmd.payload.to);
      if (problem !== null) return ctx.reject('INVALID_NAME', problem, { name: cmd.payload.to });
      // Like adding the same file again or giving a tag it has, naming a file what it is
      // already named is accepted and records nothing.
      if (file.name === cmd.payload.to) return { name: file.name, renamed: false };
      if (entryOf(ctx.state.names, cmd.payload.to) !== undefined)
        return ctx.reject(
          'DUPLICATE_NAME',
          `A file is already named ${JSON.stringify(cmd.payload.to)}.`,
          { name: cmd.payload.to },
        );
      ctx.emit(FileRenamed, cmd.entity, {
        from: file.name,
        to: cmd.payload.to,
        why: cmd.payload.why,
      });
      return { name: cmd.payload.to, renamed: true };
    })
    .handle(RemoveFile, (cmd, ctx) => {
      const file = ctx.state.files[cmd.entity];
      if (file === undefined)
        return ctx.reject('UNKNOWN_FILE', `No file has id ${cmd.entity}.`, { id: cmd.entity });
      ctx.emit(FileRemoved, cmd.entity, { name: file.name, why: cmd.payload.why });
      return { name: file.name };
    });
  mediator.handleQuery(FileByName, ({ name }, { state }) => entryOf(state.names, name) ?? null);
  return mediator;
}
