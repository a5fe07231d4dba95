// In a real project: const { setupPorts } = require('portlease/jest/setup');
// (jest loads this file with Node's own require, which knows no moduleNameMapper)
const { setupPorts } = require('../../dist/testing/jest-setup.cjs');
const { record, startServer, stopServer } = require('./server.cjs');

// One port per service for the whole run, owned by jest's main process and published to
// the workers through process.env; released by the global teardown.
module.exports = setupPorts(['api'], {
  async onReady({ api }) {
    const server = await startServer('api', api);
    record('global', api);
    return async () => {
      await stopServer(server);
      record('global-end', api);
    };
  },
});
