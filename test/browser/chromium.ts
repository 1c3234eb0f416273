/**
 * Headless Chromium for the browser tests: Debian's `chromium` package, driven by
 * playwright-core (which never downloads a browser of its own).
 */
import { access, constants } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
import { requireService, type ServiceCheck } from '../services.ts';

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Checks that Chromium is installed: a loud skip without it, a failure in CI. */
export function requireChromium(): Promise<ServiceCheck> {
  return requireService('Chromium', CHROMIUM_PATH, () => access(CHROMIUM_PATH, constants.X_OK));
}

/** Starts a headless Chromium with no network chatter of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
