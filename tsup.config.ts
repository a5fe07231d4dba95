import { rename, writeFile } from 'node:fs/promises';
import { defineConfig, type Options } from 'tsup';

const common: Options = {
  target: 'node20',
  removeNodeProtocol: false,
  sourcemap: false,
  // Shared chunks: every entry of one format imports the same copy of the library, so the
  // tarball carries it once per format and `portlease` and `portlease/vitest` share state.
  splitting: true,
};

// The public subpaths of package.json "exports".
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

/**
 * The CLI is CommonJS: `portlease reserve x` is a whole process, and a CommonJS program
 * starts without Node's ESM loader (resolving, linking and instantiating every chunk, and
 * the ESM view of `node:fs` that loads the stream and fs/promises modules) — several ms of
 * a ~60 ms start. tsup names it bin.cjs; it keeps the published path dist/cli/bin.js
 * (package.json "bin", the server's `--detach`, scripts that call it), which a package.json
 * of its own folder marks as CommonJS. Its commands stay chunks of their own, loaded by
 * `require()` when typed, and share the CommonJS build's chunks with `require('portlease')`.
 */
async function placeCliBin(): Promise<void> {
  await rename('dist/cli/bin.cjs', 'dist/cli/bin.js');
  await writeFile('dist/cli/package.json', '{ "type": "commonjs" }\n');
}

export default defineConfig([
  {
    ...common,
    // ESM: the library and the test-runner entries.
    entry: { ...library, ...esmOnly },
    format: ['esm'],
    dts: true,
    clean: true,
    external: ['vitest'],
  },
  {
    ...common,
    // CommonJS, for require() and for jest, whose module sandbox cannot require the
    // ESM-only lowdb, steno and get-port: those are bundled into this build's shared chunk.
    // And the CLI (see placeCliBin). No `shims`, whose import.meta.url is a URL built as
    // each chunk loads: the modules that need their own folder ask moduleDir()
    // (src/module-dir.ts), which reads __dirname in this build and never import.meta.
    entry: { ...library, 'cli/bin': 'src/cli/bin.ts' },
    format: ['cjs'],
    dts: { entry: library },
    clean: false,
    define: { 'import.meta.url': 'undefined' },
    noExternal: [/^lowdb(\/|$)/, /^steno(\/|$)/, /^get-port(\/|$)/],
    onSuccess: placeCliBin,
  },
]);
