// In a real project, name the package in jest.config.js instead of this file:
// globalTeardown: 'portlease/jest/teardown'
module.exports = require('../../dist/testing/jest-teardown.cjs');
