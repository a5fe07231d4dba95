/** Where the running module file is, in either build. */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the module file this code was bundled into: `dist/` (a shared chunk) or
 * `dist/cli/` (the bin) in the package, `src/…` under the test runner. The CommonJS build
 * (the CLI, `require('portlease')`) has `__dirname` and no `import.meta`; the ESM build the
 * other way round. Not tsup's shim: it computes an import.meta.url (a `URL`, ~0.3 ms) when
 * each CommonJS chunk that mentions import.meta loads — every CLI start, `--version` too.
 *
 * @example
 * join(moduleDir(), '..', 'package.json');
 */
export function moduleDir(): string {
  return typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
}
