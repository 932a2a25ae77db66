// `npm run lint`: typescript-eslint's recommended type-aware rules on everything TypeScript
// checks (src, test, scripts), plus the launcher and build scripts as plain JavaScript.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'state/**', 'runs/**', 'vitest.config.ts'] },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A leading underscore marks a binding left unused on purpose (a rest sibling dropped from a copy).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // An async function without await is how a Promise-returning interface method (Backend,
      // Store) turns a synchronous throw into a rejection, which its callers rely on.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read parsed JSON (`status --json`) and use vitest's asymmetric matchers, which are typed
    // `any` (expect.any, expect.stringContaining): the no-unsafe-* rules guard src/ and scripts/.
    files: ['**/*.test.ts', '**/*.test.tsx', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
