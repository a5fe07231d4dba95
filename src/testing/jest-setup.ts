/**
 * `portlease/jest/setup`: jest's globalSetup and globalTeardown. They run in jest's main
 * process; the leases are owned by it and published to the workers through
 * `process.env`, the only channel jest passes from its main process to its workers.
 */
import { openRegistry } from '../index.js';
import { holdPorts, type HeldPorts, type SetupPortsOptions, type Teardown } from './global-ports.js';
import { workerLeases } from './jest-workers.js';
import { checkServices } from './services.js';
import { releaseWorkerLeases } from './worker-lease.js';

export type { SetupPortsOptions, Teardown };

// globalSetup and globalTeardown share jest's main-process globals (jest documents it).
const HELD = Symbol.for('portlease.jest.held');
type JestGlobal = typeof globalThis & { [HELD]?: HeldPorts[] };

/**
 * Makes a jest globalSetup that reserves one port per service for the run and publishes
 * them as `PORTLEASE_PORTS` / `PORTLEASE_PORT_<NAME>`. Pair it with
 * `globalTeardown: 'portlease/jest/teardown'`. Names are checked at once.
 *
 * @param services Names of the ports, read in tests with `port(name)` from `portlease/jest`.
 * @example
 * // jest.setup.js, listed as `globalSetup` in jest.config.js
 * const { setupPorts } = require('portlease/jest/setup');
 * module.exports = setupPorts(['db', 'api']);
 */
export function setupPorts<const Name extends string>(
  services: readonly Name[],
  options: SetupPortsOptions<Name> = {},
): (globalConfig?: unknown, projectConfig?: unknown) => Promise<void> {
  checkServices(services);
  return async function portleaseGlobalSetup() {
    const held = await holdPorts(services, options as SetupPortsOptions<string>, 'jest');
    const global = globalThis as JestGlobal;
    global[HELD] ??= [];
    global[HELD].push(held);
  };
}

/**
 * jest's globalTeardown: stops what `onReady` started, releases the setup's leases and
 * the worker leases of an in-band run, and sweeps the leases of workers that have exited
 * (jest ends its workers before the global teardown). With nothing held, does nothing.
 *
 * @example
 * // jest.config.js
 * module.exports = { globalSetup: './jest.setup.js', globalTeardown: 'portlease/jest/teardown' };
 */
export async function teardownPorts(): Promise<void> {
  const held = (globalThis as JestGlobal)[HELD]?.splice(0) ?? [];
  const inBand = workerLeases();
  // Read before close() restores the environment: the registries these runs used. With
  // nothing held (no setup ran), touch no registry at all.
  const homes = new Set(held.map((ports) => ports.home ?? process.env['PORTLEASE_HOME']));
  if (homes.size === 0 && inBand.size > 0) homes.add(process.env['PORTLEASE_HOME']);
  const results = await Promise.allSettled([...held.reverse().map((ports) => ports.close()), releaseWorkerLeases(inBand)]);
  // One write that reclaims the exited workers' leases now rather than at someone's next reserve.
  const sweep = async (home: string | undefined) => openRegistry({ home }).prune();
  for (const home of homes) await sweep(home).catch(() => {});
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}
