import { defineConfig } from 'vitest/config';

// One root config, one project per tier (STYLE.md): unit tests are fast and need nothing,
// integration tests talk to real Postgres, NATS and files, end-to-end tests run processes.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.unit.test.ts',
            'examples/*/test/**/*.unit.test.ts',
            'test/**/*.unit.test.ts',
          ],
          typecheck: { enabled: true, include: ['packages/*/test/**/*.types.test.ts'] },
        },
      },
      {
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
