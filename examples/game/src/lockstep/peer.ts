import {
  MemoryStore,
  newEntityId,
  type EventStore,
  type EventSystem,
  type TickResult,
} from '@causeway/runtime';
import type { Direction, Arena } from '../sim/arena.ts';
import { admit } from '../sim/inputs.ts';
import { makeWorld } from '../sim/world.ts';
import { encodeExtract, extractLog } from './log-transfer.ts';
import {
  parseFrame,
  type PeerInfo,
  type PeerMessage,
  type PeerRole,
  type RelayMessage,
  type SocketLike,
  type WireTick,
} from './protocol.ts';

/** Decides a snake's next direction from the state after a tick (a bot's brain). */
export type Brain = (arena: EventSystem<Arena>['state'], me: string) => Direction | null;

/** What a peer reports to its host program (the view, a bot's process, a test). */
export interface PeerEvents {
  /** After each tick; `live` is false while catching up on the relay's history. */
  onTick?(result: TickResult, live: boolean): void;
  onPeers?(peers: readonly PeerInfo[]): void;
  /** The relay caught a peer (maybe this one) diverging, with the runtime's divergence report. */
  onDesync?(desync: { tick: number; actor: string; name: string; report: string }): void;
  /** The match ended after `tick`. */
  onEnd?(tick: number): void;
  onError?(error: unknown): void;
}

/** Options of a {@link LockstepPeer}. */
export interface PeerOptions extends PeerEvents {
  /** A socket to the relay, not necessarily open yet. */
  readonly socket: SocketLike;
  readonly name: string;
  readonly role: PeerRole;
  /** The actor to ask for (to take a snake back after a restart or a reload). */
  readonly actor?: string;
  /** The world, already open on its store (the host's durable log). Default: one made on `store`. */
  readonly world?: EventSystem<Arena>;
  /** Where a world this peer makes keeps its log. Default: a new memory store. */
  readonly store?: EventStore;
  /**
   * Runs the demo's nondeterminism bug from this many ticks after joining (see `WorldOptions`).
   * Only for a world this peer makes itself.
   */
  readonly bugAfterJoin?: number;
  /** Plays on its own: joins when it has no snake and steers after every live tick. */
  readonly brain?: Brain;
}

/**
 * One peer of a lockstep match: it runs the whole simulation locally, feeds it exactly the
 * ticks the relay ordered (catching up on the history first), publishes every tick's state hash,
 * and sends only inputs. The same class runs in a browser tab, in a bot and in the host.
 */
export class LockstepPeer {
  readonly #options: PeerOptions;
  readonly #socket: SocketLike;
  #world: EventSystem<Arena> | null;
  #actor = '';
  #chain: Promise<void> = Promise.resolve();
  #journaledAhead = 0;
  #live = false;
  #joinSentAt = -1;
  #turnSent = false;
  readonly #turns: Direction[] = [];
  #ended = false;
  #peers: readonly PeerInfo[] = [];
  readonly #hashes = new Map<number, string>();

