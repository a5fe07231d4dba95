import { typeError } from './errors.js';
import { homedir } from 'node:os';
import { join, resolve, win32 } from 'node:path';
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

/**
 * The default home: `~/.portlease`; on Windows `%LOCALAPPDATA%\portlease`, the per-user
 * folder that never roams (a roaming profile copies the rest of the user's folder to other
 * machines, and leases of this machine's pids mean nothing there).
 *
 * @example
 * defaultHome({ LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' }, 'win32'); // 'C:\\Users\\ana\\AppData\\Local\\portlease'
 */
export function defaultHome(env: Record<string, string | undefined> = process.env, os: string = process.platform): string {
  const local = env['LOCALAPPDATA'];
  if (os === 'win32' && local) return win32.join(local, 'portlease');
  return join(homedir(), '.portlease');
}

/**
 * Resolves the registry directory: the option, else `PORTLEASE_HOME`, else
 * {@link defaultHome}; a relative one from `cwd` (where the user typed it).
 */
export function resolvePaths(home: string | undefined, env: Record<string, string | undefined> = process.env, cwd?: string): RegistryPaths {
  if (home !== undefined && (typeof home !== 'string' || home === '')) {
    throw typeError('home must be a non-empty string');
  }
  const dir = resolve(cwd ?? process.cwd(), home ?? (env['PORTLEASE_HOME'] || defaultHome(env)));
  return {
    dir,
    registry: join(dir, REGISTRY_DIR),
    legacy: join(dir, 'registry.json'),
    lock: join(dir, 'registry.lock'),
  };
}
