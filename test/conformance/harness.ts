import type { EventStore } from '@causeway/runtime';

/**
 * How the conformance suite reaches one kind of store. Each adapter's `*.int.test.ts`
 * passes one of these to `describeStoreConformance`.
 */
export interface StoreHarness {
  /** Shown in test titles: `memory`, `file`, `postgres`, `pglite`. */
  readonly name: string;
  /** Makes a fresh, empty place for one log (a folder, a schema…). */
  fresh(): Promise<StoreLocation>;
}

/** One log's place; opens any number of stores on it. */
export interface StoreLocation {
  /** A store on this log, to write (not yet opened: call `open(header)`). */
  writer(): EventStore;
  /** A store on this log, to read only (not yet opened: call `open()`). */
  reader(): EventStore;
  /** Closes what the harness holds and removes the log. */
  dispose(): Promise<void>;
}
