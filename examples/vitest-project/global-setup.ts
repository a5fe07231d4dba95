import { setupPorts } from 'portlease/vitest/setup';
import { record, startServer, stopServer } from './server.js';

// One port per service for the whole run, owned by the vitest process: released at
// teardown, reclaimed by the registry if vitest is killed.
export default setupPorts(['api'], {
  async onReady({ api }) {
    const server = await startServer('api', api);
    record('global', api);
    return async () => {
      await stopServer(server);
      record('global-end', api);
    };
  },
});
