/**
 * The runner-neutral half of a global setup: reserve one anonymous lease per service,
 * owned by the runner's main process, publish the ports through the environment, start
 * the user's servers, and undo all of it on close. Anonymous, because two concurrent
 * runs of the same project must each get their own ports (a named lease would be held
 * by the first run and refused to the second).
 */
import { typeError } from '../errors.js';
import { openRegistry, type HeldLease, type Lease, type ReserveOptions } from '../index.js';
import type { HomeOptions } from '../types.js';
import { checkServices, portsEnv, readPorts } from './services.js';

/** Something to run at teardown; its result is awaited. */
export type Teardown = () => unknown;

/** Options of `setupPorts()` for vitest and jest. */
export interface SetupPortsOptions<Name extends string = string> extends HomeOptions, Pick<ReserveOptions, 'range' | 'exclude' | 'app' | 'instance'> {
  /**
   * Runs once every port is reserved, in the runner's main process: start the servers
   * the tests talk to here. May return a teardown, run before the ports are released.
   */
  onReady?: (ports: Readonly<Record<Name, number>>, leases: Readonly<Record<Name, Lease>>) => undefined | Teardown | Promise<undefined | Teardown>;
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
  const { onReady, env = true, home, ...reserveOptions } = options;
  if (onReady !== undefined && typeof onReady !== 'function') {
    throw typeError(`onReady must be a function, got ${typeof onReady}`);
  }
  // The registry the leases are reserved in and released from: `home`, else the default one.
  const registry = openRegistry({ home });
  const held: HeldLease[] = [];
  const restoreEnv = new Map<string, string | undefined>();
  const setEnv = (name: string, value: string): void => {
    if (!restoreEnv.has(name)) restoreEnv.set(name, process.env[name]);
    process.env[name] = value;
  };
  let teardown: Teardown | undefined;
  const close = async (): Promise<void> => {
    let teardownError: unknown;
    let failed = false;
    try {
      if (teardown) await teardown();
    } catch (error) {
      teardownError = error;
      failed = true;
    }
    {
      teardown = undefined;
      // All in one transaction. When that fails (registry trouble), anything left is
      // reclaimed once this process exits.
      const failures: unknown[] = [];
      const leases = held.splice(0);
      if (leases.length > 0) await registry.release(leases).catch((error: unknown) => failures.push(error));
      for (const [name, value] of restoreEnv) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      restoreEnv.clear();
      // The teardown's own failure first: it is what the user's code did.
      if (failed) throw teardownError;
      if (failures.length > 0) throw failures[0];
    }
  };

  try {
    const ports: Record<string, number> = {};
    const leases: Record<string, Lease> = {};
    // One transaction for all of them: one read, one probe pass, one durable write.
    const granted = await registry.reserveAll(
      names.map((name) => ({ label: labelFor(runner, name) })),
      reserveOptions,
    );
    held.push(...granted);
    for (const [index, name] of names.entries()) {
      ports[name] = granted[index]!.port;
      leases[name] = { ...granted[index]! };
    }
    if (env) {
      // Merged with what an earlier setup in this process published (jest runs one
      // globalSetup per project), so every project's tests still find their ports.
      const published = { ...readPorts(process.env), ...ports };
      for (const [name, value] of Object.entries(portsEnv(published))) setEnv(name, value);
      // Workers find the same registry the ports came from.
      if (home !== undefined) setEnv('PORTLEASE_HOME', home);
    }
    if (onReady) {
      const result = await onReady(ports, leases);
      if (typeof result === 'function') teardown = result as Teardown;
    }
    return { ports, leases, home, close };
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
