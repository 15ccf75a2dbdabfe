/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/generators', '<rootDir>/auth', '<rootDir>/gateway', '<rootDir>/errors'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is `npm run build`'s job (it runs first in `npm test`); tests only transpile.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 60000,
};
