/**
 * Headless Chromium for every browser test, benchmark and screenshot script: Debian's `chromium`
 * package, driven by playwright-core (which never downloads a browser of its own).
 */
import { access, constants } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
import { requireService, type ServiceCheck } from '../services.ts';

/** Where Debian installs Chromium (`apt-get install chromium`); `CAUSEWAY_CHROMIUM` overrides it. */
export const CHROMIUM_PATH = process.env['CAUSEWAY_CHROMIUM'] ?? '/usr/bin/chromium';

/** The flags every browser runs with: headless, no sandbox, no network chatter of its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Checks that Chromium is installed: a loud skip without it, a failure in CI. */
export function requireChromium(): Promise<ServiceCheck> {
  return requireService('Chromium', CHROMIUM_PATH, () => access(CHROMIUM_PATH, constants.X_OK));
}

/** Starts a headless Chromium with {@link CHROMIUM_ARGS}. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}
