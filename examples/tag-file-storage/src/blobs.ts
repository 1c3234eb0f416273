import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A content-addressed blob: its sha-256 (hex) and size in bytes. */
export interface Blob {
  readonly hash: string;
  readonly size: number;
}

/**
 * The content-addressed blob folder: each content is stored once, at `<dir>/<2 hex>/<sha-256>`,
 * whatever the number of files that point at it. A blob is written to a temporary name and
 * renamed into place, so a blob that exists is always whole.
 */
export class BlobFolder {
  #writes = 0;

  /** The blob folder under `dir`. */
  constructor(readonly dir: string) {}

  /** Where the blob with this hash lives. */
  pathOf(hash: string): string {
    return join(this.dir, hash.slice(0, 2), hash);
  }

  /** Stores the content of the file at `path` (once per content) and returns its address. */
  async put(path: string): Promise<Blob> {
    const content = await readFile(path);
    const hash = createHash('sha256').update(content).digest('hex');
    const target = this.pathOf(hash);
    if (!existsSync(target)) {
      await mkdir(join(this.dir, hash.slice(0, 2)), { recursive: true });
      // Unique per write: two files of one batch may carry the same content.
      const temporary = `${target}.${process.pid}.${this.#writes++}.part`;
      await writeFile(temporary, content);
      await rename(temporary, target);
    }
    return { hash, size: content.length };
  }
}
