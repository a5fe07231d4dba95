import { typeError } from './errors.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { REGISTRY_FILE } from './defaults.js';

/** Where one registry lives. */
export interface RegistryPaths {
  /** The registry directory (mode 0700). */
  dir: string;
  /** The registry file (mode 0600). */
  file: string;
  /** proper-lockfile's lock directory. */
  lock: string;
  /** Identity of the current lock holder, written beside the lock directory. */
  lockOwner: string;
  /** The previous good version of the registry, kept for recovery. */
  backup: string;
}

/** Resolves the registry directory: the option, else `PORTLEASE_HOME`, else `~/.portlease`. */
export function resolvePaths(home: string | undefined, env: Record<string, string | undefined> = process.env): RegistryPaths {
  if (home !== undefined && (typeof home !== 'string' || home === '')) {
    throw typeError('home must be a non-empty string');
  }
  const dir = resolve(home ?? (env['PORTLEASE_HOME'] || join(homedir(), '.portlease')));
  const file = join(dir, REGISTRY_FILE);
  return {
    dir,
    file,
    lock: join(dir, 'registry.lock'),
    lockOwner: join(dir, 'registry.lock.owner'),
    backup: `${file}.bak`,
  };
}
