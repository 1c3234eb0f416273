import type { Server } from 'node:http';
import {
  firstDivergence,
  formatDivergence,
  type Divergence,
  type DivergenceCheck,
  type MakeSystem,
} from '@causeway/runtime';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { inputTypes, type Arena } from '../sim/arena.ts';
import type { WireInput } from '../sim/inputs.ts';
import { decodeExtract, storeOfExtract, type LogExtract } from './log-transfer.ts';
import {
  parseFrame,
  type PeerInfo,
  type PeerMessage,
  type PeerRole,
  type RelayMessage,
  type WireTick,
} from './protocol.ts';

/** A desync the relay caught: who, at which tick, and the runtime's report of the difference. */
export interface Desync {
  readonly tick: number;
  readonly actor: string;
  readonly name: string;
  /** `formatDivergence`'s report, or why the logs could not be compared. */
  readonly report: string;
  /** The divergence between the reference peer's log and the desynced one's, when compared. */
  readonly divergence: Divergence | null;
}

/** Options of a {@link Relay}. */
export interface RelayOptions {
  /** The world's seed, given to every peer. */
  readonly seed: number;
  /** Milliseconds between ticks. */
  readonly tickMs: number;
  /** Ticks already played (a world continued from its log). */
  readonly history?: readonly WireTick[];
  /** Their committed hashes, the reference for peers that catch up. */
  readonly hashes?: ReadonlyMap<number, string>;
  /** Inputs the host journaled but never committed: they open the first new tick. */
  readonly pending?: readonly WireInput[];
  /** End the match after this tick. Default: run until closed. */
  readonly lastTick?: number;
  /** Start ticking once this many peers said hello. Default 0: at once. */
  readonly startWith?: number;
  /** Makes a system of the game on a store: used to rebuild states for divergence reports. */
  readonly makeSystem: MakeSystem<Arena>;
  /** Ticks a disconnected player's snake stays before the relay sends its `PlayerLeft`. Default 50. */
  readonly graceTicks?: number;
  /** Where progress and reports go (the terminal). Default: nowhere. */
  readonly log?: (line: string) => void;
  /** Called with every desync caught. */
  readonly onDesync?: (desync: Desync) => void;
  /** The clock that times ticks (wall time: the relay is the match's clock). */
  readonly now?: () => number;
}

interface Connection {
  readonly socket: WebSocket;
  readonly actor: string;
  readonly name: string;
  readonly role: PeerRole;
  readonly order: number;
  tick: number;
  desynced: boolean;
  /** Inputs it sent into the tick being gathered. */
  inputs: number;
}

/** How many ticks the relay waits for every peer's hash before deciding a tick by majority. */
const DECIDE_AFTER = 30;
const LOG_TIMEOUT_MS = 15_000;
/**
 * The most inputs one peer puts into one tick. A player steers once a tick and joins once; the
 * rest would only grow every peer's tick and the history each newcomer is sent.
 */
export const MAX_INPUTS_PER_TICK = 16;
/** The actors a peer may ask for again: what {@link slug} makes, and names like `bot:viper`. */
const ACTOR_PATTERN = /^[A-Za-z0-9:._-]{1,40}$/;
/** The longest hash a peer may report (the runtime's state hashes are 16 hex digits). */
const MAX_HASH_LENGTH = 64;

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 16) || 'peer'
  );
}

/**
 * The lockstep relay: it owns the match's clock, puts every input it receives into the next
 * tick in arrival order, and broadcasts each tick to every peer. It never runs the simulation;
 * it compares the state hashes the peers publish, decides each tick's hash by majority (ties go
 * to the peer that joined first), and when a peer differs it fetches both logs up to that tick
 * and reports the first divergence with the runtime's `firstDivergence`/`formatDivergence`.
 */
