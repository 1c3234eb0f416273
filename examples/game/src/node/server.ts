import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Relay } from '../lockstep/relay.ts';

const clientDir = fileURLToPath(new URL('../client/', import.meta.url));

/**
 * Bundles the game page's script (simulation, lockstep peer, canvas view and the runtime) for
 * the browser with esbuild. Fails if anything it imports needs Node.
 */
export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [`${clientDir}main.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The workspace's packages are bundled from their TypeScript sources (the repository's
    // development condition), so the game page needs no build of the runtime first.
    conditions: ['@causeway/source'],
    minify: true,
    // The runtime names a function listener's events after the function (their `actor`), so
    // the bundle must keep function names or its log would differ from a Node peer's.
    keepNames: true,
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no bundle for the game page.');
  return file.text;
}

/** A running game server: the page, its script and the relay's WebSocket. */
export interface GameServer {
  /** The page's URL. */
  readonly url: string;
  /** The relay's WebSocket URL. */
  readonly wsUrl: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Options of {@link serveGame}. */
export interface ServeOptions {
  readonly relay: Relay;
  /** Port to listen on; 0 picks a free one. When the port is taken, a free one is used. */
  readonly port: number;
  readonly host?: string;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Serves the game page, its bundled script, and the relay on `/ws`, on loopback. */
export async function serveGame(options: ServeOptions): Promise<GameServer> {
  const host = options.host ?? '127.0.0.1';
  const [page, script] = await Promise.all([
    readFile(`${clientDir}index.html`, 'utf8'),
    bundleClient(),
  ]);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(page);
    } else if (path === '/client.js') {
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(script);
    } else if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found: the game is at /');
    }
  });
  options.relay.attach(server, '/ws');
  try {
    await listen(server, options.port, host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port === 0) throw err;
    await listen(server, 0, host);
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://${host}:${port}/`,
    wsUrl: `ws://${host}:${port}/ws`,
    server,
    close: async () => {
      await options.relay.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
