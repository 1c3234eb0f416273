/**
 * `@causeway/inspector/agent`: the inspector's server side. `attachInspector(system)` inside an
 * app, `openInspector(store)` over a log alone; both speak `@causeway/inspector/protocol`.
 *
 * @packageDocumentation
 */
export { attachInspector, openInspector } from './attach.ts';
export type { AttachedInspector, AttachOptions } from './attach.ts';
export { exportRangeAsTest, MAX_EXPORTED_INPUTS } from './export-test.ts';
export type { SystemModule } from './export-test.ts';
export { StateHistory } from './history.ts';
export type { DraftState, StateDraftLike, StateHistoryOptions } from './history.ts';
export { serveInspector, serveRelay, UI_BUILD_COMMAND, UI_BUILD_DIR } from './server.ts';
export type {
  ConnectionStats,
  EndpointConnection,
  InspectorServer,
  ServeOptions,
} from './server.ts';
export { InspectorService } from './service.ts';
export type { InspectedLog } from './service.ts';
