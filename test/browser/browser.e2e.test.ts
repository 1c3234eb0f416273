/**
 * The runtime runs in a browser: the scenario's entry is bundled for the browser platform with
 * esbuild (where any Node built-in the runtime imported would fail to resolve) and run in
 * headless Chromium, which must produce the very events and hashes Node produces.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requireChromium } from './chromium.ts';
import { runScenario, type ScenarioResult } from './scenario.ts';

const entry = fileURLToPath(new URL('./entry.ts', import.meta.url));
const chromium = await requireChromium();

/** Bundles the browser entry as one ES module, resolving the workspace packages to sources. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@causeway/source'],
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output');
  return output.text;
}

describe('the runtime in a browser', () => {
  let code: string;

  beforeAll(async () => {
    code = await bundle();
  });

  it('bundles for the browser platform without a Node built-in', () => {
    expect(code.length).toBeGreaterThan(10_000);
    expect(code).not.toMatch(/\bfrom\s*["'](node:|fs|path|os|crypto|events|buffer)["']/);
    expect(code).not.toMatch(/\brequire\(\s*["']/);
  });

  describe.skipIf(!chromium.available)('in headless Chromium', () => {
    let browser: Browser;

    beforeAll(async () => {
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
    });

    it('runs the scenario to the same events and hashes as Node', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.setContent('<!doctype html><title>Causeway runtime</title>');

      await page.addScriptTag({ type: 'module', content: code });
      await page.waitForFunction(
        () => 'causewayResult' in globalThis || 'causewayError' in globalThis,
        undefined,
        { timeout: 60_000 },
      );
      const seen = await page.evaluate(() => {
        const g = globalThis as { causewayResult?: unknown; causewayError?: string };
        return { result: g.causewayResult, error: g.causewayError ?? null };
      });
      const inNode = await runScenario();

      expect(errors).toEqual([]);
      expect(seen.error).toBeNull();
      const inBrowser = seen.result as ScenarioResult;
      expect(inBrowser).toEqual(inNode);
      expect(inBrowser.reexecuted).toBe(true);
      expect(inBrowser.rebuiltHash).toBe(inBrowser.hashes.at(-1));
      expect(inBrowser.events.filter((e) => e.type === 'Healed')).not.toHaveLength(0);
    });
  });
});
