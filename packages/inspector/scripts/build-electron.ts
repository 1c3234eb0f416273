// Bundles the Electron shell: the main process as one ES module (the agent, the stores and the
// shell's logic inside it) and the preload as one CommonJS script, which is what a sandboxed
// preload must be. Electron itself stays outside the bundles.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Where the bundles go; electron-builder.json packs this folder with dist-ui. */
export const electronOutDir = fileURLToPath(new URL('../dist-electron/', import.meta.url));

const source = (file: string): string =>
  fileURLToPath(new URL(`../src/electron/${file}`, import.meta.url));

/** Builds both bundles. */
export async function buildElectron(): Promise<void> {
  await build({
    entryPoints: [source('main.ts')],
    outfile: `${electronOutDir}main.mjs`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['electron', 'pg-native'],
    // Bundled CommonJS dependencies call `require`, which an ES module lacks.
    banner: {
      js: "import { createRequire as __causewayRequire } from 'node:module'; const require = __causewayRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  await build({
    entryPoints: [source('preload.ts')],
    outfile: `${electronOutDir}preload.cjs`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildElectron();
