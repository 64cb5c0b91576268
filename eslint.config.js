import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The web console: plain ES modules run by the browser as they are.
    files: ['services/escalation/console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'sessionStorage', 'localStorage', 'fetch', 'setInterval', 'clearInterval', 'setTimeout', 'URL', 'URLSearchParams', 'Intl', 'Event', 'dispatchEvent', 'addEventListener', 'removeEventListener'].map(
          (name) => [name, 'readonly'],
        ),
      ),
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
