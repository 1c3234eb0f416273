import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** The manifest's file name in a store folder. */
export const MANIFEST_NAME = 'log.manifest';

/**
 * What the writer records beside the segments so that a lost tail is visible: how many segment
 * files the log has. It is rewritten (atomically, and synced) whenever that number changes: after
 * a new segment is created and synced, and before segments are removed, so it never claims more
 * segments than a crash can leave. A log with fewer segments than its manifest names has lost
 * its tail (a deleted or lost file), which the numbering inside the segments cannot show.
 */
export interface Manifest {
  readonly segments: number;
}

/** A manifest file whose content is not a manifest. */
export class ManifestError extends Error {}

/** The manifest of `dir`, or null when it has none (a new log, or one written before it). */
export async function readManifest(dir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const value = parseManifest(text);
  if (value === null) throw new ManifestError(`the manifest ${MANIFEST_NAME} is not readable`);
  return value;
}

function parseManifest(text: string): Manifest | null {
  try {
    const value = JSON.parse(text) as Partial<Manifest>;
    return Number.isInteger(value.segments) && (value.segments as number) >= 0
      ? { segments: value.segments as number }
      : null;
  } catch {
    return null;
  }
}

/** Replaces the manifest of `dir`: written to a temporary file, synced, renamed, folder synced. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const path = join(dir, MANIFEST_NAME);
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(JSON.stringify(manifest));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncFolder(dir);
}

/** Makes the folder's entries (created, renamed or removed files) durable. */
export async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
