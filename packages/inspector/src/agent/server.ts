import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CausewayError, ErrorCodes, type TickCommit } from '@causeway/runtime';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  decodeClientFrame,
  encodeFrame,
  InspectorError,
  InspectorErrorCodes,
  isMethodName,
  MAX_CLIENT_FRAME_BYTES,
  PROTOCOL_VERSION,
  TOKEN_PARAM,
  WS_PATH,
  type PushTopic,
  type Pushes,
  type ServerFrame,
  type WireError,
} from '../protocol/index.ts';
import { checkParams } from './params.ts';
import type { InspectorService } from './service.ts';

/**
 * Where the UI's static build lives (`packages/inspector/dist-ui`). The agent and the CLI serve
 * it at `/`; when it is missing they serve a page saying how to build it.
 */
export const UI_BUILD_DIR = fileURLToPath(new URL('../../dist-ui/', import.meta.url));

/** The command that builds the UI into {@link UI_BUILD_DIR}. */
export const UI_BUILD_COMMAND = 'npm run build:ui -w @causeway/inspector';

/** Options of {@link serveInspector}. */
export interface ServeOptions {
  /**
   * The address to listen on. Default `127.0.0.1`. Any other address exposes the log to the
   * network (the token still guards it); a warning is printed.
   */
  readonly host?: string;
  /** The port; default 0 (a free port). */
  readonly port?: number;
  /** The token clients must present; default 24 random bytes, base64url. */
  readonly token?: string;
  /**
   * Origins (scheme://host:port) of web pages allowed to connect besides the agent's own, for
   * example a UI dev server. Clients that send no Origin (not browsers) need only the token.
   */
  readonly allowedOrigins?: readonly string[];
  /** The UI's static files; default {@link UI_BUILD_DIR}. */
  readonly uiDir?: string;
  /**
   * The most bytes waiting to be sent to one client before the agent stops reading its requests
   * and coalesces its live pushes. Default 4 MiB.
   */
  readonly maxBufferedBytes?: number;
  /** Where the agent prints its URL and warnings. Default: standard error. */
  readonly print?: (line: string) => void;
}

/** Counters of one connection, for tests and diagnostics. */
export interface ConnectionStats {
  readonly bufferedBytes: number;
  readonly pendingPushes: number;
  readonly skippedPushes: number;
  readonly paused: boolean;
  readonly following: boolean;
}

/** A running inspector endpoint. */
export interface InspectorServer {
  /** The URL to open in a browser (the UI), token included. */
  readonly url: string;
  /** The WebSocket URL, token included. */
  readonly wsUrl: string;
  readonly token: string;
  readonly port: number;
  /** Counters of every open connection. */
  stats(): ConnectionStats[];
  /** Closes every connection and the listening socket. */
  close(): Promise<void>;
}

