/**
 * The packages as a user gets them: every workspace package under packages/ is packed with
 * `npm pack` (which builds it), the tarballs are installed with npm into a fresh project in the
 * system's temporary folder, outside this repository, and that project runs a small app with
 * plain `node`, runs the `causeway` bin, and type-checks a consumer file against the shipped
 * declarations.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const consumer = fileURLToPath(new URL('./consumer/', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, maxBuffer: 64 << 20, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a command that must succeed, and returns its output. */
async function ok(command: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly bin?: Record<string, string>;
  readonly exports?: Record<
    string,
    string | { readonly default?: string; readonly types?: string }
  >;
}

interface Packed {
  readonly name: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the packed packages, installed outside the repository', () => {
  let work: string;
  let project: string;
  let packages: Manifest[];
  let packed: Packed[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'causeway-pack-'));
    project = join(work, 'app');
    packages = [];
    for (const dir of (await readdir(join(root, 'packages'))).sort()) {
      const manifest = JSON.parse(
        await readFile(join(root, 'packages', dir, 'package.json'), 'utf8'),
      ) as Manifest;
      if (manifest.private !== true) packages.push(manifest);
    }
    const workspaces = packages.flatMap((p) => ['--workspace', p.name]);
    packed = JSON.parse(
      await ok(npm, ['pack', '--json', '--pack-destination', work, ...workspaces], root),
    ) as Packed[];

    await mkdir(project);
    await cp(join(consumer, 'app.mjs'), join(project, 'app.mjs'));
    await cp(join(consumer, 'consumer.ts'), join(project, 'consumer.ts'));
    await cp(join(consumer, 'tsconfig.consumer.json'), join(project, 'tsconfig.json'));
    const dependencies = Object.fromEntries(
      packed.map((p) => [p.name, `file:${join(work, p.filename)}`]),
    );
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'causeway-consumer',
        private: true,
        type: 'module',
        dependencies,
        // The file store's writer lock is a kernel lock (flock) from fs-ext, a native addon
        // built at install.
        allowScripts: { 'fs-ext': true },
      }),
    );
    // From the registry: what the packages declare, plus @types/node for the type check
    // (the adapters' declarations name Node's types) and fast-check, the testing kit's peer.
    await ok(
      npm,
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '@types/node@20', 'fast-check@4'],
      project,
    );
  }, 600_000);

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('packs every package with its build and without its sources or tests', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(packages.map((p) => p.name).sort());
    for (const p of packed) {
      const paths = p.files.map((f) => f.path);
      const manifest = packages.find((m) => m.name === p.name);
      // Every subpath a user can import ships its JavaScript and its declarations.
      const targets = Object.values(manifest?.exports ?? {}).flatMap((target) =>
        typeof target === 'string' ? [] : [target.default, target.types],
      );
      expect(targets.length, p.name).toBeGreaterThan(0);
      for (const target of targets) expect(paths, p.name).toContain(target?.replace(/^\.\//, ''));
      expect(
        paths.filter(
          (f) => f !== 'package.json' && !f.startsWith('dist/') && !f.startsWith('dist-ui/'),
        ),
        p.name,
      ).toEqual([]);
      expect(
        paths.filter((f) => f.includes('.test.') || f.endsWith('.tsbuildinfo')),
        p.name,
      ).toEqual([]);
    }
  });

  it('runs an app with plain node: ticks on the file store, reopens, rebuilds, re-executes, decides commands', async () => {
    const stdout = await ok(process.execPath, ['app.mjs', join(project, 'data')], project);

    const seen = JSON.parse(stdout) as {
      types: string[];
      hashes: string[];
      reopenedBalance: number;
      reopenedHash: string;
      rebuilt: { tick: number; hash: string; balance: number };
      reexecuted: boolean;
      command: { decided: unknown; refused: unknown };
      deepImport: string;
    };
    expect(seen.types).toEqual(['AccountOpened', 'Deposited', 'Flagged']);
    expect(seen.hashes).toHaveLength(2);
    for (const hash of seen.hashes) expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(seen.reopenedBalance).toBe(20_000);
    expect(seen.reopenedHash).toBe(seen.hashes[1]);
    expect(seen.rebuilt).toEqual({ tick: 2, hash: seen.hashes[1], balance: 20_000 });
    expect(seen.reexecuted).toBe(true);
    expect(seen.command).toEqual({ decided: { balance: 5 }, refused: 'NO_ACCOUNT' });
    expect(seen.deepImport).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('installs the causeway bin, which checks the app’s file store', async () => {
    await ok(process.execPath, ['app.mjs', join(project, 'bin-data')], project);

    const clean = await run(
      join(project, 'node_modules', '.bin', 'causeway'),
      ['store', 'check', 'bin-data'],
      project,
    );
    const usage = await run(join(project, 'node_modules', '.bin', 'causeway'), [], project);

    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('ticks:     2');
    expect(usage.code).not.toBe(0);
    expect(usage.stderr + usage.stdout).toContain('causeway store check <dir>');
  });

  it('type-checks a consumer file against the shipped declarations', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);

    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
