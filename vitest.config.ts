import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: no build needed, nothing spawned from dist/, no crash, stress or
 * browser suite — `npm run test:unit`, well under a minute. `e2e`: everything else (the
 * built CLI and package, child processes killed and stopped, fault injection, Chromium).
 * `npm test` builds and runs both.
 */
const UNIT = [
  'test/adopt/{compose-port,discover,dotenv,interpolate,plan,scripts}.test.ts',
  'test/cli/{args,check,dotenv,env,fd-sink,free,get,list,listeners,main,names,output,release,reserve,suggest}.test.ts',
  'test/http/{batcher,connections,contract,dashboard-units,dashboard,framing,head,parity,portctl,routes,security}.test.ts',
  'test/platform/*.test.ts',
  'test/readme/blocks.test.ts',
  'test/skill/install.test.ts',
  'test/testing/{setup-ports,worker-lease}.test.ts',
  'test/{api,bench-parse-wrk,choose,identity,leases,listen,names,owner,probe,reask,schema,sha1,storage,token,validate}.test.ts',
];

const shared = {
  // Real processes, sockets and fsyncs on a shared 2-core machine: be generous.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  // HOME points at a trap directory for the whole run: the real ~/.portlease is never touched.
  globalSetup: ['test/setup/home-trap.ts'],
};

export default defineConfig({
  test: {
    projects: [{ test: { ...shared, name: 'unit', include: UNIT } }, { test: { ...shared, name: 'e2e', include: ['test/**/*.test.ts'], exclude: UNIT } }],
  },
});
