import { defineConfig } from 'vitest/config';

// Tests run the TypeScript sources: the `@causeway/source` export condition points each
// package's entries at `src/` (the published `types`/`default` conditions point at `dist/`,
// which tests never need). The rest of the list is Vite's default for server code.
const conditions = ['@causeway/source', 'module', 'node', 'development|production'];

// One root config, one project per tier: unit tests are fast and need nothing, integration
// tests talk to real Postgres, NATS and files, end-to-end tests run processes and browsers.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    setupFiles: ['test/setup/matchers.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.unit.test.ts',
            'examples/*/test/**/*.unit.test.ts',
            'test/**/*.unit.test.ts',
          ],
          typecheck: { enabled: true, include: ['packages/*/test/**/*.types.test.ts'] },
          // Property tests run a thousand generated cases; a shared 2-core CI machine needs room.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: [
            'packages/*/test/**/*.int.test.ts',
            'examples/*/test/**/*.int.test.ts',
            'test/**/*.int.test.ts',
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: [
            'packages/*/test/**/*.e2e.test.ts',
            'examples/*/test/**/*.e2e.test.ts',
            'test/**/*.e2e.test.ts',
          ],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
