#!/usr/bin/env node
/**
 * The `causeway-inspector` command line:
 *
 * - `causeway-inspector open <store-url> [--system <module>] [--compare <store-url>]…` serves
 *   the inspector over a log with no running app (`file:./data`, `pglite:./data`,
 *   `postgres://…`); the UI may compare it with the `--compare` stores and no others;
 * - `causeway-inspector attach <ws-url>` serves the UI here and relays it to an agent that an
 *   app started with `attachInspector`.
 *
 * Both print the URL to open. From the repository: `npm run inspector -- open file:./data`.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openStore } from '@causeway/adapters';
import { isCausewayError, type MakeSystem } from '@causeway/runtime';
import { openInspector, type AttachOptions } from '../agent/attach.ts';
import { serveRelay, type InspectorServer, type ServeOptions } from '../agent/server.ts';

const USAGE = `Usage:
  causeway-inspector open <store-url> [options]   inspect a log with no running app
      store URLs: file:./data  pglite:./data  postgres://user@host:5432/db?schema=name
      --system <module>[#export]   a module exporting the app's MakeSystem (default export name
                                   makeSystem): enables states, path history, verify, export
      --checkpoint-every <n>       a state checkpoint every n events (default 2000)
      --compare <store-url>        a log the UI may compare this one with, opened read-only
                                   when asked (repeatable); no other store is ever opened
  causeway-inspector attach <ws-url> [options]    serve the UI here for an agent elsewhere
      <ws-url> is the agent's WebSocket URL with its token (ws://127.0.0.1:PORT/ws?token=…)
  common options:
      --port <n>            port to listen on (default: a free one)
      --host <address>      address to listen on (default 127.0.0.1; others print a warning)
      --allow-origin <url>  also accept web pages from this origin (repeatable)
  exit codes: 0 stopped (Ctrl-C), 1 the store, module or port could not be opened,
              2 wrong arguments (an unknown or misplaced option, a missing or extra operand)`;

/** Wrong arguments: printed with the usage, exit code 2. */
class UsageError extends Error {}

/** The options of each command that take a value; `repeatable` ones may be given again. */
const OPTIONS: ReadonlyMap<string, { readonly of: 'open' | 'both'; readonly repeatable: boolean }> =
  new Map([
    ['system', { of: 'open', repeatable: false }],
    ['checkpoint-every', { of: 'open', repeatable: false }],
    ['compare', { of: 'open', repeatable: true }],
    ['port', { of: 'both', repeatable: false }],
    ['host', { of: 'both', repeatable: false }],
    ['allow-origin', { of: 'both', repeatable: true }],
  ]);

interface Parsed {
  readonly command: string | undefined;
  readonly target: string | undefined;
  readonly help: boolean;
  readonly flags: ReadonlyMap<string, string[]>;
}

function parse(args: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg.startsWith('-')) {
      const name = arg.replace(/^--?/, '');
      if (!OPTIONS.has(name)) throw new UsageError(`Unknown option ${JSON.stringify(arg)}.`);
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--'))
        throw new UsageError(`${arg} needs a value.`);
      const given = flags.get(name) ?? [];
      if (given.length > 0 && OPTIONS.get(name)?.repeatable !== true)
        throw new UsageError(
          `${arg} is given twice (${JSON.stringify(given[0])} and ${JSON.stringify(value)}); give it once.`,
        );
      flags.set(name, [...given, value]);
      i++;
    } else positional.push(arg);
  }
  const command = positional[0];
  if (!help && (command === 'open' || command === 'attach')) {
    if (positional.length > 2)
      throw new UsageError(
        `${command} takes one ${command === 'open' ? 'store URL' : 'ws:// URL'}, got ${positional.length - 1}: ${positional.slice(1).join(' ')}.`,
      );
    for (const name of flags.keys())
      if (command === 'attach' && OPTIONS.get(name)?.of === 'open')
        throw new UsageError(`--${name} is an option of open, not of attach.`);
  }
  return { command, target: positional[1], help, flags };
}

function one(flags: ReadonlyMap<string, string[]>, name: string): string | undefined {
  return flags.get(name)?.at(-1);
}

