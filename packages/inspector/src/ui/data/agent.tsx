import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { InspectorClient } from '../../client/index.ts';
import type { MethodName, ParamsOf, ResultOf } from '../../protocol/index.ts';

const AgentContext = createContext<InspectorClient | null>(null);

/** Gives the panels below it the connected client. */
export function AgentProvider(props: {
  readonly client: InspectorClient;
  readonly children: ReactNode;
}): ReactNode {
  return <AgentContext.Provider value={props.client}>{props.children}</AgentContext.Provider>;
}

/** The connected client. */
export function useAgent(): InspectorClient {
  const client = useContext(AgentContext);
  if (client === null) throw new Error('useAgent() is used outside <AgentProvider>.');
  return client;
}

/** The state of one request: its result, its error, or still waiting. */
export type Request<T> =
  | { readonly status: 'idle' }
  | { readonly status: 'loading'; readonly previous: T | undefined }
  | { readonly status: 'done'; readonly data: T }
  | { readonly status: 'failed'; readonly error: Error };

/** The data of a request, or the previous data while the next one loads. */
export function dataOf<T>(request: Request<T>): T | undefined {
  if (request.status === 'done') return request.data;
  if (request.status === 'loading') return request.previous;
  return undefined;
}

// Results are cached per client and request, so stepping back and forth over the same events
// does not ask the agent again; old entries go first when the cache is full.
const CACHE_ENTRIES = 300;
const caches = new WeakMap<InspectorClient, Map<string, Promise<unknown>>>();

/** Calls a method through the per-client cache. */
export function cachedCall<M extends MethodName>(
  client: InspectorClient,
  method: M,
  params: ParamsOf<M>,
): Promise<ResultOf<M>> {
  let cache = caches.get(client);
  if (cache === undefined) {
    cache = new Map();
    caches.set(client, cache);
  }
  const key = `${method}:${JSON.stringify(params)}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit as Promise<ResultOf<M>>;
  }
  const made = client.call(method, params);
  cache.set(key, made);
  made.catch(() => cache.delete(key));
  if (cache.size > CACHE_ENTRIES) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  return made;
}

/**
 * Calls a method when `params` change (compared by value) and returns the request's state;
 * `null` params mean "nothing to ask". Set `fresh` for answers that change as the log grows.
 */
export function useMethod<M extends MethodName>(
  method: M,
  params: ParamsOf<M> | null,
  options: { readonly fresh?: boolean; readonly refresh?: unknown } = {},
): Request<ResultOf<M>> {
  const client = useAgent();
  const key = params === null ? null : JSON.stringify(params);
  const [state, setState] = useState<Request<ResultOf<M>>>({ status: 'idle' });
  const { fresh = false, refresh } = options;
  useEffect(() => {
    if (key === null || params === null) {
      setState({ status: 'idle' });
      return;
    }
    let live = true;
    setState((previous) => ({ status: 'loading', previous: dataOf(previous) }));
    const call = fresh ? client.call(method, params) : cachedCall(client, method, params);
    call.then(
      (data) => live && setState({ status: 'done', data }),
      (error: unknown) =>
        live &&
        setState({
          status: 'failed',
          error: error instanceof Error ? error : new Error(String(error)),
        }),
    );
    return () => {
      live = false;
    };
    // `params` is compared through its serialised `key`, not by identity.
  }, [client, method, key, fresh, refresh]);
  return state;
}
