/**
 * `npm run test:requests`: the hub's upstream requests judged by Prism (test/requests/README
 * in prism.requests.ts). Separate from the main suite (`npm test`), whose testMatch
 * (`*.test.ts`) does not match these files.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/requests'],
  testMatch: ['**/*.requests.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 600000,
};
