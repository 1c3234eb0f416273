/**
 * Headless Chromium for the inspector's end-to-end tests: Debian's `chromium` driven by
 * playwright-core (no browser download), the UI built once per run, screenshots kept under
 * `packages/inspector/test-results/` to be looked at.
 */
import { access, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireService, type ServiceCheck } from '../../../../test/services.ts';

/** Where Debian's chromium package puts the browser (`CAUSEWAY_CHROMIUM` overrides it). */
export const CHROMIUM_PATH = process.env['CAUSEWAY_CHROMIUM'] ?? '/usr/bin/chromium';

/** The flags every test browser runs with. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Where screenshots go (gitignored). */
export const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));

/**
 * Whether Chromium is installed: skipped with one loud line where it is not, a failure in CI
 * (`.ci/run` installs the `chromium` package).
 */
export function requireChromium(): Promise<ServiceCheck> {
  return requireService('Chromium', CHROMIUM_PATH, () => access(CHROMIUM_PATH));
}

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

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
