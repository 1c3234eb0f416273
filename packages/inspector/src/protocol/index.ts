/**
 * `@causeway/inspector/protocol`: the versioned protocol the agent and the UI share — message
 * types with request ids, method names with their params and results, pushes, typed error
 * codes, and the msgpack framing. Browser-safe: no Node built-ins.
 *
 * @packageDocumentation
 */
export {
  isMethodName,
  isTruncated,
  MAX_CLIENT_FRAME_BYTES,
  MAX_ENTITY_PARAM,
  MAX_PAGE_ITEMS,
  MAX_PATH_KEYS,
  MAX_TEXT_PARAM,
  methodNames,
  PROTOCOL_VERSION,
  TOKEN_PARAM,
  TRUNCATED_KEY,
  WS_PATH,
} from './messages.ts';
export type {
  ClientFrame,
  CommitsPage,
  ComparisonResult,
  ConsequenceNode,
  EntityHistoryPage,
  EntityVersion,
  ErrorFrame,
  EventDetail,
  EventFilter,
  EventPatchSet,
  EventsPage,
  ExportedTest,
  MethodName,
  Methods,
  ParamsOf,
  PathChange,
  PathHistoryPage,
  PushFrame,
  Pushes,
  PushTopic,
  RequestFrame,
  ResultFrame,
  ResultOf,
  ServerFrame,
  StateAt,
  StateChange,
  StateDiff,
  StateMatch,
  StateSearch,
  StateWindow,
  StatePath,
  Summary,
  TickActivities,
  TruncatedValue,
  WireEvent,
  WirePatch,
} from './messages.ts';
export { InspectorError, InspectorErrorCodes, isInspectorError } from './errors.ts';
export type { InspectorErrorCode, WireError } from './errors.ts';
export { decodeClientFrame, decodeServerFrame, encodeFrame } from './codec.ts';