  constructor(options: PeerOptions) {
    this.#options = options;
    this.#socket = options.socket;
    this.#world = options.world ?? null;
    this.#socket.binaryType = 'arraybuffer';
    const hello: PeerMessage = {
      t: 'hello',
      name: options.name,
      role: options.role,
      ...(options.actor === undefined ? {} : { actor: options.actor }),
    };
    if (this.#socket.readyState === 1) this.#send(hello);
    else this.#socket.addEventListener('open', () => this.#send(hello));
    this.#socket.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return;
      const message = parseFrame<RelayMessage>(event.data);
      if (message !== null) this.#receive(message);
    });
  }

  /** The local world; null until the relay's welcome arrived. */
  get world(): EventSystem<Arena> | null {
    return this.#world;
  }

  /** The actor the relay gave this peer. */
  get actor(): string {
    return this.#actor;
  }

  /** The last committed tick. */
  get tick(): number {
    return this.#world?.lastCommit?.tick ?? 0;
  }

  /** The state hash this peer committed at `tick`, if it ran it. */
  hashAt(tick: number): string | undefined {
    return this.#hashes.get(tick);
  }

  /** Whether the peer has caught up with the relay's history. */
  get live(): boolean {
    return this.#live;
  }

  /** Whether the relay ended the match. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The peers the relay listed last. */
  get peers(): readonly PeerInfo[] {
    return this.#peers;
  }

  /** This peer's snake: the one its actor joined, or null. */
  get snake(): string | null {
    const arena = this.#world?.state;
    if (arena === undefined) return null;
    for (const id of Object.keys(arena.snake))
      if (arena.snake[id]?.owner === this.#actor) return id;
    return null;
  }

  /** Joins the arena with a new snake, unless this peer has one or a join is on its way. */
  join(name: string): void {
    if (this.snake !== null || (this.#joinSentAt >= 0 && this.tick - this.#joinSentAt < 20)) return;
    this.#joinSentAt = this.tick;
    this.#send({ t: 'input', type: 'PlayerJoined', entity: newEntityId(), data: { name } });
  }

  /** Asks this peer's snake to turn (sent as an input, taking effect in a coming tick). */
  steer(dir: Direction): void {
    if (this.snake === null) return;
    // One turn per tick: a second key press in the same tick waits for the next one, so a
    // quick "up, left" makes both turns instead of only the last.
    if (this.#turnSent) {
      if (this.#turns.length < 3 && this.#turns.at(-1) !== dir) this.#turns.push(dir);
      return;
    }
    this.#sendTurn(dir);
  }

  #sendTurn(dir: Direction): void {
    const me = this.snake;
    if (me === null) return;
    this.#turnSent = true;
    this.#send({ t: 'input', type: 'Steer', entity: me, data: { dir } });
  }

  /** Closes the connection (the relay then lets the snake go after a grace period). */
  close(): void {
    this.#socket.close();
  }

  /** Resolves when every tick received so far has been run. */
  settled(): Promise<void> {
    return this.#chain;
  }

  #send(message: PeerMessage): void {
    if (this.#socket.readyState === 1) this.#socket.send(JSON.stringify(message));
  }

  #receive(message: RelayMessage): void {
    switch (message.t) {
      case 'welcome':
        this.#enqueue(() => this.#welcome(message));
        return;
      case 'tick':
        this.#enqueue(() => this.#run(message, true));
        return;
      case 'log-request':
        this.#enqueue(() => this.#sendLog(message.request, message.tick));
        return;
      case 'peers':
        this.#peers = message.peers;
        this.#options.onPeers?.(message.peers);
        return;
      case 'desync':
        this.#options.onDesync?.(message);
        return;
      case 'end':
        this.#enqueue(() => {
          this.#ended = true;
          this.#options.onEnd?.(message.tick);
          return Promise.resolve();
        });
        return;
    }
  }

  #enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((err: unknown) => {
      if (this.#options.onError === undefined) throw err;
      this.#options.onError(err);
    });
  }

  async #welcome(welcome: Extract<RelayMessage, { t: 'welcome' }>): Promise<void> {
    this.#actor = welcome.actor;
    if (this.#world === null) {
      const joinedAt = welcome.history.at(-1)?.tick ?? 0;
      const bug = this.#options.bugAfterJoin;
      this.#world = makeWorld(this.#options.store ?? new MemoryStore(), {
        seed: welcome.seed,
        ...(bug === undefined ? {} : { bugFromTick: joinedAt + bug }),
      });
    }
    const world = this.#world;
    await world.open();
    const committed = world.lastCommit?.lastInput ?? 0;
    this.#journaledAhead = welcome.replayed > 0 ? (await world.store.lastInput()) - committed : 0;
    for (let i = 0; i < welcome.history.length; i++) {
      await this.#run(welcome.history[i] as WireTick, false);
      // Let a browser paint while a long history replays.
      if (i % 500 === 499) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    this.#live = true;
    this.#act();
  }

  async #run(tick: WireTick, live: boolean): Promise<void> {
    const world = this.#world;
    if (world === null) return;
    const last = world.lastCommit;
    if (last !== null && tick.tick <= last.tick) {
      // A tick the world's own log already holds (the host after a restart).
      return;
    }
    let wire = tick.inputs;
    if (this.#journaledAhead > 0) {
      // The host's log already journaled these inputs before it stopped; the world runs them
      // from its queue, so they must not be accepted twice.
      wire = wire.slice(this.#journaledAhead);
      this.#journaledAhead = 0;
    }
    let result: TickResult;
    try {
      result = await world.tick(admit(world, wire, tick.at), { at: tick.at });
    } catch {
      // Every peer refuses the same batch, so every peer runs the tick without it.
      result = await world.tick([], { at: tick.at });
    }
    this.#hashes.set(result.commit.tick, result.commit.hash);
    this.#send({ t: 'hash', tick: result.commit.tick, hash: result.commit.hash });
    this.#options.onTick?.(result, live);
    if (!live) return;
    this.#turnSent = false;
    const next = this.#turns.shift();
    if (next !== undefined) this.#sendTurn(next);
    this.#act();
  }

  #act(): void {
    const brain = this.#options.brain;
    const world = this.#world;
    if (brain === undefined || world === null || this.#ended) return;
    const me = this.snake;
    if (me === null) {
      this.join(this.#options.name);
      return;
    }
    const dir = brain(world.state, me);
    if (dir !== null && dir !== world.state.snake[me]?.wanted) this.steer(dir);
  }

  async #sendLog(request: number, tick: number): Promise<void> {
    const world = this.#world;
    if (world === null) return;
    const extract = await extractLog(world.store, world.seed, tick);
    if (this.#socket.readyState === 1) this.#socket.send(encodeExtract(request, extract));
  }
}