const MAX_IN_FLIGHT = 8;
const MAX_QUEUED_FRAMES = 1024;
const MAX_QUEUED_BYTES = 4 * MAX_CLIENT_FRAME_BYTES;
const MAX_PENDING_PUSHES = 32;
const DRAIN_POLL_MS = 20;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(socket: Socket, status: number, reason: string, body: string = reason): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function missingUiPage(wsUrl: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Causeway inspector</title></head>
<body style="font-family:system-ui;max-width:40em;margin:3em auto;line-height:1.5">
<h1>The inspector's UI is not built</h1>
<p>The agent is running, but <code>packages/inspector/dist-ui</code> is missing. Build the UI with</p>
<pre>${UI_BUILD_COMMAND}</pre>
<p>and reload this page. Protocol clients can connect now at <code>${wsUrl.replace(/token=[^&]*/, 'token=…')}</code>.</p>
</body></html>`;
}

/** One client's connection: its requests, its live tail, and its backpressure. */
class Connection {
  following: (() => void) | null = null;
  #inFlight = 0;
  #paused = false;
  #pending: TickCommit[] = [];
  #skipped = 0;
  #drainTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #queue: { data: RawData; isBinary: boolean; bytes: number }[] = [];
  #queuedBytes = 0;

  constructor(
    readonly socket: WebSocket,
    private readonly service: InspectorService,
    private readonly maxBuffered: number,
  ) {}

  stats(): ConnectionStats {
    return {
      bufferedBytes: this.socket.bufferedAmount,
      pendingPushes: this.#pending.length,
      skippedPushes: this.#skipped,
      paused: this.#paused,
      following: this.following !== null,
    };
  }

  send(frame: ServerFrame): void {
    if (this.#closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(encodeFrame(frame));
    this.#checkPressure();
  }

  push<T extends PushTopic>(topic: T, data: Pushes[T]): void {
    this.send({ kind: 'push', topic, data });
  }

  #error(id: number | null, error: WireError): void {
    this.send({ kind: 'error', id, error });
  }

  #overPressure(): boolean {
    return this.socket.bufferedAmount > this.maxBuffered || this.#inFlight >= MAX_IN_FLIGHT;
  }

  /**
   * Stops reading the client's requests while its answers pile up or too many run at once.
   * Frames already read off the socket wait in a queue, bounded by what one read can hold.
   */
  #checkPressure(): void {
    if ((this.#overPressure() || this.#queue.length > 0) && !this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
    if (this.#paused || this.#pending.length > 0) this.#scheduleDrain();
  }

  /** Takes a frame off the socket: handled now, or queued while the client is over its limits. */
  enqueue(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    const bytes = Array.isArray(data)
      ? data.reduce((n, b) => n + b.byteLength, 0)
      : data.byteLength;
    this.#queue.push({ data, isBinary, bytes });
    this.#queuedBytes += bytes;
    if (this.#queue.length > MAX_QUEUED_FRAMES || this.#queuedBytes > MAX_QUEUED_BYTES) {
      this.close();
      // Reading again lets the closing handshake complete; later frames are dropped.
      this.socket.resume();
      this.socket.close(1008, 'too many requests waiting for their answers');
      return;
    }
    this.#pump();
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#overPressure() && !this.#closed) {
      const next = this.#queue.shift() as { data: RawData; isBinary: boolean; bytes: number };
      this.#queuedBytes -= next.bytes;
      void this.receive(next.data, next.isBinary);
    }
    this.#checkPressure();
  }

  #scheduleDrain(): void {
    if (this.#drainTimer !== null || this.#closed) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = null;
      this.#drain();
    }, DRAIN_POLL_MS);
  }

  #drain(): void {
    if (this.#closed) return;
    const buffered = this.socket.bufferedAmount;
    if (this.#pending.length > 0 && buffered <= this.maxBuffered / 2) this.#flushTail();
    if (this.socket.bufferedAmount <= this.maxBuffered / 2) this.#pump();
    if (
      this.#paused &&
      this.#queue.length === 0 &&
      this.socket.bufferedAmount <= this.maxBuffered / 2 &&
      this.#inFlight < MAX_IN_FLIGHT
    ) {
      this.#paused = false;
      this.socket.resume();
    }
    if (this.#paused || this.#pending.length > 0) this.#scheduleDrain();
  }

  /** A new commit for a following client: sent now, or coalesced while the client lags. */
  tail(commit: TickCommit): void {
    this.#pending.push(commit);
    if (this.#pending.length > MAX_PENDING_PUSHES) {
      this.#pending.shift();
      this.#skipped++;
    }
    if (this.socket.bufferedAmount <= this.maxBuffered / 2) this.#flushTail();
    else this.#scheduleDrain();
  }

  #flushTail(): void {
    const commits = this.#pending;
    const last = commits[commits.length - 1];
    if (last === undefined) return;
    this.#pending = [];
    const skipped = this.#skipped;
    this.#skipped = 0;
    this.push('tail', { commits, skipped, lastSeq: last.lastSeq });
  }

  async receive(data: RawData, isBinary: boolean): Promise<void> {
    if (!isBinary) {
      this.#error(null, {
        code: InspectorErrorCodes.BadFrame,
        message: 'Text frames are not part of the protocol; send binary msgpack frames.',
        details: {},
      });
      return;
    }
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : data;
    let frame;
    try {
      frame = decodeClientFrame(bytes);
    } catch (err) {
      const wire =
        err instanceof InspectorError
          ? err.toWire()
          : { code: InspectorErrorCodes.BadFrame, message: String(err), details: {} };
      const id = wire.details['id'];
      this.#error(typeof id === 'number' ? id : null, wire);
      return;
    }
    const { id, method } = frame;
    if (!isMethodName(method)) {
      this.#error(id, {
        code: InspectorErrorCodes.UnknownMethod,
        message: `Unknown method ${JSON.stringify(method).slice(0, 80)}; protocol ${PROTOCOL_VERSION} has summary, events, event, stateAt, patches, pathHistory, entityHistory, commits, follow, unfollow, verify, compare, activities and exportTest.`,
        details: { method: String(method).slice(0, 80) },
      });
      return;
    }
    this.#inFlight++;
    this.#checkPressure();
    try {
      const params = checkParams(method, frame.params as Readonly<Record<string, unknown>>);
      if (method === 'follow') {
        this.following ??= this.service.onCommit((commit) => this.tail(commit));
        this.send({
          kind: 'result',
          id,
          result: { lastSeq: this.service.lastCommit?.lastSeq ?? 0 },
        });
      } else if (method === 'unfollow') {
        this.following?.();
        this.following = null;
        this.send({ kind: 'result', id, result: { following: false } });
      } else {
        const result = await this.service.call(method, params, (ticks, ofTicks) =>
          this.push('verifyProgress', { ticks, ofTicks }),
        );
        this.send({ kind: 'result', id, result });
      }
    } catch (err) {
      this.#error(
        id,
        err instanceof InspectorError
          ? err.toWire()
          : {
              code: InspectorErrorCodes.Failed,
              message: err instanceof Error ? err.message : String(err),
              details: {},
            },
      );
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }

  close(): void {
    this.#closed = true;
    this.following?.();
    this.following = null;
    this.#pending = [];
    this.#queue = [];
    this.#queuedBytes = 0;
    if (this.#drainTimer !== null) clearTimeout(this.#drainTimer);
  }
}

/** One accepted WebSocket, as the endpoint tracks it. */
export interface EndpointConnection {
  stats(): ConnectionStats;
  close(): void;
}

/**
 * Listens on one port: the UI's static files over HTTP, and WebSocket connections at
 * {@link WS_PATH} for clients that present the token and come from an allowed origin (or send
 * none), each handed to `accept`.
 */
async function listenEndpoint(
  options: ServeOptions,
  accept: (ws: WebSocket, maxBuffered: number) => EndpointConnection,
): Promise<InspectorServer> {
  const host = options.host ?? '127.0.0.1';
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const token = options.token ?? randomBytes(24).toString('base64url');
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  if (!Number.isSafeInteger(maxBuffered) || maxBuffered < 1024)
    throw new CausewayError(
      ErrorCodes.InvalidArgument,
      `maxBufferedBytes must be an integer of at least 1024, got ${String(maxBuffered)}.`,
      { maxBufferedBytes: maxBuffered },
    );
  const uiDir = resolve(options.uiDir ?? UI_BUILD_DIR);
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  if (!loopback)
    print(
      `causeway-inspector: WARNING: listening on ${host}, reachable from other machines. Anyone with the token can read the whole log.`,
    );
  const connections = new Map<WebSocket, EndpointConnection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * MAX_CLIENT_FRAME_BYTES });
  const allowed = new Set(options.allowedOrigins ?? []);
  let port = 0;

  const server: Server = createServer((req, res) => {
    if (!knownHost(req)) {
      const message = foreignHostMessage(req);
      res
        .writeHead(403, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Length': Buffer.byteLength(message),
        })
        .end(message);
      return;
    }
    // The agent runs inside the app: a file that cannot be read (the UI rebuilt under it) must
    // answer 500, not reject unhandled and take the app down.
    serveFile(req, res, uiDir, () => wsUrl()).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = `The inspector could not read its UI file (${err instanceof Error ? err.message : String(err)}). Rebuild the UI with ${UI_BUILD_COMMAND} and reload.`;
      res
        .writeHead(500, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Length': Buffer.byteLength(message),
        })
        .end(message);
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://agent');
    if (!knownHost(req)) return refuse(socket, 403, 'Forbidden', foreignHostMessage(req));
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!sameToken(url.searchParams.get(TOKEN_PARAM), token))
      return refuse(socket, 401, 'Unauthorized: a valid token is required');
    const origin = req.headers.origin;
    if (origin !== undefined && !ownOrigins().has(origin) && !allowed.has(origin))
      return refuse(socket, 403, 'Forbidden: foreign origin');
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      const connection = accept(ws, maxBuffered);
      connections.set(ws, connection);
      ws.on('close', () => {
        connection.close();
        connections.delete(ws);
      });
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  function shownHost(): string {
    return host.includes(':') ? `[${host}]` : host;
  }
  function ownOrigins(): Set<string> {
    return new Set([
      `http://${shownHost()}:${port}`,
      `http://127.0.0.1:${port}`,
      `http://localhost:${port}`,
      `http://[::1]:${port}`,
    ]);
  }
  /**
   * On loopback, a request must name the endpoint by a loopback address: a page whose own name
   * was re-pointed at 127.0.0.1 (DNS rebinding) sends its name as Host and is refused. Listening
   * on another address, the names it is reached by are not known here, so any is taken.
   */
  function knownHost(req: IncomingMessage): boolean {
    if (!loopback) return true;
    const named = req.headers.host;
    return named !== undefined && ownOrigins().has(`http://${named.toLowerCase()}`);
  }
  function foreignHostMessage(req: IncomingMessage): string {
    return `Forbidden: the inspector on 127.0.0.1 answers only requests addressed to 127.0.0.1:${port}, localhost:${port} or [::1]:${port}, not ${JSON.stringify(req.headers.host ?? '').slice(0, 120)}; open the address it printed.`;
  }
  function wsUrl(): string {
    return `ws://${shownHost()}:${port}${WS_PATH}?${TOKEN_PARAM}=${token}`;
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${shownHost()}:${port}/?${TOKEN_PARAM}=${token}`;
  print(`causeway-inspector: open ${url}`);
  if (!existsSync(join(uiDir, 'index.html')))
    print(
      `causeway-inspector: the UI is not built (no ${uiDir}); build it with ${UI_BUILD_COMMAND}`,
    );

  return {
    url,
    wsUrl: wsUrl(),
    token,
    port,
    stats: () => [...connections.values()].map((c) => c.stats()),
    close: async () => {
      for (const [ws, connection] of connections) {
        connection.close();
        ws.terminate();
      }
      connections.clear();
      await new Promise<void>((ok) => {
        wss.close(() => ok());
      });
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Serves an {@link InspectorService} over WebSocket (msgpack frames at {@link WS_PATH}) and the
 * UI's static files over HTTP, on one port. A client must present the token (query parameter
 * `token`); a browser page must come from the agent's own origin or an allowed one, so that a
 * site the user visits cannot connect (cross-site WebSocket hijacking).
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` for a bad buffer size.
 */
export function serveInspector(
  service: InspectorService,
  options: ServeOptions = {},
): Promise<InspectorServer> {
  return listenEndpoint(options, (ws, maxBuffered) => {
    const connection = new Connection(ws, service, maxBuffered);
    ws.on('message', (data, isBinary) => connection.enqueue(data, isBinary));
    connection.push('hello', {
      protocol: PROTOCOL_VERSION,
      mode: service.mode,
      store: service.description,
    });
    return connection;
  });
}

/**
 * Serves the UI on this machine and relays its WebSocket to an agent elsewhere (the CLI's
 * `attach`): the browser talks to this endpoint's own origin with this endpoint's token, and
 * each of its connections is piped, frame for frame, to `agentUrl` (whose token is in the URL).
 * Either side that stops reading pauses the other, so the relay holds at most about
 * `maxBufferedBytes` per direction.
 */
export function serveRelay(agentUrl: string, options: ServeOptions = {}): Promise<InspectorServer> {
  return listenEndpoint(options, (ws, maxBuffered) => {
    const upstream = new WebSocket(agentUrl);
    upstream.on('error', () => ws.close(1011, 'the agent is unreachable'));
    upstream.on('close', (code) => ws.close(code === 1005 || code === 1006 ? 1011 : code));
    const queued: { data: RawData; isBinary: boolean }[] = [];
    upstream.on('open', () => {
      for (const q of queued.splice(0)) upstream.send(q.data, { binary: q.isBinary });
    });
    let timer: ReturnType<typeof setTimeout> | null = null;
    const balance = (): void => {
      const downFull = ws.bufferedAmount > maxBuffered;
      const upFull = upstream.bufferedAmount > maxBuffered || queued.length > MAX_QUEUED_FRAMES;
      if (downFull !== upstream.isPaused) {
        if (downFull) upstream.pause();
        else upstream.resume();
      }
      if (upFull !== ws.isPaused) {
        if (upFull) ws.pause();
        else ws.resume();
      }
      if ((downFull || upFull) && timer === null)
        timer = setTimeout(() => {
          timer = null;
          balance();
        }, DRAIN_POLL_MS);
    };
    upstream.on('message', (data, isBinary) => {
      ws.send(data, { binary: isBinary });
      balance();
    });
    ws.on('message', (data, isBinary) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
      else queued.push({ data, isBinary });
      balance();
    });
    return {
      stats: () => ({
        bufferedBytes: ws.bufferedAmount + upstream.bufferedAmount,
        pendingPushes: 0,
        skippedPushes: 0,
        paused: ws.isPaused || upstream.isPaused,
        following: false,
      }),
      close: () => {
        if (timer !== null) clearTimeout(timer);
        upstream.terminate();
      },
    };
  });
}

/** True when `file` is `dir` or lies inside it (both absolute and normalised). */
function within(dir: string, file: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  uiDir: string,
  wsUrl: () => string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  const security = {
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
  if (!existsSync(join(uiDir, 'index.html'))) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...security });
    res.end(missingUiPage(wsUrl()));
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://agent').pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  let file = normalize(join(uiDir, pathname));
  if (!within(uiDir, file)) {
    res.writeHead(403).end();
    return;
  }
  const found = await stat(file).catch(() => null);
  // Unknown paths are the UI's own routes: it reads its selection from the URL.
  if (found === null || !found.isFile()) file = join(uiDir, 'index.html');
  else if (!within(await realpath(uiDir), await realpath(file))) {
    // A symbolic link in the UI folder that leads out of it.
    res.writeHead(403).end();
    return;
  }
  const body = await readFile(file);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    ...security,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
