// Smoke test of the Electron shell: bundles it, starts Electron on a file store and checks that
// the window shows the store's timeline, with the page sandboxed (no Node) and the bridge
// exposed. It runs only where an Electron binary is installed: `ELECTRON_PATH`, or the path the
// `electron` package resolves to. Elsewhere it is skipped with one loud line, in CI too, since
// no Electron binary can be downloaded on these machines.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@causeway/adapters';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildElectron, electronOutDir } from '../scripts/build-electron.ts';
import { makeArena, playArena } from './fixtures/arena-app.ts';
import { buildUi, screenshot } from './support/browser.ts';

function electronBinary(): string | null {
  const given = process.env['ELECTRON_PATH'];
  if (given !== undefined && existsSync(given)) return given;
  try {
    // The `electron` package's main export is the path of its downloaded binary.
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (binary === null) {
  console.warn(
    'SKIPPED: Electron smoke test — no Electron binary (set ELECTRON_PATH or install the electron package with its binary).',
  );
}

describe.skipIf(binary === null)('the Electron shell', () => {
  let folder: string | undefined;
  let app: ElectronApplication | undefined;

  afterAll(async () => {
    await app?.close();
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('opens a store folder in a sandboxed window that shows its timeline', async () => {
    folder = await mkdtemp(join(tmpdir(), 'causeway-electron-'));
    const system = makeArena(await openStore(`file:${folder}`));
    await playArena(system, 1, 10);
    await system.close();
    await buildUi();
    await buildElectron();

    app = await _electron.launch({
      executablePath: binary ?? '',
      args: [join(electronOutDir, 'main.mjs'), `file:${folder}`],
    });
    const page = await app.firstWindow();
    await page.getByTestId('timeline').locator('[role=option]').first().waitFor();

    expect(await page.locator('.header-facts').innerText()).toContain('10 ticks');
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe(
      'undefined',
    );
    expect(
      await page.evaluate(() => typeof (globalThis as { causewayShell?: unknown }).causewayShell),
    ).toBe('object');
    await screenshot(page, 'electron-open-store');
  });
});
