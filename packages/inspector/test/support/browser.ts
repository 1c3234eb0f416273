/**
 * What the inspector's browser tests need besides Chromium (launched through
 * `test/browser/chromium.ts`): the UI built once per run, screenshots kept under
 * `packages/inspector/test-results/` to be looked at.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** Where screenshots go (gitignored). */
export const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));

let built: Promise<void> | null = null;

/** Builds the UI into `dist-ui` (once per process), so the agent serves this tree's UI. */
export function buildUi(): Promise<void> {
  built ??= (async () => {
    const { build } = await import('vite');
    // Vite builds for the NODE_ENV it finds, and vitest sets `test`: React's development build
    // would be served. Production, as users get it, for the length of the build.
    const nodeEnv = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'production';
    try {
      await build({
        configFile: fileURLToPath(new URL('../../vite.config.ts', import.meta.url)),
        mode: 'production',
        logLevel: 'error',
      });
    } finally {
      if (nodeEnv === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = nodeEnv;
    }
  })();
  return built;
}

/** Saves a full-window screenshot as `test-results/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${name}.png`;
  await page.screenshot({ path });
  return path;
}
