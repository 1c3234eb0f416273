import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { publicSurface } from './public-surface.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The names docs/api.md lists, by entry: `- \`Name\` (kind): …` lines under `## \`entry\``. */
function documented(markdown: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of markdown.split('\n')) {
    const heading = /^## `([^`]+)`\s*$/.exec(line);
    if (heading !== null) {
      current = [];
      sections.set(heading[1] as string, current);
      continue;
    }
    if (line.startsWith('## ')) current = null;
    const item = /^- `([A-Za-z_$][\w$]*)` \(/.exec(line);
    if (item !== null && current !== null) current.push(item[1] as string);
  }
  return sections;
}

describe('docs/api.md', () => {
  // Reading every entry's exports with the TypeScript compiler takes a few seconds.
  const surface = publicSurface(root);
  const docs = documented(readFileSync(`${root}docs/api.md`, 'utf8'));

  it('finds the entries of the published packages', () => {
    expect(surface.map((e) => e.specifier)).toEqual(
      expect.arrayContaining([
        '@causeway/runtime',
        '@causeway/runtime/cqrs',
        '@causeway/runtime/store-kit',
        '@causeway/runtime/testing',
        '@causeway/adapters',
        '@causeway/adapters/file',
      ]),
    );
  });

  it.each(surface.map((e) => [e.specifier, e] as const))(
    'lists every export of %s, and nothing else',
    (_, entry) => {
      const listed = docs.get(entry.specifier) ?? [];
      const missing = entry.names.filter((n) => !listed.includes(n));
      const stale = listed.filter((n) => !entry.names.includes(n));

      expect({ missing, stale }, `docs/api.md, section ${entry.specifier}`).toEqual({
        missing: [],
        stale: [],
      });
    },
  );

  it('has a section only for entries that exist', () => {
    const entries = surface.map((e) => e.specifier);

    expect([...docs.keys()].filter((s) => !entries.includes(s))).toEqual([]);
  });
});
