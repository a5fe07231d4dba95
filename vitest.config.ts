import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real processes, sockets and fsyncs on a shared 2-core machine: be generous.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // HOME points at a trap directory for the whole run: the real ~/.portlease is never touched.
    globalSetup: ['test/setup/home-trap.ts'],
  },
});
