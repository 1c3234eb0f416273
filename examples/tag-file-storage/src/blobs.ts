import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A content-addressed blob: its sha-256 (hex) and size in bytes. */
export interface Blob {
  readonly hash: string;
  readonly size: number;
}

/**
 * Files up to this size are read whole; larger ones are streamed to a temporary blob while they
 * are hashed, since Node cannot read a file over 2 GiB into one buffer.
 */
const WHOLE_READ_LIMIT = 16 * 1024 * 1024;

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
    if ((await stat(path)).size > WHOLE_READ_LIMIT) return this.#putStreamed(path);
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

  /** {@link put} for a large file: one pass that hashes and copies, then a rename. */
  async #putStreamed(path: string): Promise<Blob> {
    await mkdir(this.dir, { recursive: true });
    const temporary = join(this.dir, `stream.${process.pid}.${this.#writes++}.part`);
    const hasher = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        createReadStream(path),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hasher.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(temporary),
      );
      const hash = hasher.digest('hex');
      const target = this.pathOf(hash);
      if (existsSync(target)) {
        await unlink(temporary);
      } else {
        await mkdir(join(this.dir, hash.slice(0, 2)), { recursive: true });
        await rename(temporary, target);
      }
      return { hash, size };
    } catch (err) {
      await unlink(temporary).catch(() => undefined);
      throw err;
    }
  }
}
