import { existsSync, readdirSync, statSync, type Stats } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { userInfo } from 'node:os';
import {
  CausewayError,
  ErrorCodes,
  isCausewayError,
  newEntityId,
  type Envelope,
} from '@causeway/runtime';
import { command } from '@causeway/runtime/cqrs';
import {
  AddFile,
  entryOf,
  RemoveFile,
  RenameFile,
  TagFile,
  UntagFile,
  type CatalogState,
} from './catalog.ts';
import { matchFiles, parseTagExpression } from './expression.ts';
import type { Blob } from './blobs.ts';
import { Progress } from './progress.ts';
import { defaultStoreUrl, openCatalog, type OpenCatalog } from './session.ts';

const USAGE = `tagfs: a tagged, content-addressed file catalog.

Usage: tagfs [--data <dir>] [--store <url>] [--user <name>] [--why <text>] [--inspect] <command>

  add <file|folder>…        store files (deduplicated by sha-256) and catalog them
  tag <file> <tag>…         give a file tags
  untag <file> <tag>…       take tags off a file
  rename <file> <new name>  rename a file
  rm <file>…                remove files from the catalog
  ls [--tags]               list files with their tags (or the tags with their counts)
  find '<expr>'             files matching a tag expression: photos and 2024 and not private
  history <file>            who changed what, when and why
  serve [--port <n>]        GraphQL over the catalog (JWT auth; prints a token for local use)

Options:
  --data <dir>     data folder (blobs; default .tagfs, or $TAGFS_DATA)
  --store <url>    the catalog's log (default file:<data>/catalog; postgres://… works)
  --user <name>    who you are in the log (default your login name, or $TAGFS_USER)
  --why <text>     the reason recorded with each change (default: the command line)
  --inspect        attach the Causeway inspector, print its URL and stay up until Ctrl-C`;

/** Exit codes: what went wrong, for scripts. */
export const ExitCode = {
  ok: 0,
  rejected: 1,
  usage: 2,
  locked: 3,
  interrupted: 130,
} as const;

interface Options {
  data: string;
  store: string;
  user: string;
  why: string;
  inspect: boolean;
  flags: Set<string>;
  values: Map<string, string>;
  words: string[];
}

function usage(message: string): CausewayError {
  return new CausewayError(ErrorCodes.InvalidArgument, `${message}\n\n${USAGE}`, {});
}

/** The options without a value that tagfs knows. */
const FLAGS = new Set(['--inspect', '--help', '--tags']);
/** Options that belong to one command. */
const COMMAND_OPTIONS = new Map([
  ['--tags', 'ls'],
  ['--port', 'serve'],
]);

function parseArgs(argv: readonly string[]): Options {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const words: string[] = [];
  const valued = new Set(['--data', '--store', '--user', '--why', '--port']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (valued.has(arg)) {
      const value = argv[++i];
      if (value === undefined) throw usage(`${arg} needs a value.`);
      // One value would be dropped without a word, and which one is a guess.
      if (values.has(arg))
        throw usage(
          `${arg} is given twice (${JSON.stringify(values.get(arg))} and ${JSON.stringify(value)}); give it once.`,
        );
      values.set(arg, value);
    } else if (arg.startsWith('--')) {
      flags.add(arg);
    } else {
      words.push(arg);
    }
  }
  // An option tagfs does not know is refused rather than ignored: `rm --dry-run x` must not
  // remove x, and `ls --tag` must not list files as if it were `ls`.
  for (const flag of flags)
    if (!FLAGS.has(flag))
      throw usage(
        `Unknown option ${JSON.stringify(flag)}. Put a file name that starts with -- after --.`,
      );
  const verb = words[0];
  for (const [option, command] of COMMAND_OPTIONS)
    if ((flags.has(option) || values.has(option)) && verb !== undefined && verb !== command)
      throw usage(`${option} is an option of ${command}, not of ${verb}.`);
  // Checked here, before the catalog is opened (and its folder made): `Number` would take
  // '' as 0 (a random port) and 0x10 as 16.
  const port = values.get('--port');
  if (port !== undefined && (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535))
    throw usage(
      `--port ${/^[0-9]+$/.test(port) ? port : JSON.stringify(port)} is not a port number (0 to 65535).`,
    );
  const user = values.get('--user') ?? process.env['TAGFS_USER'] ?? userInfo().username;
  if (user === '')
    throw usage('The user is empty: give a name with --user <name> (or $TAGFS_USER).');
  const data = resolve(values.get('--data') ?? process.env['TAGFS_DATA'] ?? '.tagfs');
  return {
    data,
    store: values.get('--store') ?? process.env['TAGFS_STORE'] ?? defaultStoreUrl(data),
    user,
    why: values.get('--why') ?? `tagfs ${argv.join(' ')}`,
    inspect: flags.has('--inspect'),
    flags,
    values,
    words,
  };
}

