import { typeError } from './errors.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { REGISTRY_DIR } from './defaults.js';

/** Where one registry lives. */
export interface RegistryPaths {
  /** The home directory (mode 0700 when portlease created it). */
  dir: string;
  /** The registry: a directory of revision files, the newest of which is the registry. */
  registry: string;
  /** portlease 0.1's single registry file, read once to migrate it. */
  legacy: string;
  /** The lock directory (see lock.ts). */
  lock: string;
}

/** Resolves the registry directory: the option, else `PORTLEASE_HOME`, else `~/.portlease`. */
export function resolvePaths(home: string | undefined, env: Record<string, string | undefined> = process.env): RegistryPaths {
  if (home !== undefined && (typeof home !== 'string' || home === '')) {
    throw typeError('home must be a non-empty string');
  }
  const dir = resolve(home ?? (env['PORTLEASE_HOME'] || join(homedir(), '.portlease')));
  return {
    dir,
    registry: join(dir, REGISTRY_DIR),
    legacy: join(dir, 'registry.json'),
    lock: join(dir, 'registry.lock'),
  };
}
