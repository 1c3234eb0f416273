import type { EventStore, EventSystem, MakeSystem } from '@causeway/runtime';
import type { SystemModule } from './export-test.ts';
import { serveInspector, type InspectorServer, type ServeOptions } from './server.ts';
import { InspectorService, type InspectedLog } from './service.ts';

/** Options of {@link attachInspector} and {@link openInspector}. */
export interface AttachOptions<S extends object = Record<string, unknown>> extends ServeOptions {
  /** Makes a system of the application; enables verify and the state paths of compare. */
  readonly makeSystem?: MakeSystem<S>;
  /** Where exported tests import `makeSystem` from; enables exportTest. */
  readonly systemModule?: SystemModule;
  /** A state checkpoint every this many events. Default 2,000. */
  readonly checkpointEvery?: number;
  /**
   * The other logs a client may compare this one with: store URLs (`file:./peer-b`,
   * `postgres://…`), opened read-only when asked for. The agent opens no other: a client that
   * names any other store gets `forbidden`. Default: none (clients can still re-execute).
   */
  readonly compareWith?: readonly string[];
  /**
   * Opens one of {@link AttachOptions.compareWith}; default: `openStore(url, { readOnly: true })`.
   */
  readonly openOther?: (url: string) => Promise<EventStore>;
}

/** An inspector serving a log: the endpoint, and the service behind it. */
export interface AttachedInspector extends InspectorServer {
  readonly service: InspectorService;
}

async function openReadOnly(url: string): Promise<EventStore> {
  const { openStore } = await import('@causeway/adapters');
  return openStore(url, { readOnly: true });
}

function inspected<S extends object>(
  store: EventStore,
  system: EventSystem<S> | undefined,
  options: AttachOptions<S>,
): InspectedLog {
  return {
    store,
    ...(system === undefined ? {} : { system: system }),
    ...(options.makeSystem === undefined ? {} : { makeSystem: options.makeSystem }),
    ...(options.systemModule === undefined ? {} : { systemModule: options.systemModule }),
    ...(options.checkpointEvery === undefined ? {} : { checkpointEvery: options.checkpointEvery }),
    openOther: options.openOther ?? openReadOnly,
    ...(options.compareWith === undefined ? {} : { compareWith: options.compareWith }),
  };
}

async function serve(log: InspectedLog, options: ServeOptions): Promise<AttachedInspector> {
  const service = await InspectorService.start(log);
  try {
    const server = await serveInspector(service, options);
    return {
      ...server,
      stats: () => server.stats(),
      service,
      close: async () => {
        service.close();
        await server.close();
      },
    };
  } catch (err) {
    service.close();
    throw err;
  }
}

/**
 * Attaches the inspector to a running system: a WebSocket endpoint on 127.0.0.1 (another
 * address only by the `host` option, with a warning), guarded by a random token, printed as a
 * ready-to-open URL. It follows the system's commits, keeps state checkpoints and a path index
 * built in slices of a few milliseconds, and serves the protocol of `@causeway/inspector/protocol`.
 * `close()` detaches it; the system goes on, and a verify or compare still running stops at its
 * next slice (its caller gets `unavailable`).
 *
 * @example
 * ```ts
 * const inspector = await attachInspector(system, { makeSystem });
 * // causeway-inspector: open http://127.0.0.1:43121/?token=…
 * ```
 * @throws CausewayError `CW_INVALID_ARGUMENT` for bad options; the system's own open errors.
 */
export function attachInspector<S extends object>(
  system: EventSystem<S>,
  options: AttachOptions<S> = {},
): Promise<AttachedInspector> {
  return serve(inspected(system.store, system, options), options);
}

/**
 * Serves the inspector over a store with no running app (the CLI's `open`). Without
 * `makeSystem` it pages events, commits and causation but computes no states.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` for bad options.
 */
export function openInspector<S extends object>(
  store: EventStore,
  options: AttachOptions<S> = {},
): Promise<AttachedInspector> {
  return serve(inspected(store, undefined, options), options);
}
