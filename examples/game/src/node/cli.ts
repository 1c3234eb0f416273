// The game's command line: `npm run game -- <command>` (and `npm start`, which is `start`).
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FileStore } from '@causeway/adapters/file';
import { openInspector } from '@causeway/inspector/agent';
import { formatDivergence, MemoryStore, reexecute, type EventStore } from '@causeway/runtime';
import type { LockstepPeer } from '../lockstep/peer.ts';
import { Relay } from '../lockstep/relay.ts';
import { admit } from '../sim/inputs.ts';
import { makeWorld } from '../sim/world.ts';
import { renderBoard, renderScores } from './terminal.ts';
import { isGameLog, openHostedWorld, seedOfLog, ticksOfLog } from './hosted-world.ts';
import { connectPeer } from './peers.ts';
import { serveGame } from './server.ts';
import { attachTools } from './tools.ts';

const BOT_NAMES = ['viper', 'cobra', 'mamba', 'python', 'adder', 'krait', 'taipan'];

const usage = `Snake arena on Causeway.

  npm start                         the world in .data/game with bots; serves the game page
  npm run game -- serve [options]   the same, with options:
      --dir <dir>      the world's log (file store)        default .data/game
      --port <n>       HTTP port, 0 to 65535 (0 or taken: a free one)  default 8080
      --bots <n>       bots playing in this process, 0 to 7  default 4
      --desync <n>     one bot runs the nondeterminism bug n ticks after joining
      --seed <n>       seed of a new world                  default 2026
  npm run game -- match <dir> [--bots 4] [--ticks 600] [--tick-ms 5] [--desync <n>]
                                    plays a headless match of bots into a new log in <dir>
  npm run game -- replay <dir>      re-runs a match from its inputs and shows how it went
  npm run game -- verify <dir>      re-executes the log and compares every event and hash
  npm run game -- inspect <dir>     opens the log in the inspector (prints its URL)
  npm run game -- bot --url <ws-url> --name <name> [--dir <dir>] [--desync <n>]
                                    one headless bot peer (its log in <dir> if given)
`;

function int(value: string | undefined, fallback: number, flag: string, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min)
    throw new Error(
      `${flag} takes a whole number${min > 0 ? ` of at least ${min}` : ''}, got ${JSON.stringify(value)}.`,
    );
  return n;
}

/** How many bots: a whole number up to one bot a name. */
function botCount(value: string | undefined): number {
  const n = int(value, 4, '--bots');
  if (n > BOT_NAMES.length)
    throw new Error(
      `--bots takes a whole number from 0 to ${BOT_NAMES.length} (one bot a name: ${BOT_NAMES.join(', ')}), got ${JSON.stringify(value)}.`,
    );
  return n;
}

/** A TCP port: a whole number from 0 (a free one) to 65535. */
function port(value: string | undefined, fallback: number): number {
  const n = int(value, fallback, '--port');
  if (n > 65535)
    throw new Error(
      `--port takes a port number from 0 to 65535 (0: a free one), got ${JSON.stringify(value)}.`,
    );
  return n;
}

/**
 * Makes way for a new match log in `target`. The folder is emptied only when it holds nothing
 * or an earlier game log: a mistyped folder (`.`, a home folder) must not be deleted.
 */
