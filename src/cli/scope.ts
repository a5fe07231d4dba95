/**
 * The registry and app/instance a command works on, resolved from flags, the injected
 * environment and the injected working directory (never `process.env` / `process.cwd()`),
 * so that `main(argv, io)` behaves the same in tests as in a shell.
 */
import { resolve } from 'node:path';
import { openRegistry, type Registry } from '../index.js';
import { resolveScope } from '../identity.js';
import type { Io } from './command.js';
import { homeOf } from './args.js';
import { checkHomeWritable } from './targets.js';

/**
 * The registry of `--home`, else `PORTLEASE_HOME` of `io.env`, else `~/.portlease`; it reads
 * the other PORTLEASE_* variables (such as PORTLEASE_RANGE) from `io.env` too.
 *
 * @example
 * const registry = registryFor(flags, io);
 * const lease = await registry.reserve('web', { durable: true });
 */
export function registryFor(flags: { home?: string | undefined }, io: Io): Registry {
  const { home } = homeOf(flags, io.env);
  // A relative --home means relative to where the user typed it: io.cwd, not process.cwd().
  return openRegistry(home === undefined ? { env: io.env } : { home: resolve(io.cwd, home), env: io.env });
}

/**
 * {@link registryFor}, for a command about to write: the home is checked first, so that a
 * `--home` that cannot hold a registry fails at once with `E_STORAGE` naming it.
 *
 * @example
 * const registry = await writableRegistryFor(flags, io);
 */
export async function writableRegistryFor(flags: { home?: string | undefined }, io: Io): Promise<Registry> {
  const registry = registryFor(flags, io);
  await checkHomeWritable(registry.home);
  return registry;
}

/**
 * App and instance: `--app` / `--instance`, then PORTLEASE_APP / PORTLEASE_INSTANCE of
 * `io.env`, then the git repository and worktree of `io.cwd`.
 *
 * @example
 * resolvedScope({ app: 'shop' }, io); // { app: 'shop', instance: 'default' }
 */
export function resolvedScope(flags: { app?: string | undefined; instance?: string | undefined }, io: Io): { app: string; instance: string } {
  return resolveScope({ app: flags.app, instance: flags.instance, cwd: io.cwd }, io.env);
}
