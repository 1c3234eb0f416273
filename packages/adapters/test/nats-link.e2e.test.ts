import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { ensureEventStream } from '../src/nats/index.ts';
import { natsUrl, requireNats } from '../../../test/services.ts';

const nats = await requireNats();
const child = fileURLToPath(new URL('./nats-orders-child.ts', import.meta.url));
const ORDERS = 30;

/** A TCP proxy on loopback to NATS that can cut every connection and refuse new ones. */
class LinkProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #down = false;
  /** Live connections the cuts closed. */
  cutConnections = 0;

  constructor(target: URL) {
    this.#server = createServer((client) => {
      if (this.#down) {
        client.destroy();
        return;
      }
      const upstream = createConnection(Number(target.port || 4222), target.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.#server.listen(0, '127.0.0.1', () => {
        resolve((this.#server.address() as { port: number }).port);
      }),
    );
  }

  cut(): void {
    this.#down = true;
    this.cutConnections += this.#sockets.size / 2;
    for (const s of this.#sockets) s.destroy();
  }

  restore(): void {
    this.#down = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

interface Summary {
  events: [string, Record<string, unknown>][];
  inbox: { acknowledged: number; redelivered: number };
  relay: { published: number; duplicates: number };
  errors: string[];
}

function run(role: string, url: string, tag: string): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['--conditions=@causeway/source', '--import', 'tsx', child, role, url, tag, String(ORDERS)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as Summary);
      else reject(new Error(`${role} exited with ${String(code)}: ${err}${out}`));
    });
  });
}

/**
 * Runs both processes through a proxy; with `cut`, drops the link once `afterOrders` orders reached
 * NATS (watched on a direct connection) and restores it `forMs` later.
 */
async function cooperate(cut?: { afterOrders: number; forMs: number }) {
  const tag = `t${randomUUID().slice(0, 8)}`;
  const nc = await connect({ servers: natsUrl() });
  const proxy = new LinkProxy(new URL(natsUrl()));
  const port = await proxy.listen();
  try {
    await ensureEventStream(nc, { name: `cw_${tag}_orders`, subjects: [`${tag}.orders.>`] });
    await ensureEventStream(nc, { name: `cw_${tag}_stock`, subjects: [`${tag}.stock.>`] });
    const url = `nats://127.0.0.1:${port}`;
    let ordersAtCut = 0;
    const both = Promise.all([run('orders', url, tag), run('stock', url, tag)]);
    if (cut !== undefined) {
      const jsm = await jetstreamManager(nc);
      // Both processes are up (the stock inbox's consumer exists) and the orders are flowing.
      while (
        !(await jsm.consumers.info(`cw_${tag}_orders`, 'stock').then(
          () => true,
          () => false,
        )) ||
        (await jsm.streams.info(`cw_${tag}_orders`)).state.messages < cut.afterOrders
      )
        await new Promise((r) => setTimeout(r, 20));
      proxy.cut();
      ordersAtCut = (await jsm.streams.info(`cw_${tag}_orders`)).state.messages;
      await new Promise((r) => setTimeout(r, cut.forMs));
      proxy.restore();
    }
    const [orders, stock] = await both;
    return { orders, stock, cutConnections: proxy.cutConnections, ordersAtCut };
  } finally {
    await proxy.close();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(`cw_${tag}_orders`).catch(() => false);
    await jsm.streams.delete(`cw_${tag}_stock`).catch(() => false);
    await new Kvm(nc)
      .open(`cw_${tag}`)
      .then((kv) => kv.destroy())
      .catch(() => false);
    await nc.close();
  }
}

function sorted(events: Summary['events']): string[] {
  return events.map((e) => JSON.stringify(e)).sort();
}

describe.skipIf(!nats.available)('two processes cooperating only through NATS', () => {
  it('end with the logs of an uncut run when the link is cut and restored mid-run', async () => {
    const uncut = await cooperate();
    const cutRun = await cooperate({ afterOrders: 8, forMs: 1500 });

    // The cut dropped both processes' live connections while orders were still being placed.
    expect(cutRun.cutConnections).toBeGreaterThanOrEqual(2);
    expect(cutRun.ordersAtCut).toBeLessThan(ORDERS);
    // The stock system takes the orders in the order they were placed: its log is the same, in order.
    expect(cutRun.stock.events).toEqual(uncut.stock.events);
    // The orders system interleaves answers with new orders as timing allows: the same facts.
    expect(sorted(cutRun.orders.events)).toEqual(sorted(uncut.orders.events));
    // Exactly once in effect: one reservation decision per order, one answer per order.
    expect(cutRun.stock.events).toHaveLength(ORDERS);
    const answers = cutRun.orders.events.filter(([type]) => type === 'OrderAnswered');
    expect(new Set(answers.map(([, d]) => d['n'])).size).toBe(ORDERS);
    expect(answers).toHaveLength(ORDERS);
  }, 120_000);
});
