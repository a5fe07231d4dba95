/**
 * `portlease/jest`, the test-side half for jest: read the ports that the global setup
 * (`portlease/jest/setup`) published, and get a port per worker. Built as CommonJS with
 * its dependencies bundled, because jest's module sandbox cannot `require` ESM-only
 * packages such as get-port or lowdb.
 */
import type { Lease } from '../index.js';
import { workerLeases } from './jest-workers.js';
import { pickPort, readPorts } from './services.js';
import { workerLease as cachedLease, type WorkerPortOptions } from './worker-lease.js';

export type { WorkerPortOptions };

/**
 * The port of a service reserved by `setupPorts()` in jest's globalSetup. Jest runs the
 * global setup in its main process before it starts the workers, which inherit the
 * environment it published (`PORTLEASE_PORTS`, `PORTLEASE_PORT_<NAME>`).
 *
 * @example
 * const { port } = require('portlease/jest');
 * const res = await fetch(`http://127.0.0.1:${port('api')}/health`);
 */
export function port(service: string): number {
  return pickPort(readPorts(process.env), service, 'jest');
}

/**
 * The lease of the current jest worker for `label`: reserved on first use, then the same
 * lease in every test file this worker runs. Unique across every worker of every
 * concurrent jest process, because the registry hands it out (JEST_WORKER_ID repeats
 * across runs). Owned by the worker's process: when jest ends the worker, the registry
 * reclaims it at its next write (the global teardown makes one). `options` (home, range,
 * …) only count on the first call for a label.
 *
 * @default label 'jest worker'
 * @example
 * const { workerLease } = require('portlease/jest');
 * const { port } = await workerLease();
 */
export function workerLease(label = 'jest worker', options: WorkerPortOptions = {}): Promise<Lease> {
  return cachedLease(workerLeases(), label, options);
}

/**
 * The port of the current jest worker (see {@link workerLease}).
 *
 * @default label 'jest worker'
 * @example
 * const { workerPort } = require('portlease/jest');
 * beforeAll(async () => {
 *   server.listen(await workerPort());
 * });
 */
export async function workerPort(label = 'jest worker', options: WorkerPortOptions = {}): Promise<number> {
  return (await workerLease(label, options)).port;
}
