/** Lockstep over WebSockets: the peer (browser and Node) and the log extracts it sends. */
export { LockstepPeer } from './peer.ts';
export type { Brain, PeerEvents, PeerOptions } from './peer.ts';
export { decodeExtract, encodeExtract, extractLog, storeOfExtract } from './log-transfer.ts';
export type { LogExtract } from './log-transfer.ts';
export { parseFrame } from './protocol.ts';
export type {
  PeerInfo,
  PeerMessage,
  PeerRole,
  RelayMessage,
  SocketLike,
  WireTick,
} from './protocol.ts';
