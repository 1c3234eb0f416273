import { decodeServerFrame, encodeFrame } from '../protocol/codec.ts';
import { InspectorError, InspectorErrorCodes } from '../protocol/errors.ts';
import {
  PROTOCOL_VERSION,
  TOKEN_PARAM,
  type MethodName,
  type ParamsOf,
  type Pushes,
  type PushTopic,
  type ResultOf,
} from '../protocol/messages.ts';

/** The part of the WebSocket API the client uses (the browser's, Node's global, or `ws`). */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A WebSocket constructor. */
export type SocketConstructor = new (url: string) => SocketLike;

/** Options of {@link InspectorClient.connect}. */
export interface ConnectOptions {
  /** The token; default: the `token` query parameter of the URL. */
  readonly token?: string;
  /** The WebSocket class; default: the global `WebSocket` (browsers, Node 22+). */
  readonly WebSocket?: SocketConstructor;
}

type PushListener<T extends PushTopic> = (data: Pushes[T]) => void;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: InspectorError) => void;
}

async function bytesOf(data: unknown): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (typeof Blob !== 'undefined' && data instanceof Blob)
    return new Uint8Array(await data.arrayBuffer());
  if (Array.isArray(data)) {
    // `ws` may deliver a fragmented message as a list of chunks.
    const chunks = data as Uint8Array[];
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
  throw new InspectorError({
    code: InspectorErrorCodes.BadFrame,
    message: `The agent sent a ${typeof data} frame; it sends binary msgpack frames.`,
    details: {},
  });
}

/**
 * A typed client of the inspector's protocol: `call('stateAt', { seq: 10 })` resolves with the
 * method's result type, and pushes reach the listeners given to `on`. Works in browsers and in
 * Node (pass `ws`'s `WebSocket` where no global one exists).
 *
 * @example
 * ```ts
 * const client = await InspectorClient.connect('ws://127.0.0.1:4000/?token=…');
 * const { events } = await client.call('events', { filter: { type: 'Moved' }, limit: 50 });
 * ```
 */
export class InspectorClient {
  readonly #socket: SocketLike;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<PushTopic, Set<(data: never) => void>>();
  #nextId = 1;
  #closed: InspectorError | null = null;
  /** The agent's `hello`: its protocol version, mode and store. */
  hello: Pushes['hello'] | null = null;

  private constructor(socket: SocketLike) {
    this.#socket = socket;
  }

  /**
   * Connects and waits for the agent's `hello`.
   * @throws InspectorError `closed` when the agent refuses the connection (wrong token, foreign
   *   origin) or is unreachable; `version-mismatch` when it speaks another protocol version.
   */
  static connect(url: string, options: ConnectOptions = {}): Promise<InspectorClient> {
    const Socket =
      options.WebSocket ?? (globalThis as { WebSocket?: SocketConstructor }).WebSocket ?? null;
    if (Socket === null) {
      return Promise.reject(
        new InspectorError({
          code: InspectorErrorCodes.Unavailable,
          message:
            'No WebSocket class: this runtime has no global WebSocket. Pass one: InspectorClient.connect(url, { WebSocket }) with the `ws` package.',
          details: {},
        }),
      );
    }
    const target = new URL(url);
    if (options.token !== undefined) target.searchParams.set(TOKEN_PARAM, options.token);
    const socket = new Socket(target.toString());
    socket.binaryType = 'arraybuffer';
    const client = new InspectorClient(socket);
    return new Promise<InspectorClient>((resolve, reject) => {
      let settled = false;
      const fail = (err: InspectorError): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      client.on('hello', (hello) => {
        if (settled) return;
        if (hello.protocol !== PROTOCOL_VERSION) {
          socket.close(1002, 'protocol version');
          fail(
            new InspectorError({
              code: InspectorErrorCodes.VersionMismatch,
              message: `The agent speaks protocol ${hello.protocol}; this client speaks ${PROTOCOL_VERSION}. Use an inspector of the agent's version.`,
              details: { agent: hello.protocol, client: PROTOCOL_VERSION },
            }),
          );
          return;
        }
        client.hello = hello;
        settled = true;
        resolve(client);
      });
      socket.onmessage = (event) => {
        void bytesOf(event.data).then(
          (bytes) => client.#receive(bytes),
          () => socket.close(1003, 'binary frames only'),
        );
      };
      socket.onerror = () => undefined;
      socket.onclose = (event) => {
        const err = new InspectorError({
          code: InspectorErrorCodes.Closed,
          message: `The connection to ${target.host} closed (code ${event.code}${event.reason === '' ? '' : `, ${event.reason}`}). Check the URL and its token.`,
          details: { code: event.code, reason: event.reason },
        });
        client.#close(err);
        fail(err);
      };
    });
  }

  #receive(bytes: Uint8Array): void {
    let frame;
    try {
      frame = decodeServerFrame(bytes);
    } catch {
      this.#socket.close(1002, 'bad frame from agent');
      return;
    }
    if (frame.kind === 'push') {
      for (const listener of this.#listeners.get(frame.topic) ?? [])
        (listener as (data: unknown) => void)(frame.data);
      return;
    }
    if (frame.id === null) return;
    const pending = this.#pending.get(frame.id);
    if (pending === undefined) return;
    this.#pending.delete(frame.id);
    if (frame.kind === 'result') pending.resolve(frame.result);
    else pending.reject(new InspectorError(frame.error));
  }

  #close(err: InspectorError): void {
    this.#closed ??= err;
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }

  /**
   * Calls a method and resolves with its result.
   * @throws InspectorError with the agent's code, or `closed`.
   */
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#socket.send(encodeFrame({ kind: 'request', id, method, params }));
    });
  }

  /** Listens to a push topic; returns a function that stops listening. */
  on<T extends PushTopic>(topic: T, listener: PushListener<T>): () => void {
    let set = this.#listeners.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Closes the connection; pending calls reject with `closed`. */
  close(): void {
    this.#socket.close(1000, 'client closed');
    this.#close(
      new InspectorError({
        code: InspectorErrorCodes.Closed,
        message: 'The client was closed.',
        details: {},
      }),
    );
  }
}
