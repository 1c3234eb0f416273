import { afterEach, describe, expect, it } from 'vitest';
import type { LockstepPeer } from '../src/lockstep/peer.ts';
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
});
