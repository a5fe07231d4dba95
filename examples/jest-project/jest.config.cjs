/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.js'],
  transform: {},
  globalSetup: '<rootDir>/global-setup.cjs',
  // In a real project: globalTeardown: 'portlease/jest/teardown'
  globalTeardown: '<rootDir>/global-teardown.cjs',
  // This example runs against the repository's build (`npm run build` at the root)
  // instead of an installed copy; a real project needs no mapping.
  moduleNameMapper: { '^portlease/jest$': '<rootDir>/../../dist/testing/jest.cjs' },
};
