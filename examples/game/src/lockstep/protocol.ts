import type { WireInput } from '../sim/inputs.ts';

/** One tick as the relay ordered it: its number, its time, and its inputs in order. */
export interface WireTick {
  readonly tick: number;
  readonly at: number;
  readonly inputs: readonly WireInput[];
}

/** What a peer is: a person at a keyboard, a bot, a watcher, or the host keeping the world's log. */
export type PeerRole = 'player' | 'bot' | 'watch' | 'host';

/** A peer as the relay lists it to everyone. */
export interface PeerInfo {
  readonly actor: string;
  readonly name: string;
  readonly role: PeerRole;
  /** Last tick whose hash it published. */
  readonly tick: number;
  readonly desynced: boolean;
}

/** Messages from a peer to the relay (JSON text frames). */
export type PeerMessage =
  | {
      readonly t: 'hello';
      readonly name: string;
      readonly role: PeerRole;
      /**
       * Asks for this actor again (a bot or a reloaded tab taking its snake back): 1 to 40 ASCII
       * letters, digits and `:._-`. Another one, or one connected now, gets a new actor.
       */
      readonly actor?: string;
    }
  | { readonly t: 'input'; readonly type: string; readonly entity: string; readonly data: unknown }
  | { readonly t: 'hash'; readonly tick: number; readonly hash: string };

/** Messages from the relay to a peer (JSON text frames). */
export type RelayMessage =
  | {
      readonly t: 'welcome';
      readonly actor: string;
      readonly seed: number;
      readonly tickMs: number;
      /** Every tick so far, to catch up on. */
      readonly history: readonly WireTick[];
      /** How many of the first live tick's inputs the host already journaled (see `Relay`). */
      readonly replayed: number;
    }
  | ({ readonly t: 'tick' } & WireTick)
  | { readonly t: 'peers'; readonly peers: readonly PeerInfo[] }
  | { readonly t: 'log-request'; readonly request: number; readonly tick: number }
  | {
      readonly t: 'desync';
      readonly tick: number;
      readonly actor: string;
      readonly name: string;
      readonly report: string;
    }
  | { readonly t: 'end'; readonly tick: number };

/** The subset of the WebSocket API both the browser's and the `ws` package's sockets offer. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

/** Reads a JSON frame; null for anything that is not a JSON object with a string `t`. */
export function parseFrame<T extends { t: string }>(text: string): T | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    return typeof (value as { t?: unknown }).t === 'string' ? (value as T) : null;
  } catch {
    return null;
  }
}