/** Files under `path` (itself when a file), with catalog names, in a stable order. */
export function collect(path: string): FileToAdd[] {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `Cannot add ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}. Check the path; nothing was added.`,
      { path },
    );
  }
  if (!stat.isDirectory()) {
    // Reading a FIFO waits for a writer forever and a device never ends or gives nothing:
    // only regular files are content to store.
    if (!stat.isFile())
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Cannot add ${JSON.stringify(path)}: it is ${specialKind(stat)}, not a regular file or a folder. Leave it out; nothing was added.`,
        { path },
      );
    return [{ path, name: basename(path) }];
  }
  const root = resolve(path, '..');
  const out: FileToAdd[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Cannot read the folder ${JSON.stringify(dir)}: ${(err as Error).message}. Fix its permissions or leave it out; nothing was added.`,
        { path: dir },
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      // A name that is not UTF-8 reaches JavaScript with U+FFFD in place of its bytes, and the
      // path made from it names no file: refused here, before anything is written.
      if (entry.name.includes('\ufffd') && !existsSync(full))
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `Cannot add ${JSON.stringify(full)}: its name is not valid UTF-8, so it cannot be opened by that name. Rename it; nothing was added.`,
          { path: full },
        );
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile())
        out.push({ path: full, name: relative(root, full).split(sep).join('/') });
    }
  };
  walk(resolve(path));
  return out;
}

/** What a path that is neither a regular file nor a folder is, in words. */
function specialKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a file';
}

function fileId(catalog: OpenCatalog, name: string): string {
  const id = entryOf(catalog.system.state.names, name);
  if (id !== undefined) return id;
  if (entryOf(catalog.system.state.files, name) !== undefined) return name;
  throw new CausewayError(
    ErrorCodes.InvalidArgument,
    `Unknown file ${JSON.stringify(name)}: no file in the catalog has that name. Run 'tagfs ls' to list them.`,
    { name },
  );
}

const BATCH = 256;

/** The files an `add` names, walked before the catalog opens: a bad path writes nothing. */
function filesToAdd(options: Options): FileToAdd[] {
  if (options.words[0] !== 'add') return [];
  if (options.words.length < 2) throw usage('add needs at least one file or folder.');
  return distinctFiles(options.words.slice(1).flatMap((p) => collect(p)));
}

/**
 * The files of one import, each name once: a path given twice is added once, and two paths
 * that would get the same name are refused. The commands of a batch are decided from the state
 * the batch started with, so both would otherwise take the free name and the catalog would hold
 * two files under it.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming the two paths.
 */
