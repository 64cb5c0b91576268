import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const services = ['ingest', 'escalation', 'projection'];
const serviceImports = (except) =>
  services
    .filter((s) => s !== except)
    .map((s) => ({ name: `@klaxon/${s}`, message: 'A service never imports another service.' }));

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/data/**', '**/test/fixtures/lint/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits or catches is a failure nobody hears of: at 3 a.m. that is a page not sent.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // The web console: plain ES modules run by the browser as they are.
    files: ['services/escalation/console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'sessionStorage',
          'localStorage',
          'fetch',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'URL',
          'URLSearchParams',
          'Intl',
          'Event',
          'dispatchEvent',
          'addEventListener',
          'removeEventListener',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // The layering: the domain is pure; packages never reach up into services; no service imports another.
  {
    files: ['packages/domain/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@klaxon/*'], message: 'The domain is pure: it imports no other Klaxon package.' },
            {
              group: [
                'node:*',
                'fs',
                'http',
                'net',
                'child_process',
                'pg',
                'better-sqlite3',
                'kafkajs',
                'express',
                'pino',
              ],
              message: 'The domain does no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/!(domain|testing)/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: serviceImports(undefined),
          patterns: [{ group: ['**/services/**'], message: 'Packages never import a service.' }],
        },
      ],
    },
  },
  ...services.map((service) => ({
    files: [`services/${service}/src/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: serviceImports(service),
          patterns: services
            .filter((s) => s !== service)
            .map((s) => ({
              group: [`**/services/${s}/**`, `../../${s}/**`],
              message: 'A service never imports another service.',
            })),
        },
      ],
    },
  })),
);
