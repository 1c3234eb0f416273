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
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);

  function run(code: string): string {
    writeFileSync(script, code);
    return execFileSync(
      process.execPath,
      [
        '--conditions=@causeway/source',
        '--import',
        join(root, 'node_modules/tsx/dist/esm/index.mjs'),
        script,
      ],
      {
        cwd: work,
        encoding: 'utf8',
      },
    );
  }

  it('shows an example that runs and emits what its comment says', () => {
    expect(examples.length, 'README.md has ```ts examples').toBeGreaterThanOrEqual(2);
    const output = run(examples[0] as string);
    expect(output).toContain("[ 'AccountOpened', 'Deposited', 'Flagged' ]");
    expect(output).toMatch(/[0-9a-f]{16}/);
  });

  it('shows a replay property that holds', () => {
    const example = examples.find((e) => e.includes('assertReplay'));
    expect(example, 'README.md shows assertReplay').toBeDefined();

    expect(run(example as string)).toContain('replay holds');
  });

  it('shows commands whose result and rejection are what its comments say', () => {
    const example = examples.find((e) => e.includes('new Mediator('));
    expect(example, 'README.md shows the Mediator').toBeDefined();

    const output = run(example as string);

    expect(output).toContain('{ left: 70 }');
    expect(output).toContain('CW_COMMAND_REJECTED NO_FUNDS');
  });
});