export class Relay {
  readonly #options: RelayOptions;
  readonly #history: WireTick[];
  readonly #reference = new Map<number, string>();
  readonly #reports = new Map<number, Map<string, string>>();
  readonly #connections = new Map<string, Connection>();
  readonly #owned = new Map<string, Set<string>>();
  readonly #orphans = new Map<string, number>();
  readonly #logWaiters = new Map<
    number,
    { readonly from: WebSocket; readonly resolve: (extract: LogExtract) => void }
  >();
  readonly #desyncs: Desync[] = [];
  readonly #explaining = new Set<Promise<void>>();
  readonly #now: () => number;
  #queue: WireInput[];
  #pendingCount: number;
  #tick: number;
  #lastAt: number;
  #timer: ReturnType<typeof setInterval> | null = null;
  #started = false;
  #order = 0;
  #request = 0;
  #server: WebSocketServer | null = null;
  #ended = false;
  #finish: (() => void) | null = null;
  readonly #finished: Promise<void>;

  constructor(options: RelayOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#history = [...(options.history ?? [])];
    for (const [tick, hash] of options.hashes ?? []) this.#reference.set(tick, hash);
    this.#queue = [...(options.pending ?? [])];
    this.#pendingCount = this.#queue.length;
    const last = this.#history.at(-1);
    this.#tick = last?.tick ?? 0;
    this.#lastAt = last?.at ?? 0;
    for (const t of this.#history) for (const i of t.inputs) this.#track(i);
    for (const i of this.#queue) this.#track(i);
    // Players of an earlier run get a grace period to come back before their snakes leave.
    for (const actor of this.#owned.keys()) this.#orphans.set(actor, this.#tick + this.#grace);
    this.#finished = new Promise((resolve) => (this.#finish = resolve));
  }

  /** Serves peers on `server` at `path` (WebSocket upgrade). */
  attach(server: Server, path = '/ws'): void {
    const wss = new WebSocketServer({ server, path, maxPayload: 64 * 1024 * 1024 });
    this.#server = wss;
    // The HTTP server reports its own errors (a taken port) to whoever listens on it.
    wss.on('error', () => undefined);
    wss.on('connection', (socket) => this.#connect(socket));
    if ((this.#options.startWith ?? 0) === 0) this.#start();
  }

  /** The last tick broadcast. */
  get tick(): number {
    return this.#tick;
  }

  /** Every desync caught so far. */
  get desyncs(): readonly Desync[] {
    return this.#desyncs;
  }

  /** The decided (majority) hash of a tick, once decided. */
  hashAt(tick: number): string | undefined {
    return this.#reference.get(tick);
  }

  /** The peers connected now. */
  get peers(): readonly PeerInfo[] {
    return [...this.#connections.values()].map((c) => ({
      actor: c.actor,
      name: c.name,
      role: c.role,
      tick: c.tick,
      desynced: c.desynced,
    }));
  }

  /**
   * Fetches two connected peers' logs up to `tick` and compares them event by event with
   * `firstDivergence` (stronger than their hashes: it also sees ids, actors and causation).
   *
   * @throws Error when either actor is not connected or does not send its log in time.
   */
  async compareLogs(a: string, b: string, tick: number): Promise<DivergenceCheck> {
    const ca = this.#connections.get(a);
    const cb = this.#connections.get(b);
    if (ca === undefined || cb === undefined) {
      throw new Error(`Cannot compare ${a} with ${b}: both must be connected.`);
    }
    const [la, lb] = await Promise.all([this.#fetchLog(ca, tick), this.#fetchLog(cb, tick)]);
    return firstDivergence(await storeOfExtract(la), await storeOfExtract(lb), {
      makeSystem: this.#options.makeSystem,
      sides: [a, b],
    });
  }

  /** Resolves when the last tick is decided (every peer's hash in) and desyncs are reported. */
  finished(): Promise<void> {
    return this.#finished;
  }

  /** Stops ticking and closes every connection. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const c of this.#connections.values()) c.socket.terminate();
    const server = this.#server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get #grace(): number {
    return this.#options.graceTicks ?? 50;
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#timer = setInterval(() => this.#step(), this.#options.tickMs);
  }

  #track(i: WireInput): void {
    if (i.type === 'PlayerJoined') {
      const set = this.#owned.get(i.actor) ?? new Set<string>();
      set.add(i.entity);
      this.#owned.set(i.actor, set);
    } else if (i.type === 'PlayerLeft') {
      this.#owned.get(i.actor)?.delete(i.entity);
      if (this.#owned.get(i.actor)?.size === 0) this.#owned.delete(i.actor);
    }
  }

  #step(): void {
    if (this.#ended) return;
    const lastTick = this.#options.lastTick;
    if (lastTick !== undefined && this.#tick >= lastTick) return;
    this.#tick++;
    for (const [actor, due] of this.#orphans) {
      if (due > this.#tick) continue;
      this.#orphans.delete(actor);
      for (const entity of this.#owned.get(actor) ?? []) {
        this.#queue.push({ type: 'PlayerLeft', entity, data: {}, actor });
      }
    }
    this.#lastAt = Math.max(this.#now(), this.#lastAt + 1);
    const tick: WireTick = { tick: this.#tick, at: this.#lastAt, inputs: this.#queue };
    this.#queue = [];
    this.#pendingCount = 0;
    for (const c of this.#connections.values()) c.inputs = 0;
    for (const i of tick.inputs) this.#track(i);
    this.#history.push(tick);
    this.#broadcast({ t: 'tick', ...tick });
    this.#decideUpTo(this.#tick - DECIDE_AFTER);
    this.#checkFinished();
    if (lastTick !== undefined && this.#tick >= lastTick) {
      this.#ended = true;
      if (this.#timer !== null) clearInterval(this.#timer);
      this.#timer = null;
      this.#broadcast({ t: 'end', tick: this.#tick });
      this.#log(`Match over after tick ${this.#tick}.`);
      this.#checkFinished();
    }
  }

  #connect(socket: WebSocket): void {
    let connection: Connection | null = null;
    socket.on('message', (raw: RawData, binary: boolean) => {
      if (binary) {
        this.#receiveLog(socket, raw);
        return;
      }
      const message = parseFrame<PeerMessage>(rawText(raw));
      if (message === null) return;
      try {
        if (connection === null) {
          if (message.t === 'hello') connection = this.#hello(socket, message);
          return;
        }
        this.#receive(connection, message);
      } catch (err) {
        // A frame the checks above missed costs its sender the connection, never the match:
        // a throw out of this listener would end the relay's process.
        this.#log(`Dropped a peer whose frame could not be handled: ${String(err)}`);
        socket.terminate();
      }
    });
    socket.on('close', () => {
      if (connection === null) return;
      this.#connections.delete(connection.actor);
      if (this.#owned.has(connection.actor)) {
        this.#orphans.set(connection.actor, this.#tick + this.#grace);
      }
      this.#log(`${connection.name} (${connection.actor}) left.`);
      this.#broadcastPeers();
      this.#checkFinished();
    });
    socket.on('error', () => socket.terminate());
  }

  #hello(socket: WebSocket, hello: Extract<PeerMessage, { t: 'hello' }>): Connection {
    // Fields of a frame are whatever the sender wrote: String() of an object such as
    // {"toString":1} throws, and a throw here would take the whole relay down.
    const name = (typeof hello.name === 'string' ? hello.name.slice(0, 24) : '') || 'peer';
    const role: PeerRole = ['player', 'bot', 'watch', 'host'].includes(hello.role)
      ? hello.role
      : 'player';
    // An actor is written into the world's log with every input of its peer: only a short
    // ASCII name (as the relay hands out) is taken back, never text a log cannot carry.
    let actor =
      typeof hello.actor === 'string' &&
      ACTOR_PATTERN.test(hello.actor) &&
      !this.#connections.has(hello.actor)
        ? hello.actor
        : '';
    if (actor === '') {
      const base = `${role}:${slug(name)}`;
      actor = base;
      for (let n = 2; this.#connections.has(actor) || this.#owned.has(actor); n++)
        actor = `${base}-${n}`;
    }
    this.#orphans.delete(actor);
    const connection: Connection = {
      socket,
      actor,
      name,
      role,
      order: this.#order++,
      tick: 0,
      desynced: false,
      inputs: 0,
    };
    this.#connections.set(actor, connection);
    const welcome: RelayMessage = {
      t: 'welcome',
      actor,
      seed: this.#options.seed,
      tickMs: this.#options.tickMs,
      history: this.#history,
      replayed: role === 'host' ? this.#pendingCount : 0,
    };
    socket.send(JSON.stringify(welcome));
    this.#log(`${name} joined as ${actor} (${role}) at tick ${this.#tick}.`);
    this.#broadcastPeers();
    if (this.#connections.size >= (this.#options.startWith ?? 0)) this.#start();
    return connection;
  }

  #receive(connection: Connection, message: PeerMessage): void {
    if (message.t === 'hash') {
      // Only a tick the relay has broadcast has a hash. A report for any other is forged: kept,
      // it would decide that tick ahead of the honest peers (alone, or first in a tie) and flag
      // them, and each one would hold memory until a tick that may never come.
      const { tick, hash } = message;
      if (
        Number.isSafeInteger(tick) &&
        tick >= 1 &&
        tick <= this.#tick &&
        typeof hash === 'string' &&
        hash.length <= MAX_HASH_LENGTH
      ) {
        this.#hash(connection, tick, hash);
      }
      return;
    }
    if (message.t !== 'input' || this.#ended) return;
    if (typeof message.type !== 'string' || typeof message.entity !== 'string') return;
    if (!Object.hasOwn(inputTypes, message.type)) return;
    if (message.entity.length > 64 || JSON.stringify(message.data ?? null).length > 512) return;
    if (connection.inputs >= MAX_INPUTS_PER_TICK) return;
    connection.inputs++;
    this.#queue.push({
      type: message.type,
      entity: message.entity,
      data: message.data ?? {},
      actor: connection.actor,
    });
  }

  #hash(connection: Connection, tick: number, hash: string): void {
    connection.tick = Math.max(connection.tick, tick);
    if (connection.desynced) return;
    const reference = this.#reference.get(tick);
    if (reference !== undefined) {
      if (reference !== hash) this.#desync(connection, tick);
    } else {
      const reports = this.#reports.get(tick) ?? new Map<string, string>();
      reports.set(connection.actor, hash);
      this.#reports.set(tick, reports);
      const waiting = [...this.#connections.values()].some(
        (c) => !c.desynced && !reports.has(c.actor),
      );
      if (!waiting) this.#decide(tick);
    }
    if (tick % 50 === 0) this.#broadcastPeers();
    this.#checkFinished();
  }

  #decideUpTo(tick: number): void {
    const due = [...this.#reports.keys()].filter((t) => t <= tick).sort((a, b) => a - b);
    for (const t of due) this.#decide(t);
  }

  /** Decides a tick's hash by majority, ties to the earliest peer, and flags the others. */
  #decide(tick: number): void {
    const reports = this.#reports.get(tick);
    if (reports === undefined) return;
    this.#reports.delete(tick);
    const groups = new Map<string, Connection[]>();
    for (const [actor, hash] of reports) {
      const c = this.#connections.get(actor);
      if (c === undefined || c.desynced) continue;
      groups.set(hash, [...(groups.get(hash) ?? []), c]);
    }
    let winner: string | null = null;
    let best: Connection[] = [];
    for (const [hash, members] of groups) {
      const first = Math.min(...members.map((m) => m.order));
      const bestFirst = Math.min(...best.map((m) => m.order));
      if (members.length > best.length || (members.length === best.length && first < bestFirst)) {
        winner = hash;
        best = members;
      }
    }
    if (winner === null) return;
    this.#reference.set(tick, winner);
    for (const [hash, members] of groups) {
      if (hash !== winner) for (const m of members) this.#desync(m, tick);
    }
  }

  #desync(connection: Connection, tick: number): void {
    connection.desynced = true;
    this.#log(
      `DESYNC: ${connection.name} (${connection.actor}) differs at tick ${tick}; comparing logs...`,
    );
    const reference = [...this.#connections.values()]
      .filter((c) => !c.desynced && c.tick >= tick)
      .sort((a, b) => a.order - b.order)[0];
    const pending = this.#explain(connection, reference ?? null, tick).then((desync) => {
      this.#desyncs.push(desync);
      this.#log(desync.report);
      this.#broadcast({
        t: 'desync',
        tick,
        actor: desync.actor,
        name: desync.name,
        report: desync.report,
      });
      this.#options.onDesync?.(desync);
    });
    this.#explaining.add(pending);
    void pending.finally(() => {
      this.#explaining.delete(pending);
      this.#checkFinished();
    });
    this.#broadcastPeers();
  }

