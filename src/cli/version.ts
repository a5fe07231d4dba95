/**
 * The package version, read from the nearest package.json named `portlease` above this
 * module: `src/cli/` in the repository, `dist/` or `dist/cli/` in the published package
 * (bundling may move this code into a shared chunk). Reading one small file keeps
 * `portlease --version` from loading the library at all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleDir } from '../module-dir.js';

/**
 * The version of the installed portlease, or `'unknown'` when package.json is missing.
 *
 * @example
 * readVersion(); // '0.1.0'
 */
export function readVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const json = JSON.parse(readFileSync(join(moduleDir(), up), 'utf8')) as { name?: unknown; version?: unknown };
      if (json.name === 'portlease' && typeof json.version === 'string') return json.version;
    } catch {
      // not there: try one level further up
    }
  }
  return 'unknown';
}
