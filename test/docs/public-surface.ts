/**
 * The public surface of the workspace's packages: for every entry of every published package
 * (each subpath of its `exports`), the names it exports, types included, read with the
 * TypeScript compiler from the entry's sources.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** One entry of a package: `@causeway/runtime/testing` and the names it exports, sorted. */
export interface PublicEntry {
  readonly specifier: string;
  readonly names: readonly string[];
}

interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly exports?: Record<string, string | Record<string, string>>;
}

/** The source file an `exports` target names under the `@causeway/source` condition. */
function sourceOf(target: string | Record<string, string>): string | null {
  if (typeof target === 'string') return target.endsWith('.ts') ? target : null;
  return target['@causeway/source'] ?? null;
}

/** Every entry of every package under `packages/` of the repository at `root`. */
export function publicSurface(root: string): PublicEntry[] {
  const entries: { specifier: string; file: string }[] = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const manifest = JSON.parse(
      readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'),
    ) as Manifest;
    if (manifest.private === true) continue;
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const source = sourceOf(target);
      if (source === null) continue;
      entries.push({
        specifier: subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`,
        file: join(root, 'packages', dir, source),
      });
    }
  }
  const program = ts.createProgram(
    entries.map((e) => e.file),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      allowImportingTsExtensions: true,
      noEmit: true,
      skipLibCheck: true,
      customConditions: ['@causeway/source'],
    },
  );
  const checker = program.getTypeChecker();
  return entries.map(({ specifier, file }) => {
    const source = program.getSourceFile(file);
    const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (symbol === undefined) throw new Error(`${specifier}: ${file} is not a module`);
    const names = checker.getExportsOfModule(symbol).map((s) => s.getName());
    return { specifier, names: names.sort() };
  });
}
