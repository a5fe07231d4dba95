import { defineConfig } from 'tsup';

// One entry per public subpath of package.json "exports" (plus the CLI bin).
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      http: 'src/http/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'node20',
    removeNodeProtocol: false,
    sourcemap: false,
    splitting: true,
  },
  {
    // The CLI: ESM only, its own folder so that its chunks (one per lazily imported
    // command) sit next to bin.js and `../../package.json` finds the version. The shebang
    // of src/cli/bin.ts is kept and tsup marks the file executable.
    entry: { bin: 'src/cli/bin.ts' },
    outDir: 'dist/cli',
    format: ['esm'],
    dts: false,
    clean: false,
    target: 'node20',
    removeNodeProtocol: false,
    sourcemap: false,
    splitting: true,
  },
  // portlease/vitest and portlease/vitest/setup: ESM only (vitest is ESM). The core stays
  // a shared import of ../index.js, so tests and the library use one copy of it.
  {
    entry: { 'testing/vitest': 'src/testing/vitest.ts', 'testing/vitest-setup': 'src/testing/vitest-setup.ts' },
    format: ['esm'],
    dts: true,
    target: 'node20',
    removeNodeProtocol: false,
    sourcemap: false,
    external: ['vitest'],
    // Keep `../index.js` as an import of dist/index.js (same relative path from
    // dist/testing/). A plugin rather than `external`, which the .d.ts bundler would
    // rewrite to a wrong path; there the core's types are inlined instead.
    esbuildPlugins: [
      {
        name: 'portlease-core-external',
        setup(build) {
          build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) => ({ path: args.path, external: true }));
        },
      },
    ],
  },
  // portlease/jest*: jest's CommonJS sandbox cannot require ESM-only packages, so these
  // entries bundle the core with lowdb, steno and get-port inlined.
  {
    entry: {
      'testing/jest': 'src/testing/jest.ts',
      'testing/jest-setup': 'src/testing/jest-setup.ts',
      'testing/jest-teardown': 'src/testing/jest-teardown.ts',
    },
    format: ['cjs', 'esm'],
    dts: true,
    target: 'node20',
    removeNodeProtocol: false,
    sourcemap: false,
    splitting: true,
    noExternal: [/^lowdb(\/|$)/, /^steno(\/|$)/, /^get-port(\/|$)/],
  },
]);