export function distinctFiles(files: readonly FileToAdd[]): FileToAdd[] {
  const byName = new Map<string, FileToAdd>();
  for (const file of files) {
    const first = byName.get(file.name);
    if (first === undefined) byName.set(file.name, file);
    else if (resolve(first.path) !== resolve(file.path))
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Two files would both be named ${JSON.stringify(file.name)} in the catalog: ${JSON.stringify(first.path)} and ${JSON.stringify(file.path)}. Add one, rename it (tagfs rename), then add the other; nothing was added.`,
        { name: file.name, paths: [first.path, file.path] },
      );
  }
  return [...byName.values()];
}

/** Stores a file's content, with an error that names the file and says what to do. */
async function putBlob(catalog: OpenCatalog, file: FileToAdd): Promise<FileToAdd & Blob> {
  try {
    return { ...file, ...(await catalog.blobs.put(file.path)) };
  } catch (err) {
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `Cannot store ${JSON.stringify(file.path)}: ${(err as Error).message}. The files added before it stay in the catalog; fix the cause or leave the file out, and run the same command again.`,
      { path: file.path },
    );
  }
}

/** A file to import: where it is, and the name it gets in the catalog. */
export interface FileToAdd {
  readonly path: string;
  readonly name: string;
}

/** How {@link importFiles} runs: who and why, progress, and when to stop early. */
export interface ImportOptions {
  readonly user: string;
  readonly why: string;
  readonly onProgress?: (done: number) => void;
  readonly shouldStop?: () => boolean;
}

/**
 * Stores and catalogs files in batches (one group commit each). A file already catalogued
 * under its name with the same content is skipped, so an interrupted import resumes.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` before anything is written when two files would
 *   get the same name (see {@link distinctFiles}), or when a file cannot be read or stored.
 */
export async function importFiles(
  catalog: OpenCatalog,
  given: readonly FileToAdd[],
  options: ImportOptions,
): Promise<{ added: number; present: number; stopped: boolean }> {
  const files = distinctFiles(given);
  let added = 0;
  let present = 0;
  for (let i = 0; i < files.length; i += BATCH) {
    if (options.shouldStop?.() === true) return { added, present, stopped: true };
    const blobs = await Promise.all(files.slice(i, i + BATCH).map((f) => putBlob(catalog, f)));
    // What a previous, interrupted run added is skipped here; the handler would accept it
    // again without a change, this only saves the round trip.
    const batch = blobs.filter(({ name, hash }) => {
      const known = entryOf(catalog.system.state.names, name);
      if (known === undefined || catalog.system.state.files[known]?.hash !== hash) return true;
      present++;
      return false;
    });
    const outcomes = await Promise.all(
      batch.map((f) =>
        catalog.mediator.send(
          command(
            AddFile,
            newEntityId(),
            { name: f.name, hash: f.hash, size: f.size, why: options.why },
            { actor: options.user },
          ),
        ),
      ),
    );
    for (const outcome of outcomes)
      if (outcome.added) added++;
      else present++;
    options.onProgress?.(Math.min(files.length, i + BATCH));
  }
  return { added, present, stopped: false };
}

/** Resolves on Ctrl-C (SIGINT) or a service manager's stop (SIGTERM), whichever comes first. */
function untilStopped(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function add(
  catalog: OpenCatalog,
  options: Options,
  files: readonly FileToAdd[],
): Promise<number> {
  const progress = new Progress(files.length, process.stderr);
  let interrupted = false;
  const stop = (): void => {
    interrupted = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let result;
  try {
    result = await importFiles(catalog, files, {
      user: options.user,
      why: options.why,
      onProgress: (done) => progress.update(done),
      shouldStop: () => interrupted,
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    progress.done();
  }
  const { added, present } = result;
  if (result.stopped) {
    process.stderr.write(
      `Interrupted: ${added + present} of ${files.length} files are in the catalog. Run the same command again to add the rest.\n`,
    );
    return ExitCode.interrupted;
  }
  process.stdout.write(
    `Added ${added} file${added === 1 ? '' : 's'}${present > 0 ? ` (${present} already in the catalog)` : ''}.\n`,
  );
  return ExitCode.ok;
}

/**
 * Text as a terminal may show it: control characters (a line break, an escape sequence) and the
 * bidirectional overrides are written as `\n`, `\t` or `\uXXXX`. Names come from file systems
 * and reasons from any GraphQL client; printed raw, a name could forge lines of `ls` or drive
 * the user's terminal.
 */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function formatHistory(events: readonly Envelope[]): string[] {
  const causes = new Map(events.map((e) => [e.id, e]));
  const lines: string[] = [];
  for (const e of events) {
    if (e.causation === null || e.type.startsWith('causeway.')) continue;
    const cause = causes.get(e.causation);
    const data = e.data as { why?: string } & Record<string, unknown>;
    const { why, ...facts } = data;
    const shown = Object.entries(facts)
      .map(([k, v]) => `${k}=${printable(Array.isArray(v) ? v.join(',') : String(v))}`)
      .join(' ');
    lines.push(
      `${new Date(e.at).toISOString()}  ${e.type.padEnd(12)} ${shown}`,
      `    by ${printable(cause?.actor ?? e.actor)}, why: ${why === undefined ? '(not given)' : printable(why)}`,
      `    caused by ${cause === undefined ? e.causation : `command ${cause.type} ${cause.id}`} (seq ${cause?.seq ?? '?'}) → event ${e.id} (seq ${e.seq})`,
    );
  }
  return lines;
}

async function history(catalog: OpenCatalog, name: string): Promise<string[]> {
  let id = entryOf(catalog.system.state.names, name);
  if (id === undefined && entryOf(catalog.system.state.files, name) !== undefined) id = name;
  const events: Envelope[] = [];
  if (id === undefined) {
    // A removed or renamed-away name: find its file in the log.
    for (const type of ['FileAdded', 'FileRenamed']) {
      for (let from: number | null = 1; from !== null;) {
        const page = await catalog.system.readEvents({ type, fromSeq: from });
        for (const e of page.items) {
          const data = e.data as { name?: string; to?: string };
          if (data.name === name || data.to === name) id = e.entity;
        }
        from = page.next;
      }
    }
    if (id === undefined) fileId(catalog, name);
  }
  for (let from: number | null = 1; from !== null;) {
    const page = await catalog.system.readEvents({ entity: id!, fromSeq: from });
    events.push(...page.items);
    from = page.next;
  }
  return formatHistory(events);
}

function list(state: CatalogState, tagsOnly: boolean): string[] {
  if (tagsOnly)
    return Object.keys(state.index)
      .sort()
      .map((t) => `${t}\t${Object.keys(state.index[t] ?? {}).length}`);
  return Object.keys(state.names)
    .sort()
    .map((name) => {
      const file = state.files[state.names[name]!]!;
      return `${printable(name)}\t${file.tags.join(',')}`;
    });
}

async function runCommand(
  catalog: OpenCatalog,
  options: Options,
  files: readonly FileToAdd[],
): Promise<number> {
  const [verb, ...rest] = options.words;
  const out = (lines: readonly string[]): void => {
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  };
  const as = { actor: options.user };
  const why = options.why;
  const state = (): CatalogState => catalog.system.state;
  switch (verb) {
    case 'add':
      return add(catalog, options, files);
    case 'tag': {
      if (rest.length < 2) throw usage('tag needs a file and at least one tag.');
      const [name, ...tags] = rest as [string, ...string[]];
      const newTags: Record<string, string> = {};
      for (const t of tags)
        if (entryOf(state().tagNames, t) === undefined) newTags[t] = newEntityId();
      const result = await catalog.mediator.send(
        command(TagFile, fileId(catalog, name), { tags, newTags, why }, as),
      );
      out([`${printable(name)}\t${result.tags.join(',')}`]);
      return ExitCode.ok;
    }
    case 'untag': {
      if (rest.length < 2) throw usage('untag needs a file and at least one tag.');
      const [name, ...tags] = rest as [string, ...string[]];
      const result = await catalog.mediator.send(
        command(UntagFile, fileId(catalog, name), { tags, why }, as),
      );
      out([`${printable(name)}\t${result.tags.join(',')}`]);
      return ExitCode.ok;
    }
    case 'rename': {
      if (rest.length !== 2) throw usage('rename needs a file and its new name.');
      const [name, to] = rest as [string, string];
      const result = await catalog.mediator.send(
        command(RenameFile, fileId(catalog, name), { to, why }, as),
      );
      out([
        result.renamed
          ? `${printable(name)} → ${printable(to)}`
          : `${printable(name)} is already named ${printable(to)}; nothing changed.`,
      ]);
      return ExitCode.ok;
    }
    case 'rm': {
      if (rest.length === 0) throw usage('rm needs at least one file.');
      // A file named twice (or by its name and its id) is removed once.
      const ids = new Set(rest.map((name) => fileId(catalog, name)));
      for (const id of ids) {
        const result = await catalog.mediator.send(command(RemoveFile, id, { why }, as));
        out([`removed ${printable(result.name)}`]);
      }
      return ExitCode.ok;
    }
    case 'ls':
      out(list(state(), options.flags.has('--tags')));
      return ExitCode.ok;
    case 'find': {
      if (rest.length !== 1) throw usage("find needs one expression, quoted: find 'a and not b'.");
      const source = rest[0]!;
      const ids = matchFiles(source, parseTagExpression(source), state().index, () =>
        Object.keys(state().files),
      );
      out([...ids].map((id) => printable(state().files[id]!.name)).sort());
      return ExitCode.ok;
    }
    case 'history': {
      if (rest.length !== 1) throw usage('history needs one file.');
      out(await history(catalog, rest[0]!));
      return ExitCode.ok;
    }
    case 'serve': {
      const { serveCatalog } = await import('./serve.ts');
      const port = Number(options.values.get('--port') ?? '4400');
      // Listened for before the address is printed: a stop sent as soon as it shows is not lost.
      const stopped = untilStopped();
      const server = await serveCatalog(catalog, { port, user: options.user, data: options.data });
      await stopped;
      await server.close();
      return ExitCode.ok;
    }
    default:
      throw usage(
        verb === undefined ? 'Name a command.' : `Unknown command ${JSON.stringify(verb)}.`,
      );
  }
}

/** The commands that only read: they open the catalog as a reader, beside a running writer. */
const READ_ONLY_VERBS: ReadonlySet<string> = new Set(['ls', 'find', 'history']);

function exitCodeOf(err: unknown): number {
  if (!isCausewayError(err)) return ExitCode.rejected;
  if (err.code === ErrorCodes.StoreLocked) return ExitCode.locked;
  if (err.code === ErrorCodes.InvalidArgument && err.message.includes('Usage:'))
    return ExitCode.usage;
  return ExitCode.rejected;
}

/** Runs tagfs with `argv` (the words after the program name) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let catalog: OpenCatalog | null = null;
  try {
    const options = parseArgs(argv);
    if (options.words.length === 0 || options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return options.words.length === 0 && !options.flags.has('--help')
        ? ExitCode.usage
        : ExitCode.ok;
    }
    const files = filesToAdd(options);
    catalog = await openCatalog(options, {
      patches: options.inspect,
      readOnly: READ_ONLY_VERBS.has(options.words[0] ?? ''),
    });
    const code = await runCommand(catalog, options, files);
    if (options.inspect) {
      const { attachInspector } = await import('@causeway/inspector/agent');
      const { catalogSystem } = await import('./catalog.ts');
      const stopped = untilStopped();
      const inspector = await attachInspector(catalog.system, {
        makeSystem: (store) => catalogSystem(store),
      });
      process.stdout.write(`Inspector: ${inspector.url} (Ctrl-C to quit)\n`);
      await stopped;
      await inspector.close();
    }
    return code;
  } catch (err) {
    const reason =
      isCausewayError(err) && typeof err.details['reason'] === 'string'
        ? ` [${err.details['reason']}]`
        : '';
    process.stderr.write(`tagfs: ${err instanceof Error ? err.message : String(err)}${reason}\n`);
    return exitCodeOf(err);
  } finally {
    await catalog?.close().catch(() => undefined);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]).endsWith(join('src', 'cli.ts'))) {
  process.exitCode = await main(process.argv.slice(2));
}
