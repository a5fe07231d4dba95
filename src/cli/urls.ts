/**
 * Named URLs in the CLI's output: the port of this registry's `portlease serve` when one
 * runs (its pid file says where), so that a URL shown is one that answers.
 */
import { URL_PORT } from '../url.js';
import { isPidAlive } from '../owner.js';

/**
 * The port of the running `portlease serve` of registry `home`, or `undefined` when none
 * runs (no pid file, or its process is gone).
 *
 * @example
 * const port = await runningServePort(registry.home); // 51234 | undefined
 */
export async function runningServePort(home: string): Promise<number | undefined> {
  // Loaded when a URL is shown (with node:fs/promises), not at every start.
  const { readPidFile } = await import('./pid-file.js');
  try {
    const info = await readPidFile(home);
    return info && isPidAlive(info.pid) ? info.port : undefined;
  } catch {
    // An unreadable pid file only means no URL column: never a failed command.
    return undefined;
  }
}

/**
 * The port named URLs use: the running server's, else the default one.
 *
 * @example
 * urlOf(lease, { port: await urlPort(registry.home) });
 */
export async function urlPort(home: string): Promise<number> {
  return (await runningServePort(home)) ?? URL_PORT;
}
