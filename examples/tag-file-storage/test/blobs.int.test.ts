import { createHash } from 'node:crypto';
import {
  createReadStream,
  mkdtempSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobFolder } from '../src/blobs.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tagfs-blobs-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('the blob folder', () => {
  it('stores a file larger than 2 GiB, which Node cannot read into one buffer', async () => {
    const path = join(dir, 'huge.bin');
    writeFileSync(path, 'head');
    truncateSync(path, 2 ** 31 + 4096);
    const blobs = new BlobFolder(join(dir, 'blobs'));

    const blob = await blobs.put(path);

    expect(blob.size).toBe(2 ** 31 + 4096);
    expect(blob.hash).toBe(await sha256Of(path));
    expect(statSync(blobs.pathOf(blob.hash)).size).toBe(blob.size);
  }, 120_000);

  it('stores the same large content once, whichever file brings it', async () => {
    const blobs = new BlobFolder(join(dir, 'blobs'));
    for (const name of ['a.bin', 'b.bin']) {
      writeFileSync(join(dir, name), 'same');
      truncateSync(join(dir, name), 20 * 1024 * 1024);
    }

    const [a, b] = [await blobs.put(join(dir, 'a.bin')), await blobs.put(join(dir, 'b.bin'))];

    expect(a).toEqual(b);
    expect(statSync(blobs.pathOf(a.hash)).size).toBe(20 * 1024 * 1024);
  });
});
