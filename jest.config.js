/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/generators', '<rootDir>/store', '<rootDir>/auth', '<rootDir>/admin', '<rootDir>/gateway', '<rootDir>/errors'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is `npm run build`'s job (it runs first in `npm test`); tests only transpile.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // ESM-only packages: Node 20 require()s them natively, jest's loader cannot, so they are
    // rewritten to CommonJS. Keep this list in step with transformIgnorePatterns below.
    '/node_modules/oauth4webapi/.+\\.js$': '<rootDir>/test/helpers/esm-to-cjs-transform.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!oauth4webapi/)'],
  testTimeout: 60000,
};
