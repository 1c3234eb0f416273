// Takes the README's screenshot of the game page: a fresh world with bots, one browser tab
// watching, captured after a few seconds of play. `npm run game:screenshot [out.png]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Relay } from '../lockstep/relay.ts';
import { makeWorld } from '../sim/world.ts';
import { launchChromium } from '../../../../test/browser/chromium.ts';
import { openHostedWorld } from './hosted-world.ts';
import { connectPeer } from './peers.ts';
import { serveGame } from './server.ts';

const out = resolve(process.argv[2] ?? 'examples/game/docs/game.png');
const seconds = Number(process.argv[3] ?? 12);
const dir = mkdtempSync(join(tmpdir(), 'causeway-game-shot-'));
const hosted = await openHostedWorld(dir, 2026);
const relay = new Relay({
  seed: 2026,
  tickMs: 100,
  makeSystem: (s) => makeWorld(s, { seed: 2026 }),
});
const game = await serveGame({ relay, port: 0 });
const host = connectPeer({ url: game.wsUrl, name: 'host', role: 'host', world: hosted.world });
const bots = ['viper', 'cobra', 'mamba', 'python', 'adder'].map((name) =>
  connectPeer({ url: game.wsUrl, name, role: 'bot' }),
);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  await page.goto(`${game.url}?name=krait&bot`);
  await page.waitForTimeout(seconds * 1000);
  await page.screenshot({ path: out });
  process.stdout.write(`Screenshot of tick ${relay.tick} written to ${out}\n`);
} finally {
  await browser.close();
  for (const b of bots) b.close();
  host.close();
  await game.close();
  await hosted.world.close();
  rmSync(dir, { recursive: true, force: true });
}
