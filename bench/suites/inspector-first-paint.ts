import { existsSync } from 'node:fs';
import { buildUi } from '../../packages/inspector/test/support/browser.ts';
import { CHROMIUM_PATH, launchChromium } from '../../test/browser/chromium.ts';

/**
 * The inspector's `first-paint`: milliseconds from opening the printed address in headless
 * Chromium to the first timeline row drawn, data included (the page loads, connects with its
 * token, reads the summary and the first page of events). A fresh browser per sample, started
 * outside the timed part, so no cache or open connection carries over. The UI is built once, as
 * users get it (production).
 */
export async function measureFirstPaint(url: string): Promise<number> {
  await buildUi();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    const start = process.hrtime.bigint();
    await page.goto(url);
    await page
      .getByTestId('timeline')
      .locator('[role=option]')
      .first()
      .waitFor({ timeout: 60_000 });
    return Number(process.hrtime.bigint() - start) / 1e6;
  } finally {
    await browser.close();
  }
}

/** {@link measureFirstPaint} where Chromium is installed, else null (the case is not measured). */
export function firstPaintMeter(): ((url: string) => Promise<number>) | null {
  return existsSync(CHROMIUM_PATH) ? measureFirstPaint : null;
}
