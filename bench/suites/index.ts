import type { Suite } from '../harness.ts';

// Each suite's module is loaded only in the process that runs it: loaded together, the suites'
// dependencies (playwright-core's bundle, the CQRS peers, the example apps) were in every
// suite's process, and cases ran slower beside them (at 17e13e6, scale's appliers-1k-patches
// measured 137,000 events/s in the bench's process and 245,000-261,000 in one that loaded the
// scale suite alone).
const loaders: Readonly<Record<string, () => Promise<Suite>>> = {
  loop: async () => (await import('./loop.ts')).loopSuite,
  state: async () => (await import('./state.ts')).stateSuite,
  stores: async () => (await import('./stores.ts')).storesSuite,
  scale: async () => (await import('./scale.ts')).scaleSuite,
  cqrs: async () => (await import('./cqrs.ts')).cqrsSuite,
  inspector: async () => {
    const { firstPaintHook, inspectorSuite } = await import('./inspector.ts');
    // The suite times the UI's first paint with the UI's own meter (headless Chromium).
    firstPaintHook.load = async () =>
      (await import('./inspector-first-paint.ts')).firstPaintMeter();
    return inspectorSuite;
  },
  tagfs: async () => (await import('./tagfs.ts')).tagfsSuite,
};

/** Every benchmark suite's name, in the order `npm run bench` runs them. */
export const suiteNames: readonly string[] = Object.keys(loaders);

/** Loads the suite `name` (one of {@link suiteNames}). */
export async function loadSuite(name: string): Promise<Suite> {
  const load = loaders[name];
  if (load === undefined) throw new Error(`No benchmark suite is named ${name}.`);
  return await load();
}
