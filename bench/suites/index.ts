import type { Suite } from '../harness.ts';
import { cqrsSuite } from './cqrs.ts';
import { firstPaintMeter } from './inspector-first-paint.ts';
import { firstPaintHook, inspectorSuite } from './inspector.ts';
import { loopSuite } from './loop.ts';
import { scaleSuite } from './scale.ts';
import { stateSuite } from './state.ts';
import { storesSuite } from './stores.ts';
import { tagfsSuite } from './tagfs.ts';

// The inspector suite times the UI's first paint with the UI's own meter (headless Chromium).
firstPaintHook.measure = firstPaintMeter();

/** Every benchmark suite, in the order `npm run bench` runs them. */
export const suites: Suite[] = [
  loopSuite,
  stateSuite,
  storesSuite,
  scaleSuite,
  cqrsSuite,
  inspectorSuite,
  tagfsSuite,
];
