import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@msgpack/msgpack';
import { openStore } from '@causeway/adapters';
import { MemoryStore, type EventStore, type EventSystem } from '@causeway/runtime';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachInspector, type AttachedInspector } from '../src/agent/index.ts';
import { InspectorClient, type SocketConstructor } from '../src/client/index.ts';
import {
  decodeServerFrame,
  isInspectorError,
  MAX_CLIENT_FRAME_BYTES,
} from '../src/protocol/index.ts';
import { makeSystem, runTicks, type Counters } from './fixtures/counter-app.ts';

const quiet = (): void => undefined;

let system: EventSystem<Counters>;
let inspector: AttachedInspector;

beforeAll(async () => {
  system = makeSystem(new MemoryStore());
  await runTicks(system, 1, 20);
  inspector = await attachInspector(system, {
    print: quiet,
    allowedOrigins: ['http://localhost:5173'],
  });
});

afterAll(async () => {
  await inspector.close();
  await system.close();
});

/** Opens a raw socket; resolves with the HTTP status the agent refused it with, or 101. */
function handshake(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', reject);
  });
}

function withToken(token: string | null): string {
  const url = new URL(inspector.wsUrl);
  if (token === null) url.searchParams.delete('token');
  else url.searchParams.set('token', token);
  return url.toString();
}

describe('the agent refuses whoever should not connect', () => {
  it('refuses a connection without a token', async () => {
    expect(await handshake(withToken(null))).toBe(401);
  });

  it('refuses a connection with a wrong token', async () => {
    // The last character changed to another one (a fixed "x" is the token itself when it ends so).
    const last = inspector.token.slice(-1) === 'x' ? 'y' : 'x';
    expect(await handshake(withToken(`${inspector.token.slice(0, -1)}${last}`))).toBe(401);
  });

  it('refuses a web page from a foreign origin even with the token', async () => {
    expect(await handshake(inspector.wsUrl, { Origin: 'https://evil.example' })).toBe(403);
  });

  it('accepts the UI served from its own origin', async () => {
    const own = `http://127.0.0.1:${inspector.port}`;
    expect(await handshake(inspector.wsUrl, { Origin: own })).toBe(101);
  });

  it('accepts an explicitly allowed origin', async () => {
    expect(await handshake(inspector.wsUrl, { Origin: 'http://localhost:5173' })).toBe(101);
  });

  it('accepts a client that sends no origin when it has the token', async () => {
    expect(await handshake(inspector.wsUrl)).toBe(101);
  });

  it('refuses a connection addressed to another host name even with the token (DNS rebinding)', async () => {
    expect(await handshake(inspector.wsUrl, { Host: `rebound.example:${inspector.port}` })).toBe(
      403,
    );
  });

  it('refuses to serve the UI to a request addressed to another host name', async () => {
    // Act
    const answer = await get(inspector.port, '/', { Host: `rebound.example:${inspector.port}` });
    // Assert
    expect(answer.status).toBe(403);
    expect(answer.body).toContain(`127.0.0.1:${inspector.port}`);
  });

  it('accepts a connection addressed to localhost', async () => {
    expect(await handshake(inspector.wsUrl, { Host: `localhost:${inspector.port}` })).toBe(101);
  });

  it('listens on 127.0.0.1 by default', () => {
    expect(new URL(inspector.url).hostname).toBe('127.0.0.1');
  });

  it('warns when asked to listen on another address', async () => {
    const lines: string[] = [];
    const exposed = await attachInspector(system, { host: '0.0.0.0', print: (l) => lines.push(l) });
    await exposed.close();
    expect(lines.some((l) => l.includes('WARNING') && l.includes('0.0.0.0'))).toBe(true);
  });
});