function integer(flags: ReadonlyMap<string, string[]>, name: string): number | undefined {
  const raw = one(flags, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}.`);
  return value;
}

function serveOptions(flags: ReadonlyMap<string, string[]>): ServeOptions {
  const port = integer(flags, 'port');
  if (port !== undefined && port > 65535)
    throw new UsageError(
      `--port must be a port number from 0 to 65535 (0: a free one), got ${JSON.stringify(one(flags, 'port'))}.`,
    );
  const host = one(flags, 'host');
  return {
    ...(port === undefined ? {} : { port }),
    ...(host === undefined ? {} : { host }),
    allowedOrigins: flags.get('allow-origin') ?? [],
    print: (line) => process.stdout.write(`${line}\n`),
  };
}

/** Loads `<module>[#export]` and returns the app's MakeSystem with where it came from. */
async function loadSystem(
  spec: string,
): Promise<{ makeSystem: MakeSystem<object>; specifier: string; exportName: string }> {
  const hash = spec.lastIndexOf('#');
  const file = hash > 0 ? spec.slice(0, hash) : spec;
  const exportName = hash > 0 ? spec.slice(hash + 1) : 'makeSystem';
  const path = resolve(file);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(
      `Cannot load the --system module ${path}: ${existsSync(path) ? (err instanceof Error ? err.message : String(err)) : 'there is no such file'}. Give the path of the app's module that exports its MakeSystem (store => EventSystem).`,
    );
  }
  const makeSystem = module[exportName];
  if (typeof makeSystem !== 'function')
    throw new Error(
      `${path} exports no function named ${exportName}; export the app's MakeSystem (store => EventSystem) under that name, or name it: --system ${file}#<name>.`,
    );
  return { makeSystem: makeSystem as MakeSystem<object>, specifier: path, exportName };
}

async function open(
  target: string,
  flags: ReadonlyMap<string, string[]>,
): Promise<InspectorServer> {
  // The options are read first: a wrong one is a usage error before any store is opened.
  const systemSpec = one(flags, 'system');
  const every = integer(flags, 'checkpoint-every');
  const options: AttachOptions<object> = { ...serveOptions(flags) };
  const store = await openStore(target, { readOnly: true });
  const loaded = systemSpec === undefined ? null : await loadSystem(systemSpec);
  const server = await openInspector(store, {
    ...options,
    ...(every === undefined ? {} : { checkpointEvery: every }),
    compareWith: flags.get('compare') ?? [],
    ...(loaded === null
      ? {}
      : {
          makeSystem: loaded.makeSystem,
          systemModule: { specifier: loaded.specifier, exportName: loaded.exportName },
        }),
  });
  if (server.service.lastCommit === null)
    // A read-only open of a folder that holds no log succeeds (it waits for a writer), so a
    // mistyped URL would otherwise show an empty inspector without a word.
    process.stdout.write(
      `causeway-inspector: ${store.description} holds no committed tick yet: check the URL, or start the app that writes it; its ticks show as they commit.\n`,
    );
  if (loaded === null)
    process.stdout.write(
      'causeway-inspector: no --system given: events, commits and causation only (no states, path history, verify or export).\n',
    );
  return {
    ...server,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

/**
 * Runs the command line; resolves with the server it started, or null after printing usage.
 *
 * @throws Error for wrong arguments (exit code 2 when run as a command), or when the store, the
 *   `--system` module or the port cannot be opened (exit code 1).
 */
export async function main(args: readonly string[]): Promise<InspectorServer | null> {
  const { command, target, help, flags } = parse(args);
  if (help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return null;
  }
  if (command !== 'open' && command !== 'attach')
    throw new UsageError(`Unknown command ${JSON.stringify(command)}.`);
  if (target === undefined)
    throw new UsageError(
      command === 'open'
        ? 'open needs the store URL, such as file:./data.'
        : "attach needs the agent's ws:// URL with its token.",
    );
  if (command === 'open') return open(target, flags);
  if (!/^wss?:\/\//.test(target))
    throw new UsageError(`attach takes the agent's ws:// URL with its token, got ${target}.`);
  return serveRelay(target, serveOptions(flags));
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (server) => {
      if (server === null) return;
      const stop = (): void => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`causeway-inspector: ${err.message}\n\n${USAGE}\n`);
        process.exit(2);
      }
      process.stderr.write(
        `causeway-inspector: ${isCausewayError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
