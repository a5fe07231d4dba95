/**
 * The runner-neutral half of a global setup: reserve one anonymous lease per service,
 * owned by the runner's main process, publish the ports through the environment, start
 * the user's servers, and undo all of it on close. Anonymous, because two concurrent
 * runs of the same project must each get their own ports (a named lease would be held
 * by the first run and refused to the second).
 */
import { typeError } from '../errors.js';
import { reserve, type HeldLease, type Lease, type ReserveOptions } from '../index.js';
import { checkServices, portsEnv, readPorts } from './services.js';

/** Something to run at teardown; its result is awaited. */
export type Teardown = () => unknown;

/** Options of `setupPorts()` for vitest and jest. */
export interface SetupPortsOptions<Name extends string = string> extends Pick<ReserveOptions, 'home' | 'range' | 'exclude' | 'app' | 'instance'> {
  /**
   * Runs once every port is reserved, in the runner's main process: start the servers
   * the tests talk to here. May return a teardown, run before the ports are released.
   */
  onReady?: (
    ports: Readonly<Record<Name, number>>,
    leases: Readonly<Record<Name, Lease>>,
  ) => void | Teardown | Promise<void | Teardown>;
  /**
   * Publish the ports as `PORTLEASE_PORT_<NAME>` and `PORTLEASE_PORTS` in `process.env`
   * (workers and child processes inherit them). Jest's test-side `port()` needs this.
   * @default true
   */
  env?: boolean;
}

/** Ports held for one run of a test runner. */
export interface HeldPorts {
  /** Port of each service. */
  ports: Record<string, number>;
  /** Lease of each service, as plain data. */
  leases: Record<string, Lease>;
  /** The `home` option the leases were reserved with, if any. */
  home: string | undefined;
  /** Runs the `onReady` teardown, releases the leases and restores the environment. */
  close(): Promise<void>;
}

/**
 * Reserves a lease per service and runs `onReady`. On any failure, releases what it
 * already reserved before rethrowing, so a failed setup leaves nothing behind.
 *
 * @example
 * const held = await holdPorts(['db'], {}, 'vitest');
 * held.ports.db; // 2xxxx
 * await held.close();
 */
export async function holdPorts(services: unknown, options: SetupPortsOptions<string>, runner: 'vitest' | 'jest'): Promise<HeldPorts> {
  const names = checkServices(services);
  const { onReady, env = true, ...reserveOptions } = options;
  if (onReady !== undefined && typeof onReady !== 'function') {
    throw typeError(`onReady must be a function, got ${typeof onReady}`);
  }
  const held: HeldLease[] = [];
  const restoreEnv = new Map<string, string | undefined>();
  const setEnv = (name: string, value: string): void => {
    if (!restoreEnv.has(name)) restoreEnv.set(name, process.env[name]);
    process.env[name] = value;
  };
  let teardown: Teardown | undefined;
  const close = async (): Promise<void> => {
    try {
      if (teardown) await teardown();
    } finally {
      teardown = undefined;
      // One at a time: in parallel they would only queue on the registry lock. Release
      // even when one release fails (registry trouble): the rest still go, and anything
      // left is reclaimed once this process exits.
      const failures: unknown[] = [];
      for (const lease of held.splice(0)) await lease.release().catch((error: unknown) => failures.push(error));
      for (const [name, value] of restoreEnv) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      restoreEnv.clear();
      if (failures.length > 0) throw failures[0];
    }
  };

  try {
    const ports: Record<string, number> = {};
    const leases: Record<string, Lease> = {};
    // One at a time: each reserve is one short locked write, and failing early keeps
    // the cleanup small.
    for (const name of names) {
      const lease = await reserve({ ...reserveOptions, label: labelFor(runner, name) });
      held.push(lease);
      ports[name] = lease.port;
      leases[name] = { ...lease };
    }
    if (env) {
      // Merged with what an earlier setup in this process published (jest runs one
      // globalSetup per project), so every project's tests still find their ports.
      const published = { ...readPorts(process.env), ...ports };
      for (const [name, value] of Object.entries(portsEnv(published))) setEnv(name, value);
      // Workers find the same registry the ports came from.
      if (reserveOptions.home !== undefined) setEnv('PORTLEASE_HOME', reserveOptions.home);
    }
    if (onReady) {
      const result = await onReady(ports, leases);
      if (typeof result === 'function') teardown = result as Teardown;
    }
    return { ports, leases, home: reserveOptions.home, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

// A label holds at most 200 UTF-16 units; a service name may have 200 characters.
const LABEL_MAX = 200;

/** `vitest db`: the display label of a setup's lease, cut between characters to fit. */
function labelFor(runner: string, name: string): string {
  let label = '';
  for (const char of `${runner} ${name}`) {
    if (label.length + char.length > LABEL_MAX) break;
    label += char;
  }
  return label;
}