describe('the stores a client may make the agent open', () => {
  let folder: string;
  let peer: string;
  let opened: string[];
  let guarded: AttachedInspector;
  let client: InspectorClient;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'inspector-compare-'));
    peer = join(folder, 'peer');
    const writer = makeSystem(await openStore(`file:${peer}`));
    await runTicks(writer, 1, 20);
    await writer.close();
    opened = [];
    guarded = await attachInspector(system, {
      print: quiet,
      compareWith: [`file:${peer}`, 'postgres://ann:s3cr@t@db.example:5432/app'],
      openOther: (url: string): Promise<EventStore> => {
        opened.push(url);
        return openStore(url, { readOnly: true });
      },
    });
    client = await InspectorClient.connect(guarded.wsUrl, {
      WebSocket: WebSocket as unknown as SocketConstructor,
    });
  });

  afterAll(async () => {
    client.close();
    await guarded.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('refuses with forbidden every store URL it was not started with, and opens none', async () => {
    // Arrange: other folders, other spellings of the allowed one, another database.
    const others = [
      'file:/etc',
      `file:${folder}`,
      `file:${peer}/`,
      `file:${peer}/../peer`,
      `pglite:${peer}`,
      'postgres://127.0.0.1:5432/postgres',
      'memory:',
    ];
    // Act
    const errors = await Promise.all(
      others.map((other) => client.call('compare', { other }).catch((err: unknown) => err)),
    );
    // Assert
    for (const err of errors) expect(isInspectorError(err, 'forbidden')).toBe(true);
    expect(opened).toEqual([]);
  });

  it('compares with a store it was started with', async () => {
    // Act
    const result = await client.call('compare', { other: `file:${peer}` });
    // Assert
    expect(result).toMatchObject({ ok: true, ticks: 20 });
    expect(opened).toEqual([`file:${peer}`]);
  });

  it('lists the stores it may compare with, passwords hidden', async () => {
    // Act
    const { compareWith } = await client.call('summary', {});
    // Assert
    expect(compareWith).toEqual([`file:${peer}`, 'postgres://ann:***@db.example:5432/app']);
  });

  it('opens the URL it was given when a client names a store as listed', async () => {
    // Arrange
    opened.length = 0;
    // Act: the database is unreachable, so the open itself fails.
    await client
      .call('compare', { other: 'postgres://ann:***@db.example:5432/app' })
      .catch(() => null);
    // Assert
    expect(opened).toEqual(['postgres://ann:s3cr@t@db.example:5432/app']);
  });

  it('compares with no other store by default, saying how to allow one', async () => {
    // Arrange
    const bare = await InspectorClient.connect(inspector.wsUrl, {
      WebSocket: WebSocket as unknown as SocketConstructor,
    });
    // Act
    const err = await bare.call('compare', { other: `file:${peer}` }).catch((e: unknown) => e);
    bare.close();
    // Assert
    expect(isInspectorError(err, 'forbidden')).toBe(true);
    expect((err as Error).message).toContain('--compare');
  });

  it('refuses a compareWith that is not a list of store URLs with CW_INVALID_ARGUMENT', async () => {
    // Act / Assert
    await expect(
      attachInspector(system, { print: quiet, compareWith: [''] }),
    ).rejects.toBeCausewayError('CW_INVALID_ARGUMENT');
  });
});

/** One malformed frame of each kind the fuzz test sends. */
const malformedFrame: fc.Arbitrary<{ bytes: Uint8Array | string; closes: boolean }> = fc.oneof(
  { withCrossShrink: false, depthSize: 'small' },
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ bytes, closes: false })),
  fc.string({ maxLength: 50 }).map((text) => ({ bytes: text, closes: false })),
  fc.jsonValue().map((value) => ({ bytes: encode(value), closes: false })),
  fc
    .record({
      kind: fc.constantFrom('request', 'result', 'push', 7),
      id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double()),
      method: fc.oneof(
        fc.constantFrom('summary', 'stateAt', 'events', 'pathHistory', 'verify', '__proto__'),
        fc.string({ maxLength: 20 }),
      ),
      params: fc.oneof(
        fc.dictionary(
          fc.constantFrom('seq', 'path', 'limit', 'cursor', 'filter', 'entity', 'depth'),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    })
    .map((frame) => ({ bytes: encode(frame), closes: false })),
  fc
    .integer({ min: 0, max: 199 })
    .chain((n) =>
      n === 0
        ? fc
            .integer({ min: MAX_CLIENT_FRAME_BYTES + 1, max: MAX_CLIENT_FRAME_BYTES + 4096 })
            .map((size) => ({ bytes: new Uint8Array(size).fill(0x91), closes: false }))
        : fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => ({ bytes, closes: false })),
    ),
);

