/**
 * `@causeway/inspector/client`: a typed client of the inspector protocol, for browsers and Node.
 *
 * @packageDocumentation
 */
export { InspectorClient } from './inspector-client.ts';
export type { ConnectOptions, SocketConstructor, SocketLike } from './inspector-client.ts';