async function clearForMatch(target: string): Promise<void> {
  if (existsSync(target) && !statSync(target).isDirectory())
    throw new Error(
      `${target} is a file, not a folder; match writes its log into a folder. Name a new or empty folder, or the folder of an earlier match.`,
    );
  if (!existsSync(target) || readdirSync(target).length === 0) {
    rmSync(target, { recursive: true, force: true });
    return;
  }
  if (!(await isGameLog(target)))
    throw new Error(
      `${target} is not empty and holds no game log; match writes a new log there and would delete what it holds. Name a new or empty folder, or the folder of an earlier match.`,
    );
  rmSync(target, { recursive: true, force: true });
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Runs until Ctrl-C: the hosted world, the relay, the page, bots. */
async function serve(values: Record<string, string | boolean | undefined>): Promise<void> {
  const dir = resolve(String(values.dir ?? '.data/game'));
  // Every option is read before the world is opened: a mistyped one creates no world folder.
  const seed = int(values.seed as string | undefined, 2026, '--seed');
  const httpPort = port(values.port as string | undefined, 8080);
  const desync =
    values.desync === undefined ? undefined : int(values.desync as string, 1, '--desync');
  const count = botCount(values.bots as string | undefined);
  const hosted = await openHostedWorld(dir, seed);
  const relay = new Relay({
    seed: hosted.seed,
    tickMs: 100,
    history: hosted.history,
    hashes: hosted.hashes,
    pending: hosted.pending,
    makeSystem: (store) => makeWorld(store, { seed: hosted.seed }),
    log: (line) => print(`[relay] ${line}`),
  });
  const game = await serveGame({ relay, port: httpPort });
  const resumed = hosted.history.length;
  print(
    resumed > 0
      ? `Continuing the world in ${dir} from tick ${resumed} (${Object.keys(hosted.world.state.snake).length} snakes).`
      : `A new world in ${dir} (seed ${hosted.seed}).`,
  );
  const host = connectPeer({
    url: game.wsUrl,
    name: 'host',
    role: 'host',
    actor: 'host',
    world: hosted.world,
    onError: (err) => print(`[host] ${String(err)}`),
  });
  const bots: LockstepPeer[] = [];
  for (let i = 0; i < count; i++) {
    const name = BOT_NAMES[i] ?? `bot-${i}`;
    const buggy = desync !== undefined && i === count - 1;
    bots.push(
      connectPeer({
        url: game.wsUrl,
        name,
        role: 'bot',
        actor: `bot:${name}`,
        ...(buggy ? { bugAfterJoin: desync } : {}),
        onError: (err) => print(`[${name}] ${String(err)}`),
      }),
    );
  }
  const tools = await attachTools(hosted.world, (store) => makeWorld(store, { seed: hosted.seed }));
  print('');
  print(`  Game:       ${game.url}   (open it in two tabs; Enter joins, arrows steer)`);
  print(`  With a bug: ${game.url}?desync=30   (this tab diverges; the relay reports where)`);
  for (const tool of tools) print(`  ${tool.name.padEnd(11)} ${tool.url}`);
  print(`  World log:  ${dir}   (Ctrl-C stops; npm start again continues it)`);
  print('');
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    print(`Stopping at tick ${relay.tick}...`);
    await game.close();
    await host.settled();
    for (const b of bots) b.close();
    for (const tool of tools) await tool.close();
    await hosted.world.close();
    print(`World saved at tick ${hosted.world.lastCommit?.tick ?? 0} in ${dir}.`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

/** A headless match of bots, hosted into a new log. */
async function match(
  dir: string,
  values: Record<string, string | boolean | undefined>,
): Promise<void> {
  const target = resolve(dir);
  const seed = int(values.seed as string | undefined, 2026, '--seed');
  // A match of 0 ticks never ends: the relay waits for a last tick it never plays.
  const ticks = int(values.ticks as string | undefined, 600, '--ticks', 1);
  int(values['tick-ms'] as string | undefined, 5, '--tick-ms', 1);
  const count = botCount(values.bots as string | undefined);
  await clearForMatch(target);
  const hosted = await openHostedWorld(target, seed);
  const relay = new Relay({
    seed,
    tickMs: int(values['tick-ms'] as string | undefined, 5, '--tick-ms', 1),
    lastTick: ticks,
    startWith: 1 + count,
    makeSystem: (store) => makeWorld(store, { seed }),
    log: (line) => print(`[relay] ${line}`),
  });
  const game = await serveGame({ relay, port: 0 });
  const host = connectPeer({ url: game.wsUrl, name: 'host', role: 'host', world: hosted.world });
  const desync =
    values.desync === undefined ? undefined : int(values.desync as string, 1, '--desync');
  const bots: LockstepPeer[] = [];
  for (let i = 0; i < count; i++) {
    const name = BOT_NAMES[i] ?? 'bot';
    bots.push(
      connectPeer({
        url: game.wsUrl,
        name,
        role: 'bot',
        ...(desync !== undefined && i === count - 1 ? { bugAfterJoin: desync } : {}),
      }),
    );
  }
  await relay.finished();
  await host.settled();
  print(renderScores(hosted.world.state));
  print(
    `Match of ${ticks} ticks in ${target}: final hash ${hosted.world.lastCommit?.hash ?? '-'}.`,
  );
  await game.close();
  await hosted.world.close();
  process.exitCode = relay.desyncs.length > 0 ? 1 : 0;
}

async function openLog(dir: string): Promise<{ store: EventStore; seed: number }> {
  const seed = await seedOfLog(resolve(dir));
  if (seed === null)
    throw new Error(
      `No game log in ${resolve(dir)}: make one with \`npm run game -- match ${dir}\`.`,
    );
  // Another app's log has a seed too; re-running it as the game would report a "divergence".
  if (!(await isGameLog(resolve(dir))))
    throw new Error(
      `${resolve(dir)} holds a Causeway log, but not of this game (its inputs are not the game's). Give the folder of a match or a served world.`,
    );
  const store = new FileStore({ dir: resolve(dir), readOnly: true });
  await store.open();
  return { store, seed };
}

/** Re-runs a match from its inputs alone, showing the board as it goes. */
async function replay(dir: string): Promise<void> {
  const { store, seed } = await openLog(dir);
  const { history } = await ticksOfLog(store);
  const world = makeWorld(new MemoryStore(), { seed });
  const every = Math.max(1, Math.floor(history.length / 6));
  for (const tick of history) {
    const result = await world.tick(admit(world, tick.inputs, tick.at), { at: tick.at });
    if (tick.tick % every === 0 || tick.tick === history.length) {
      print(`tick ${tick.tick}  hash ${result.commit.hash}`);
      print(renderBoard(world.state));
    }
  }
  print(renderScores(world.state));
  const last = await store.lastCommit();
  const same = last?.hash === world.lastCommit?.hash;
  print(
    same
      ? `Re-ran ${history.length} ticks: the final hash ${last?.hash ?? '-'} matches the log.`
      : `Re-ran ${history.length} ticks: final hash ${world.lastCommit?.hash ?? '-'}, the log says ${last?.hash ?? '-'}.`,
  );
  await store.close();
  process.exitCode = same ? 0 : 1;
}

/** Re-executes a log and compares every event and hash. */
async function verify(dir: string): Promise<void> {
  const { store, seed } = await openLog(dir);
  const check = await reexecute(store, (s) => makeWorld(s, { seed }));
  await store.close();
  if (check.ok) {
    print(
      `Verified ${resolve(dir)}: ${check.ticks} ticks and ${check.events} events re-executed identically.`,
    );
    return;
  }
  print(formatDivergence(check.divergence));
  process.exitCode = 1;
}

/** Opens a finished match in the inspector, offline, until Ctrl-C. */
async function inspect(dir: string): Promise<void> {
  const { store, seed } = await openLog(dir);
  const inspector = await openInspector(store, { makeSystem: (s) => makeWorld(s, { seed }) });
  print(`Inspecting ${resolve(dir)}: ${inspector.url}   (Ctrl-C stops)`);
  const stop = (): void => {
    void inspector
      .close()
      .then(() => store.close())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** One bot peer in its own process, for matches across processes. */
function bot(values: Record<string, string | boolean | undefined>): void {
  const url = values.url;
  const name = values.name;
  if (typeof url !== 'string' || typeof name !== 'string')
    throw new Error('bot needs --url and --name.');
  if (!/^wss?:\/\//.test(url))
    throw new Error(
      `bot takes the relay's WebSocket URL (ws://127.0.0.1:8080/ws, as serve prints it), got ${JSON.stringify(url)}.`,
    );
  const dir = typeof values.dir === 'string' ? resolve(values.dir) : null;
  const desync =
    values.desync === undefined ? undefined : int(values.desync as string, 1, '--desync');
  const peer = connectPeer({
    url,
    name,
    role: 'bot',
    ...(desync === undefined ? {} : { bugAfterJoin: desync }),
    ...(dir === null ? {} : { store: new FileStore({ dir }) }),
    onEnd: (tick) => {
      void peer.settled().then(async () => {
        await peer.world?.close();
        print(`${name}: match over at tick ${tick}, hash ${peer.hashAt(tick) ?? '-'}`);
        peer.close();
        process.exit(0);
      });
    },
    onError: (err) => {
      process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  });
}

async function main(argv: readonly string[]): Promise<void> {
  const { positionals, values, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    tokens: true,
    options: {
      dir: { type: 'string' },
      port: { type: 'string' },
      bots: { type: 'string' },
      desync: { type: 'string' },
      seed: { type: 'string' },
      ticks: { type: 'string' },
      'tick-ms': { type: 'string' },
      url: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  // An option given twice is a mistake to point at, not one to settle by keeping the last.
  const given = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (given.has(token.name))
      throw new Error(`--${token.name} is given more than once; give it once.`);
    given.add(token.name);
  }
  const [command, target] = positionals;
  if (values.help === true || command === undefined || command === 'help') {
    print(usage);
    return;
  }
  switch (command) {
    case 'start':
    case 'serve':
      return serve(values);
    case 'match':
    case 'replay':
    case 'verify':
    case 'inspect':
      if (target === undefined) {
        throw new Error(`${command} needs a folder: npm run game -- ${command} <dir>`);
      }
      if (command === 'match') return match(target, values);
      if (command === 'replay') return replay(target);
      return command === 'verify' ? verify(target) : inspect(target);
    case 'bot':
      bot(values);
      return;
    default:
      throw new Error(`Unknown command ${JSON.stringify(command)}.\n\n${usage}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