describe('malformed frames', () => {
  it('answers 10,000 malformed frames while the app commits and good clients get answers', async () => {
    // Arrange
    const frames = fc.sample(malformedFrame, { numRuns: 10_000, seed: 20261201 });
    frames.push({ bytes: new Uint8Array(5 * MAX_CLIENT_FRAME_BYTES), closes: true });
    const good = await InspectorClient.connect(inspector.wsUrl, {
      WebSocket: WebSocket as unknown as SocketConstructor,
    });
    const tickBefore = system.lastCommit?.tick ?? 0;
    let replies = 0;
    let expected = 0;
    let closes = 0;
    // Act
    let ws: WebSocket | null = null;
    for (const frame of frames) {
      if (ws === null || ws.readyState !== WebSocket.OPEN) {
        ws = new WebSocket(inspector.wsUrl);
        ws.on('message', (data: Buffer) => {
          const reply = decodeServerFrame(new Uint8Array(data));
          if (reply.kind !== 'push') replies++;
        });
        ws.on('error', () => undefined);
        await new Promise((resolve) => ws?.once('open', resolve));
      }
      const socket = ws;
      socket.send(frame.bytes);
      if (frame.closes) {
        await new Promise((resolve) => socket.once('close', resolve));
        closes++;
      } else expected++;
    }
    await runTicks(system, tickBefore + 1, tickBefore + 3);
    const summary = await good.call('summary', {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Assert
    expect(frames.length).toBeGreaterThanOrEqual(10_000);
    expect(closes).toBe(1);
    expect(replies).toBe(expected);
    expect(summary.ticks).toBe(tickBefore + 3);
    expect(system.halted).toBeNull();
    good.close();
  });
});

/** GETs `path` verbatim (no URL normalisation, unlike fetch); resolves with status and body. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to GET ${path}`)));
    req.end();
  });
}

describe('static files', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'inspector-ui-'));
    mkdirSync(join(root, 'ui'));
    writeFileSync(join(root, 'ui', 'index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(root, 'secret.txt'), 'SECRET');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('never serves a file outside the UI folder, however the path is spelled', async () => {
    // Arrange
    const served = await attachInspector(system, { print: quiet, uiDir: join(root, 'ui') });
    const paths = [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%2fsecret.txt',
      '/ui/../../secret.txt',
      '/%2E%2E%5Csecret.txt',
      `/${encodeURIComponent(join(root, 'secret.txt'))}`,
    ];
    // Act
    const answers = await Promise.all(paths.map((path) => get(served.port, path)));
    await served.close();
    // Assert
    for (const answer of answers) expect(answer.body).not.toContain('SECRET');
  });

  it('never serves a file through a symbolic link that leads out of the UI folder', async () => {
    // Arrange
    symlinkSync(root, join(root, 'ui', 'outside'));
    const served = await attachInspector(system, { print: quiet, uiDir: join(root, 'ui') });
    // Act
    const answer = await get(served.port, '/outside/secret.txt');
    await served.close();
    // Assert
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain('SECRET');
  });

  it('answers 500 when a UI file cannot be read, and keeps serving', async () => {
    // Arrange: index.html is a folder, so reading it fails.
    const broken = join(root, 'broken');
    mkdirSync(join(broken, 'index.html'), { recursive: true });
    const served = await attachInspector(system, { print: quiet, uiDir: broken });
    // Act
    const first = await get(served.port, '/');
    const second = await get(served.port, '/index.html');
    await served.close();
    // Assert
    expect(first.status).toBe(500);
    expect(first.body).toContain('build:ui');
    expect(second.status).toBe(500);
  });
});
