// Regenerates the README's pictures of the inspector (`npm run screenshots`): builds the UI,
// runs the arena example with the agent attached, and photographs the UI in headless Chromium.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '@causeway/runtime';
import { attachInspector } from '../src/agent/index.ts';
import { launchChromium } from '../../../test/browser/chromium.ts';
import { buildUi } from '../test/support/browser.ts';
import { makeArena, makeSystem, playArena, player } from '../test/fixtures/arena-app.ts';

const imagesDir = fileURLToPath(new URL('../../../docs/images/', import.meta.url));

/** Builds the UI, runs the arena and writes docs/images/inspector*.png. */
export async function takeScreenshots(): Promise<string[]> {
  await buildUi();
  const system = makeArena(new MemoryStore());
  await playArena(system, 1, 400);
  const inspector = await attachInspector(system, { makeSystem, print: () => undefined });
  await inspector.service.history?.settled();
  const browser = await launchChromium();
  const written: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 820 } });
    const events = await system.store.readEvents({ fromSeq: 1, type: 'Bumped', limit: 100 });
    // An early bump: health still has something to lose, so the change shows.
    const bump = events.items[2];
    if (bump === undefined) throw new Error('The arena script produced no bump to show.');
    await mkdir(imagesDir, { recursive: true });
    const shots: [string, string][] = [
      ['inspector.png', `#seq=${bump.seq}`],
      ['inspector-causation.png', `#seq=${bump.seq}&tab=event`],
      [
        'inspector-path-history.png',
        `#seq=${bump.seq}&tab=history&path=${encodeURIComponent(JSON.stringify(['health', player(3)]))}`,
      ],
    ];
    for (const [file, hash] of shots) {
      await page.goto('about:blank');
      await page.goto(`${inspector.url}${hash}`);
      await page.getByTestId('timeline').locator('[role=option]').first().waitFor();
      await page.waitForTimeout(400);
      for (const table of ['position', 'shield']) {
        const row = page.locator(`[data-path="${table}"][aria-expanded="false"]`);
        if ((await row.count()) > 0) await row.locator('.caret').click();
      }
      await page.waitForTimeout(400);
      const path = `${imagesDir}${file}`;
      await page.screenshot({ path });
      written.push(path);
    }
  } finally {
    await browser.close();
    await inspector.close();
    await system.close();
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const path of await takeScreenshots()) console.log(`wrote ${path}`);
}
