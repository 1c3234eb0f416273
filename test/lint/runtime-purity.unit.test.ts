/**
 * The lint rule that keeps the runtime free of Node: run with the repository's own ESLint
 * config on code placed (virtually) in packages/runtime/src and in packages/adapters/src.
 */
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

const eslint = new ESLint({
  cwd: root,
  // The probe files do not exist, so the type-aware parser setup is turned off; only the two
  // purity rules run.
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) =>
    ruleId === 'no-restricted-imports' || ruleId === 'no-restricted-syntax',
});

/** The rules a snippet breaks when it lives at `path`. */
async function broken(code: string, path: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

const inRuntime = 'packages/runtime/src/probe.ts';

describe('the runtime purity rule', () => {
  // Loading the config (typescript-eslint included) takes seconds; do it once, before the tests.
  beforeAll(async () => {
    await eslint.calculateConfigForFile(`${root}${inRuntime}`);
  }, 60_000);

  it.each([
    ["import { readFile } from 'node:fs/promises';"],
    ["import { EventEmitter } from 'events';"],
    ["import type { Buffer } from 'buffer';"],
    ["import { readFile } from 'fs/promises';"],
    ["import pg from 'pg';"],
    ["import { FileStore } from '@causeway/adapters/file';"],
  ])('refuses %s in the runtime', async (code) => {
    expect(await broken(`${code}\nexport const probe = 1;\n`, inRuntime)).toEqual([
      'no-restricted-imports',
    ]);
  });

  it.each([["await import('node:fs');"], ["await import('util');"], ["require('crypto');"]])(
    'refuses %s in the runtime',
    async (code) => {
      expect(await broken(`export const probe = async () => { ${code} };\n`, inRuntime)).toEqual([
        'no-restricted-syntax',
      ]);
    },
  );

  it('lets the runtime import its own modules, even one named like a Node module', async () => {
    const code =
      "import { defineEvent } from './events/index.ts';\nexport const probe = defineEvent;\n";

    expect(await broken(code, inRuntime)).toEqual([]);
  });

  it('lets the adapters import Node built-ins', async () => {
    const code = "import { readFile } from 'node:fs/promises';\nexport const probe = readFile;\n";

    expect(await broken(code, 'packages/adapters/src/probe.ts')).toEqual([]);
  });
});
