/**
 * The package version, read from the package.json two levels up: `src/cli/` in the
 * repository and `dist/cli/` in the published package sit at the same depth. Reading one
 * small file keeps `portlease --version` from loading the library at all.
 */
import { readFileSync } from 'node:fs';

/**
 * The version of the installed portlease, or `'unknown'` when package.json is missing.
 *
 * @example
 * readVersion(); // '0.1.0'
 */
export function readVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const json = JSON.parse(text) as { name?: unknown; version?: unknown };
    return json.name === 'portlease' && typeof json.version === 'string' ? json.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
