import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { SignJWT } from 'jose';
import {
  commandField,
  connectionArgs,
  connectionType,
  serveGraphql,
  toConnection,
  toGraphqlError,
  type ConnectionArgs,
  type GraphqlContext,
  type GraphqlServer,
} from '@causeway/adapters/graphql';
import { newEntityId } from '@causeway/runtime';
import type { Mediator } from '@causeway/runtime/cqrs';
import {
  AddFile,
  entryOf,
  RemoveFile,
  RenameFile,
  TagFile,
  UntagFile,
  type Catalog,
  type CatalogState,
} from './catalog.ts';
import { matchFiles, parseTagExpression } from './expression.ts';
import type { OpenCatalog } from './session.ts';

type Context = GraphqlContext<Catalog>;

/** Arguments of the mutations that name a file. */
interface FileArgs {
  file: string;
  tags: string[];
  to: string;
  why?: string | null;
}

interface FileNode {
  id: string;
  name: string;
  hash: string;
  size: number;
  tags: string[];
}

const File = new GraphQLObjectType<FileNode>({
  name: 'File',
  fields: {
    id: { type: new GraphQLNonNull(GraphQLString) },
    name: { type: new GraphQLNonNull(GraphQLString) },
    hash: { type: new GraphQLNonNull(GraphQLString) },
    size: { type: new GraphQLNonNull(GraphQLInt) },
    tags: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))) },
  },
});

function nodes(state: CatalogState, ids: Iterable<string>): FileNode[] {
  const out: FileNode[] = [];
  for (const id of ids) {
    const file = entryOf(state.files, id);
    if (file !== undefined)
      out.push({ id, name: file.name, hash: file.hash, size: file.size, tags: [...file.tags] });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The id of the file a name (or id) points at. An unknown name gets a fresh id, so the
 * command's handler is the one that refuses it (UNKNOWN_FILE), as for any other client.
 */
function fileIdOf(state: CatalogState, name: string): string {
  return (
    entryOf(state.names, name) ?? (entryOf(state.files, name) === undefined ? newEntityId() : name)
  );
}

/** The catalog's GraphQL schema: files (paged, optionally by tag expression) and the commands. */
export function catalogSchema(mediator: Mediator<Catalog>): GraphQLSchema {
  const state = (): CatalogState => mediator.system.state;
  const FileConnection = connectionType(File);
  const why = { why: { type: GraphQLString } };
  const named = { file: { type: new GraphQLNonNull(GraphQLString) } };
  const tagList = {
    tags: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))) },
  };
  const reason = (args: { why?: string | null }, ctx: Context): string =>
    args.why ?? `GraphQL request by ${ctx.principal.id}`;
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        files: {
          type: new GraphQLNonNull(FileConnection),
          args: { ...connectionArgs, find: { type: GraphQLString } },
          resolve: (_s, args: ConnectionArgs & { find?: string | null }) => {
            try {
              const ids =
                args.find === undefined || args.find === null
                  ? Object.keys(state().files)
                  : matchFiles(args.find, parseTagExpression(args.find), state().index, () =>
                      Object.keys(state().files),
                    );
              return toConnection(nodes(state(), ids), args, (f) => f.name);
            } catch (err) {
              throw toGraphqlError(err);
            }
          },
        },
        file: {
          type: File,
          args: named,
          resolve: (_s, args: { file: string }) => {
            const id = fileIdOf(state(), args.file);
            return nodes(state(), [id])[0] ?? null;
          },
        },
      },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        addFile: commandField({
          command: AddFile,
          type: new GraphQLNonNull(GraphQLString),
          description: 'Catalogs a blob already in the data folder under a name; returns the id.',
          args: {
            name: { type: new GraphQLNonNull(GraphQLString) },
            hash: { type: new GraphQLNonNull(GraphQLString) },
            size: { type: new GraphQLNonNull(GraphQLInt) },
            ...why,
          },
          entity: () => newEntityId(),
          payload: (
            args: { name: string; hash: string; size: number; why?: string | null },
            ctx: Context,
          ) => ({
            name: args.name,
            hash: args.hash,
            size: args.size,
            why: reason(args, ctx),
          }),
          resolve: (result) => result.id,
        }),
        tag: commandField({
          command: TagFile,
          type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))),
          args: { ...named, ...tagList, ...why },
          entity: (args: FileArgs) => fileIdOf(state(), args.file),
          payload: (args: FileArgs, ctx: Context) => {
            const newTags: Record<string, string> = {};
            for (const t of args.tags)
              if (entryOf(state().tagNames, t) === undefined) newTags[t] = newEntityId();
            return { tags: args.tags, newTags, why: reason(args, ctx) };
          },
          resolve: (result) => result.tags,
        }),
        untag: commandField({
          command: UntagFile,
          type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))),
          args: { ...named, ...tagList, ...why },
          entity: (args: FileArgs) => fileIdOf(state(), args.file),
          payload: (args: FileArgs, ctx: Context) => ({
            tags: args.tags,
            why: reason(args, ctx),
          }),
          resolve: (result) => result.tags,
        }),
        rename: commandField({
          command: RenameFile,
          type: new GraphQLNonNull(GraphQLString),
          args: { ...named, to: { type: new GraphQLNonNull(GraphQLString) }, ...why },
          entity: (args: FileArgs) => fileIdOf(state(), args.file),
          payload: (args: FileArgs, ctx: Context) => ({
            to: args.to,
            why: reason(args, ctx),
          }),
          resolve: (result) => result.name,
        }),
        remove: commandField({
          command: RemoveFile,
          type: new GraphQLNonNull(GraphQLString),
          args: { ...named, ...why },
          entity: (args: FileArgs) => fileIdOf(state(), args.file),
          payload: (args: FileArgs, ctx: Context) => ({ why: reason(args, ctx) }),
          resolve: (result) => result.name,
        }),
      },
    }),
  });
}

/** The HMAC secret tokens are signed with: made once per data folder, kept in it. */
export function serveSecret(data: string): Uint8Array {
  const path = join(data, 'serve-secret');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600 });
  return new TextEncoder().encode(readFileSync(path, 'utf8').trim());
}

/** A token for `user`, valid for a day, signed with the data folder's secret. */
export async function localToken(data: string, user: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime('24h')
    .sign(serveSecret(data));
}

/** Serves GraphQL over the open catalog and prints its URL and a token for `user`. */
export async function serveCatalog(
  catalog: OpenCatalog,
  options: { port: number; user: string; data: string },
): Promise<GraphqlServer> {
  const server = await serveGraphql({
    schema: catalogSchema(catalog.mediator),
    mediator: catalog.mediator,
    auth: { secret: serveSecret(options.data) },
    limits: { depth: 6, cost: 5000 },
    port: options.port,
  });
  const token = await localToken(options.data, options.user);
  process.stdout.write(
    `GraphQL: ${server.url}/graphql\nToken for ${options.user} (24 h; signed with ${join(options.data, 'serve-secret')}):\n${token}\nUse it as: curl -H 'Authorization: Bearer <token>' -H 'content-type: application/json' -d '{"query":"{ files { edges { node { name tags } } } }"}' ${server.url}/graphql\n`,
  );
  return server;
}
