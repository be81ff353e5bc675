'use strict';

// ESLint's recommended rules, on Node's globals, for everything `npm run
// lint` checks. Formatting is prettier's (.prettierrc.json), not ESLint's.
const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  { ignores: ['node_modules/', 'target/', 'npm/'] },
  js.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'commonjs',
      globals: globals.node,
    },
    rules: {
      // `catch {}` is how this code says "best effort": killing a child
      // that may be gone, reading an optional package's version.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
];
