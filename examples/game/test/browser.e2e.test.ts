import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay } from '../src/lockstep/relay.ts';
import { launchChromium, requireChromium } from '../../../test/browser/chromium.ts';
import { connectPeer } from '../src/node/peers.ts';
import { serveGame, type GameServer } from '../src/node/server.ts';
import { makeWorld } from '../src/sim/world.ts';
import { firstFoodTick } from './food-ticks.ts';

const SEED = 31337;
/** The buggy page joins at tick 0 and runs the bug from this tick on. */
const BUG_AFTER = 20;
const { available } = await requireChromium();

interface Probe {
  causewayGame: {
    tick: number;
    ended: boolean;
    actor: string;
    desyncTick: number | null;
    hashAt(tick: number): string | null;
  };
}

let browser: Browser;

beforeAll(async () => {
  if (available) browser = await launchChromium();
});
afterAll(async () => {
  if (available) await browser.close();
});

async function serve(
  lastTick: number,
  startWith: number,
): Promise<{ relay: Relay; game: GameServer }> {
  const relay = new Relay({
    seed: SEED,
    tickMs: 50,
    lastTick,
    startWith,
    makeSystem: (store) => makeWorld(store, { seed: SEED }),
  });
  return { relay, game: await serveGame({ relay, port: 0 }) };
}

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  await page.goto(url);
  return page;
}

function hashesOf(page: Page, ticks: readonly number[]): Promise<(string | null)[]> {
  return page.evaluate(
    (list) => list.map((t) => (globalThis as unknown as Probe).causewayGame.hashAt(t)),
    [...ticks],
  );
}

describe.skipIf(!available)('the game in headless Chromium', () => {
  it('two pages and a Node bot play a match in lockstep and end with equal hashes and logs', async () => {
    const { relay, game } = await serve(160, 3);
    const node = connectPeer({ url: game.wsUrl, name: 'viper', role: 'bot' });
    const pages = [
      await openPage(`${game.url}?bot&name=ann`),
      await openPage(`${game.url}?bot&name=bea`),
    ];

    await relay.finished();
    await Promise.all(
      pages.map((p) =>
        p.waitForFunction(() => (globalThis as unknown as Probe).causewayGame.ended),
      ),
    );
    await node.settled();
    await pages[0]?.screenshot({ path: join(tmpdir(), 'causeway-game-lockstep.png') });

    const ticks = Array.from({ length: 16 }, (_, i) => (i + 1) * 10);
    const expected = ticks.map((t) => relay.hashAt(t) ?? 'undecided');
    for (const page of pages) expect(await hashesOf(page, ticks)).toEqual(expected);
    expect(ticks.map((t) => node.hashAt(t))).toEqual(expected);
    expect(relay.desyncs).toEqual([]);
    for (const actor of ['bot:ann', 'bot:bea']) {
      expect(await relay.compareLogs(node.actor, actor, 160)).toMatchObject({
        ok: true,
        ticks: 160,
      });
    }
    node.close();
    await game.close();
  });

  it('catches the bug a page injects with ?desync at the first pellet placed after it starts', async () => {
    const { relay, game } = await serve(90, 2);
    const node = connectPeer({ url: game.wsUrl, name: 'viper', role: 'bot' });
    const page = await openPage(`${game.url}?bot&name=bea&desync=${BUG_AFTER}`);

    await relay.finished();
    await node.settled();
    await page.waitForFunction(
      () => (globalThis as unknown as Probe).causewayGame.desyncTick !== null,
    );
    await page.screenshot({ path: join(tmpdir(), 'causeway-game-desync.png') });

    const expected = await firstFoodTick(node, BUG_AFTER);
    expect(relay.desyncs.map((d) => [d.actor, d.tick])).toEqual([['bot:bea', expected]]);
    expect(
      await page.evaluate(() => (globalThis as unknown as Probe).causewayGame.desyncTick),
    ).toBe(expected);
    expect(await page.textContent('#desync pre')).toContain(`Divergence at tick ${expected}`);
    node.close();
    await game.close();
  });
});
