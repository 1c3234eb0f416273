import { MemoryStore, type EventSystem } from '@causeway/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachInspector, type AttachedInspector } from '../src/agent/index.ts';
import { InspectorClient, type SocketConstructor } from '../src/client/index.ts';
import { encodeFrame } from '../src/protocol/index.ts';
import { makeSystem, runTicks, type Counters } from './fixtures/counter-app.ts';

const MAX_BUFFERED = 256 * 1024;

let system: EventSystem<Counters>;
let inspector: AttachedInspector;

beforeAll(async () => {
  system = makeSystem(new MemoryStore());
  await runTicks(system, 1, 2000, 50);
  inspector = await attachInspector(system, {
    print: () => undefined,
    maxBufferedBytes: MAX_BUFFERED,
  });
});

afterAll(async () => {
  await inspector.close();
  await system.close();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('a client that stops reading', () => {
  it('holds the agent to a bounded buffer while the app goes on and others get answers', async () => {
    // Arrange: a client follows the live tail, then asks for thousands of pages and never reads.
    const slow = new WebSocket(inspector.wsUrl);
    slow.on('error', () => undefined);
    await new Promise((resolve) => slow.once('open', resolve));
    slow.send(encodeFrame({ kind: 'request', id: 1, method: 'follow', params: {} }));
    await sleep(50);
    slow.pause();
    for (let id = 2; id < 502; id++)
      slow.send(encodeFrame({ kind: 'request', id, method: 'events', params: { limit: 1000 } }));
    const heapBefore = process.memoryUsage().heapUsed;
    // Act: the app commits 1,000 more ticks while the slow client reads nothing.
    const tickBefore = system.lastCommit?.tick ?? 0;
    for (let t = 0; t < 10; t++) {
      await runTicks(system, tickBefore + t * 100 + 1, tickBefore + (t + 1) * 100, 50);
      await sleep(30);
    }
    const good = await InspectorClient.connect(inspector.wsUrl, {
      WebSocket: WebSocket as unknown as SocketConstructor,
    });
    const summary = await good.call('summary', {});
    const stats = inspector.stats().find((s) => s.following);
    const heapAfter = process.memoryUsage().heapUsed;
    // Assert
    expect(summary.ticks).toBe(tickBefore + 1000);
    expect(stats).toBeDefined();
    expect(stats?.paused).toBe(true);
    // The answers of the requests already running (at most 8 pages of 1,000 events, ~270 kB
    // each) may be queued past the limit; nothing more.
    expect(stats?.bufferedBytes).toBeLessThan(MAX_BUFFERED + 8 * 512 * 1024);
    expect(stats?.pendingPushes).toBeLessThanOrEqual(32);
    expect(stats?.skippedPushes).toBeGreaterThan(0);
    // 500 unread answers of ~150 kB would be ~75 MB: the heap must not hold them.
    expect(heapAfter - heapBefore).toBeLessThan(40 * 1024 * 1024);
    good.close();
    slow.terminate();
  });

  it('is disconnected when it floods requests without waiting for answers', async () => {
    // Arrange
    const flood = new WebSocket(inspector.wsUrl);
    flood.on('error', () => undefined);
    await new Promise((resolve) => flood.once('open', resolve));
    const closed = new Promise<number>((resolve) => flood.once('close', resolve));
    // Act
    const frame = encodeFrame({
      kind: 'request',
      id: 1,
      method: 'events',
      params: { limit: 1000 },
    });
    for (let i = 0; i < 5000; i++) flood.send(frame);
    // Assert
    expect(await closed).toBe(1008);
    const good = await InspectorClient.connect(inspector.wsUrl, {
      WebSocket: WebSocket as unknown as SocketConstructor,
    });
    expect((await good.call('summary', {})).ticks).toBe(system.lastCommit?.tick);
    good.close();
  });
});
