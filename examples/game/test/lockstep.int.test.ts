import { MemoryStore, newEntityId } from '@causeway/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { LockstepPeer } from '../src/lockstep/peer.ts';
import { MAX_INPUTS_PER_TICK } from '../src/lockstep/relay.ts';
import { encodeExtract, extractLog } from '../src/lockstep/log-transfer.ts';
import { connectPeer } from '../src/node/peers.ts';
import { firstFoodTick } from './food-ticks.ts';
import { startRelay, type RunningRelay } from './relay-fixture.ts';

const SEED = 4242;
/** The buggy bot joins at tick 0 and runs the bug from this tick on. */
const BUG_AFTER = 40;
let running: RunningRelay | null = null;
const peers: LockstepPeer[] = [];

afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await running?.close();
  running = null;
});

/** A peer driven by the test: a raw socket that said hello as a watcher named `name`. */
async function rawPeer(url: string, name: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ t: 'hello', name, role: 'watch' }));
  return ws;
}

function bot(url: string, name: string, bugAfterJoin?: number): LockstepPeer {
  const peer = connectPeer({
    url,
    name,
    role: 'bot',
    ...(bugAfterJoin === undefined ? {} : { bugAfterJoin }),
  });
  peers.push(peer);
  return peer;
}

describe('lockstep over the relay', () => {
  it('ends a match of bots with the same hash on every peer at every tick', async () => {
    running = await startRelay({ seed: SEED, lastTick: 150, startWith: 3 });
    const field = ['viper', 'cobra', 'mamba'].map((name) => bot(running!.url, name));

    await running.relay.finished();
    await Promise.all(field.map((p) => p.settled()));

    for (let tick = 1; tick <= 150; tick++) {
      const hashes = new Set(field.map((p) => p.hashAt(tick)));
      expect(hashes, `tick ${tick}`).toEqual(new Set([running.relay.hashAt(tick)]));
    }
    expect(running.relay.desyncs).toEqual([]);
  });

  it('lets a late joiner catch up on the history and agree with the others', async () => {
    running = await startRelay({ seed: SEED, lastTick: 160, startWith: 2 });
    const early = [bot(running.url, 'viper'), bot(running.url, 'cobra')];
    while (running.relay.tick < 60) await new Promise((resolve) => setTimeout(resolve, 10));

    const late = bot(running.url, 'mamba');
    await running.relay.finished();
    await Promise.all([...early, late].map((p) => p.settled()));

    expect(late.hashAt(160)).toBe(early[0]?.hashAt(160));
    expect(late.hashAt(1)).toBe(early[0]?.hashAt(1));
    expect(running.relay.desyncs).toEqual([]);
  });

  it('catches the injected bug at the first pellet placed after it starts, with the report', async () => {
    running = await startRelay({ seed: SEED, lastTick: 120, startWith: 3 });
    const honest = bot(running.url, 'viper');
    bot(running.url, 'cobra');
    bot(running.url, 'mamba', BUG_AFTER);

    await running.relay.finished();
    await honest.settled();

    const [desync] = running.relay.desyncs;
    expect(running.relay.desyncs).toHaveLength(1);
    expect(desync?.actor).toBe('bot:mamba');
    expect(desync?.tick).toBe(await firstFoodTick(honest, BUG_AFTER));
    expect(desync?.divergence?.reason).toBe('hash');
    expect(desync?.divergence?.event?.a?.type).toBe('FoodPlaced');
    expect(desync?.report).toContain(
      `Divergence at tick ${desync?.tick}: the state hashes differ.`,
    );
    expect(desync?.report).toMatch(/food\.[0-9a-f-]+\.cell: viper/);
  });

  it("ignores a hostile peer's hashes for ticks not played yet, so honest peers stay in sync", async () => {
    // Arrange: a peer that joins first and reports hashes for ticks the relay has not played.
    running = await startRelay({ seed: SEED, lastTick: 20, startWith: 2 });
    const hostile = new WebSocket(running.url);
    await new Promise((resolve) => hostile.once('open', resolve));
    hostile.send(JSON.stringify({ t: 'hello', name: 'eve', role: 'player' }));
    for (const tick of [-1, 0, 1, 2, 3, 10, 20, 1e9])
      hostile.send(JSON.stringify({ t: 'hash', tick, hash: 'forged' }));
    while (running.relay.peers.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Act: an honest bot joins, which starts the match.
    const honest = bot(running.url, 'viper');
    while (running.relay.tick < 20) await new Promise((resolve) => setTimeout(resolve, 10));
    await honest.settled();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Assert
    const viper = running.relay.peers.find((p) => p.name === 'viper');
    const eve = running.relay.peers.find((p) => p.name === 'eve');
    expect(viper?.desynced).toBe(false);
    expect(eve?.tick).toBe(0);
    expect(running.relay.hashAt(1e9)).toBeUndefined();
    expect(running.relay.hashAt(0)).toBeUndefined();
    hostile.close();
  });

  it('names a new actor for a peer that asks for one a log cannot carry', async () => {
    // Arrange
    running = await startRelay({ seed: SEED, startWith: 5 });
    const asks = ['p\ud800', 'x'.repeat(41), 'a b', 'bot:viper'];
    // Act
    const given = await Promise.all(
      asks.map(async (actor) => {
        const ws = new WebSocket(running!.url);
        await new Promise((resolve) => ws.once('open', resolve));
        const welcome = new Promise<{ actor: string }>((resolve) =>
          ws.once('message', (data: Buffer) =>
            resolve(JSON.parse(data.toString()) as { actor: string }),
          ),
        );
        ws.send(JSON.stringify({ t: 'hello', name: 'eve', role: 'player', actor }));
        const { actor: got } = await welcome;
        ws.close();
        return got;
      }),
    );
    // Assert
    for (const actor of given.slice(0, 3)) expect(actor).toMatch(/^player:eve(-\d+)?$/);
    expect(given[3]).toBe('bot:viper');
  });

  it("takes a log only from the peer asked for it, not from a peer answering another's request", async () => {
    // Arrange: a bot plays on a store the test reads; a slow peer answers log requests with that
    // same log after 300 ms; a hostile peer forges answers to the relay's requests (1 and 2).
    running = await startRelay({ seed: SEED, startWith: 1 });
    const store = new MemoryStore();
    peers.push(connectPeer({ url: running.url, name: 'viper', role: 'bot', store }));
    const slow = await rawPeer(running.url, 'slow');
    slow.on('message', (data: Buffer, binary: boolean) => {
      const message = binary ? null : (JSON.parse(data.toString()) as { t: string });
      if (message?.t !== 'log-request') return;
      const { request, tick } = message as unknown as { request: number; tick: number };
      setTimeout(() => {
        void extractLog(store, SEED, tick).then((log) => slow.send(encodeExtract(request, log)));
      }, 300);
    });
    const hostile = await rawPeer(running.url, 'eve');
    while (running.relay.tick < 10) await new Promise((resolve) => setTimeout(resolve, 10));
    // Act
    const check = running.relay.compareLogs('bot:viper', 'watch:slow', 5);
    const forged = { seed: 1, commits: [], events: [], inputs: [] };
    for (const request of [1, 2]) hostile.send(encodeExtract(request, forged));
    const result = await check;
    // Assert
    expect(result).toMatchObject({ ok: true, ticks: 5 });
    slow.close();
    hostile.close();
  });

  it('keeps running and keeps its peers in sync when a frame has objects where strings go', async () => {
    running = await startRelay({ seed: SEED, lastTick: 60, startWith: 2 });
    const honest = bot(running.url, 'viper');
    const hostile = new WebSocket(running.url);
    await new Promise((resolve) => hostile.once('open', resolve));

    // String({ toString: 1 }) and Object.hasOwn(o, { toString: 1 }) throw a TypeError.
    hostile.send(JSON.stringify({ t: 'hello', name: { toString: 1 }, role: 'player' }));
    hostile.send(
      JSON.stringify({ t: 'input', type: { toString: 1 }, entity: newEntityId(), data: {} }),
    );
    const before = running.relay.tick;
    while (running.relay.tick < before + 5) await new Promise((resolve) => setTimeout(resolve, 10));
    const listed = running.relay.peers.map((p) => p.name);
    hostile.close();
    await running.relay.finished();
    await honest.settled();

    expect(listed).toContain('peer');
    expect(running.relay.tick).toBe(60);
    expect(honest.hashAt(60)).toBe(running.relay.hashAt(60));
    expect(running.relay.desyncs).toEqual([]);
  });

  it('puts at most MAX_INPUTS_PER_TICK inputs of one peer into a tick', async () => {
    // Arrange: a peer floods the relay before the match starts.
    running = await startRelay({ seed: SEED, startWith: 2 });
    const flooder = await rawPeer(running.url, 'eve');
    const firstTick = new Promise<{ inputs: { actor: string }[] }>((resolve) =>
      flooder.on('message', (data: Buffer, binary: boolean) => {
        const message = binary ? null : (JSON.parse(data.toString()) as { t: string });
        if (message?.t === 'tick') resolve(message as unknown as { inputs: { actor: string }[] });
      }),
    );
    const entity = newEntityId();
    for (let i = 0; i < 200; i++)
      flooder.send(JSON.stringify({ t: 'input', type: 'Steer', entity, data: { dir: i % 4 } }));
    while (running.relay.peers.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Act: a second peer starts the match.
    const other = await rawPeer(running.url, 'bob');
    const tick = await firstTick;
    // Assert
    expect(tick.inputs.filter((i) => i.actor === 'watch:eve')).toHaveLength(MAX_INPUTS_PER_TICK);
    flooder.close();
    other.close();
  });
});