  async #explain(odd: Connection, reference: Connection | null, tick: number): Promise<Desync> {
    const base = { tick, actor: odd.actor, name: odd.name };
    if (reference === null) {
      return {
        ...base,
        report: `No peer in sync at tick ${tick} to compare with.`,
        divergence: null,
      };
    }
    try {
      const [a, b] = await Promise.all([
        this.#fetchLog(reference, tick),
        this.#fetchLog(odd, tick),
      ]);
      const check = await firstDivergence(await storeOfExtract(a), await storeOfExtract(b), {
        makeSystem: this.#options.makeSystem,
        sides: [`${reference.name} (${reference.actor})`, `${odd.name} (${odd.actor})`],
      });
      if (check.ok) {
        return {
          ...base,
          report: `The logs up to tick ${tick} agree (${check.ticks} ticks).`,
          divergence: null,
        };
      }
      return { ...base, report: formatDivergence(check.divergence), divergence: check.divergence };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return {
        ...base,
        report: `Hash differs at tick ${tick}; the logs could not be compared: ${why}`,
        divergence: null,
      };
    }
  }

  #fetchLog(connection: Connection, tick: number): Promise<LogExtract> {
    const request = ++this.#request;
    return new Promise<LogExtract>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#logWaiters.delete(request);
        reject(new Error(`${connection.name} did not send its log within ${LOG_TIMEOUT_MS} ms`));
      }, LOG_TIMEOUT_MS);
      this.#logWaiters.set(request, {
        from: connection.socket,
        resolve: (extract) => {
          clearTimeout(timer);
          resolve(extract);
        },
      });
      this.#sendTo(connection, { t: 'log-request', request, tick });
    });
  }

  #receiveLog(socket: WebSocket, raw: RawData): void {
    try {
      const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
      const { request, extract } = decodeExtract(new Uint8Array(bytes));
      const waiter = this.#logWaiters.get(request);
      // Only the peer asked answers: request numbers are easy to guess, and another peer's
      // answer would put its log in place of the one compared.
      if (waiter === undefined || waiter.from !== socket) return;
      this.#logWaiters.delete(request);
      waiter.resolve(extract);
    } catch {
      // A frame that is not a log extract answers nothing; its request times out and says so.
    }
  }

  #checkFinished(): void {
    const last = this.#options.lastTick;
    if (!this.#ended || last === undefined || this.#explaining.size > 0) return;
    const behind = [...this.#connections.values()].some((c) => !c.desynced && c.tick < last);
    if (behind) return;
    this.#decideUpTo(last);
    if (this.#explaining.size > 0) return;
    this.#finish?.();
  }

  #broadcastPeers(): void {
    this.#broadcast({ t: 'peers', peers: this.peers });
  }

  #broadcast(message: RelayMessage): void {
    const text = JSON.stringify(message);
    for (const c of this.#connections.values()) if (c.socket.readyState === 1) c.socket.send(text);
  }

  #sendTo(connection: Connection, message: RelayMessage): void {
    if (connection.socket.readyState === 1) connection.socket.send(JSON.stringify(message));
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }
}

function rawText(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  return Buffer.from(raw as ArrayBuffer).toString('utf8');
}
