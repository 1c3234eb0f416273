import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'causeway-readme-'));
// The example is written into the repository so that its imports resolve to the workspace.
const script = join(root, 'test/docs/.readme-example.ts');

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(script, { force: true });
});

describe('README', () => {
  it('shows an example that runs and emits what its comment says', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'README.md has a ```ts example').toBeDefined();
    writeFileSync(script, code as string);
    const output = execFileSync(
      process.execPath,
      ['--import', join(root, 'node_modules/tsx/dist/esm/index.mjs'), script],
      { cwd: work, encoding: 'utf8' },
    );
    expect(output).toContain("[ 'AccountOpened', 'Deposited', 'Flagged' ]");
    expect(output).toMatch(/[0-9a-f]{16}/);
  });
});
