import type { EventStore, EventSystem } from '@causeway/runtime';
import { WebSocket } from 'ws';
import { botBrain } from '../bot/player.ts';
import { LockstepPeer, type PeerEvents } from '../lockstep/peer.ts';
import type { SocketLike } from '../lockstep/protocol.ts';
import type { Arena } from '../sim/arena.ts';

/** Options of {@link connectPeer}. */
export interface NodePeerOptions extends PeerEvents {
  /** The relay's WebSocket URL (`ws://127.0.0.1:port/ws`). */
  readonly url: string;
  readonly name: string;
  /** `bot` plays on its own; `host` keeps the world's durable log. */
  readonly role: 'bot' | 'host' | 'watch';
  readonly actor?: string;
  readonly world?: EventSystem<Arena>;
  readonly store?: EventStore;
  readonly bugAfterJoin?: number;
}

/** A headless peer in Node, over the `ws` package: a bot, a watcher, or the host. */
export function connectPeer(options: NodePeerOptions): LockstepPeer {
  const { url, role, ...rest } = options;
  const ws = new WebSocket(url);
  // Without a listener, a relay that cannot be reached (or drops the connection) is an
  // unhandled 'error' event: a stack trace and a crash instead of the peer's onError.
  ws.on('error', (err) => {
    options.onError?.(
      new Error(
        `The connection to the relay at ${url} failed (${err.message}). Check the URL (serve prints it) and that the game is running.`,
      ),
    );
  });
  const socket = ws as unknown as SocketLike;
  return new LockstepPeer({
    ...rest,
    socket,
    role,
    ...(role === 'bot' ? { brain: botBrain(options.name) } : {}),
  });
}
