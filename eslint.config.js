// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'bench/results/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The runtime is pure: no I/O, no Node built-ins, no adapters (DESIGN.md, "Layout").
    files: ['packages/runtime/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*'],
              message: 'The runtime has no I/O: Node built-ins belong in adapters.',
            },
            {
              group: [
                '@causeway/adapters',
                '@causeway/adapters/*',
                '@causeway/inspector',
                '@causeway/inspector/*',
              ],
              message: 'Adapters depend on the runtime, never the other way.',
            },
            {
              group: [
                'electron',
                'pg',
                '@electric-sql/pglite',
                'fs',
                'path',
                'os',
                'crypto',
                'child_process',
              ],
              message: 'The runtime imports no I/O library.',
            },
          ],
        },
      ],
    },
  },
  {
    // The protocol and the client run in browsers too: no Node built-ins, no server libraries.
    files: ['packages/inspector/src/protocol/**/*.ts', 'packages/inspector/src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The protocol and client are browser-safe.' },
            {
              group: ['ws', '@causeway/adapters', '@causeway/adapters/*'],
              message: 'The protocol and client are browser-safe.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
