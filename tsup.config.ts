import { defineConfig, type Options } from 'tsup';

const common: Options = {
  target: 'node20',
  removeNodeProtocol: false,
  sourcemap: false,
  // Shared chunks: every entry of one format imports the same copy of the library, so the
  // tarball carries it once per format and `portlease` and `portlease/vitest` share state.
  splitting: true,
};

// The public subpaths of package.json "exports" (the CLI bin is ESM only).
const library = {
  index: 'src/index.ts',
  http: 'src/http/index.ts',
  'testing/jest': 'src/testing/jest.ts',
  'testing/jest-setup': 'src/testing/jest-setup.ts',
  'testing/jest-teardown': 'src/testing/jest-teardown.ts',
};
const esmOnly = {
  'testing/vitest': 'src/testing/vitest.ts',
  'testing/vitest-setup': 'src/testing/vitest-setup.ts',
};

export default defineConfig([
  {
    ...common,
    // ESM: the library, the test-runner entries and the CLI in one build. The CLI's
    // commands are imported lazily and become chunks of their own.
    entry: { ...library, ...esmOnly, 'cli/bin': 'src/cli/bin.ts' },
    format: ['esm'],
    dts: { entry: { ...library, ...esmOnly } },
    clean: true,
    external: ['vitest'],
  },
  {
    ...common,
    // CommonJS, for require() and for jest, whose module sandbox cannot require the
    // ESM-only lowdb, steno and get-port: those are bundled into this build's shared chunk.
    entry: library,
    format: ['cjs'],
    dts: true,
    clean: false,
    noExternal: [/^lowdb(\/|$)/, /^steno(\/|$)/, /^get-port(\/|$)/],
  },
]);
