// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'bench/results/**',
      'bench/tmp/**',
      '.data/**',
      'packages/inspector/dist-ui/**',
      'packages/inspector/dist-electron/**',
      'packages/inspector/dist-electron-app/**',
      'packages/inspector/test-results/**',
      '**/.exported-tests/**',
    ],
  },
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
    // tagfs's installed command is plain JavaScript (it starts the TypeScript CLI), outside
    // every tsconfig, so it is linted without type information.
    files: ['examples/tag-file-storage/src/bin.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', URL: 'readonly' },
    },
  },
  {
    // The runtime is pure: no I/O, no Node built-ins, no adapters. It runs unchanged in
    // browsers and workers, which test/browser proves by bundling it for Chromium.
    files: ['packages/runtime/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // Bare names too (`events`, `buffer`, `fs/promises`…), matched exactly: bundlers
          // resolve them to Node's modules or to polyfills, and neither belongs in the runtime.
          paths: builtinModules.map((name) => ({
            name,
            message: 'The runtime has no I/O: Node built-ins belong in adapters.',
          })),
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
              group: ['electron', 'pg', '@electric-sql/pglite', '@nats-io/*'],
              message: 'The runtime imports no I/O library.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          // `import('node:fs')` and `import('fs')` escape no-restricted-imports.
          selector: `ImportExpression[source.type='Literal'][source.value=/^(node:|(${builtinModules
            .map((name) => name.replace(/[/]/g, '\\/'))
            .join('|')})(\\/|$))/]`,
          message: 'The runtime has no I/O: no dynamic import of Node built-ins.',
        },
        {
          selector: "CallExpression[callee.name='require']",
          message: 'The runtime is ES modules only and loads no Node built-in.',
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
    // Outside the root TypeScript project: the runtime's host globals are compiled only by the
    // runtime's build, which leaves Node's types out (they would clash with Node's).
    files: ['eslint.config.js', 'packages/runtime/host/*.d.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain JavaScript run by `node` against the packed packages, outside any TypeScript project.
    files: ['test/package/consumer/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { console: 'readonly', process: 'readonly' },
    },
  },
);
