/**
 * `portlease/vitest/setup`: the globalSetup half for vitest. It reserves leases owned by
 * the vitest main process, hands them to tests with `project.provide`, and releases them
 * at teardown. A separate entry from `portlease/vitest` because it must not import
 * `vitest`: vitest 3 refuses that import inside a globalSetup ("Vitest failed to access
 * its internal state").
 */
import type { Lease } from '../index.js';
import { holdPorts, type HeldPorts, type SetupPortsOptions, type Teardown } from './global-ports.js';
import { checkServices } from './services.js';

export type { SetupPortsOptions, Teardown };

/** What the global setup provides under the `portlease` key (`PortleaseContext` of `portlease/vitest`). */
export interface ProvidedPorts {
  ports: Record<string, number>;
  leases: Record<string, Lease>;
}

/**
 * The part of vitest's `TestProject` a global setup uses (vitest ≥ 3; vitest 2's
 * `GlobalSetupContext` has it too).
 */
export interface ProvideTarget {
  provide(key: 'portlease', value: ProvidedPorts): void;
}

/**
 * Makes a vitest globalSetup that reserves one port per service for the whole run.
 * The leases are owned by the vitest process: teardown releases them (in watch mode,
 * when vitest exits), and if vitest is killed the registry reclaims them.
 * Names are checked at once; nothing is reserved until vitest runs the setup.
 *
 * @param services Names of the ports, read in tests with `port(name)`.
 * @example
 * // vitest.setup.ts, listed in `test.globalSetup` of vitest.config.ts
 * import { setupPorts } from 'portlease/vitest/setup';
 * export default setupPorts(['db', 'api'], {
 *   async onReady({ api }) {
 *     const server = await startApi(api);
 *     return () => server.close();
 *   },
 * });
 */
export function setupPorts<const Name extends string>(
  services: readonly Name[],
  options: SetupPortsOptions<Name> = {},
): (project: ProvideTarget) => Promise<() => Promise<void>> {
  checkServices(services);
  let held: HeldPorts | undefined;
  return async function portleaseGlobalSetup(project) {
    // vitest restarts (config change in watch mode) call teardown then setup again;
    // if a teardown was ever skipped, do not leak the earlier leases.
    if (held) await held.close();
    const current = await holdPorts(services, options as SetupPortsOptions<string>, 'vitest');
    held = current;
    if (typeof project?.provide === 'function') {
      project.provide('portlease', { ports: current.ports, leases: current.leases });
    }
    return async function portleaseGlobalTeardown() {
      if (held === current) held = undefined;
      await current.close();
    };
  };
}
