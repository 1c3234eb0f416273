/**
 * `@causeway/adapters/file`: the durable file store. See docs/file-store.md.
 *
 * @packageDocumentation
 */
export { FileStore, openFileStore } from './file-store.ts';
export type { Durability, FileStoreOptions, TailRecovery } from './file-store.ts';
export { checkFileStore, repairFileStore } from './check.ts';
export type { CheckReport, RepairReport } from './check.ts';
export { crc32c } from './crc32c.ts';
