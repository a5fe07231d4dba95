/**
 * `portlease/vitest`, the test side: ports for vitest that never collide, also across
 * concurrent vitest processes (monorepo runners, two terminals, CI shards on one machine).
 *
 * - `port(name)` reads, through `inject`, the ports that `setupPorts([...])` from
 *   `portlease/vitest/setup` reserved in the globalSetup.
 * - `workerPort()` gives each worker its own port, unique across every worker of every
 *   vitest process on the machine, because the registry hands it out, not a worker id.
 */
import { inject } from 'vitest';
import type { Lease } from '../index.js';
import { pickPort, readPorts } from './services.js';
import { releaseWorkerLeases, workerLease as cachedLease, type WorkerLeases, type WorkerPortOptions } from './worker-lease.js';

export type { WorkerPortOptions };

/** What `setupPorts()` of `portlease/vitest/setup` provides to tests under the `portlease` key. Plain data. */
export interface PortleaseContext {
  /** Port of each service. */
  ports: Record<string, number>;
  /** Lease of each service. */
  leases: Record<string, Lease>;
}

declare module 'vitest' {
  // Types `inject('portlease')`; ships in this entry's .d.ts, so importing anything
  // from `portlease/vitest` is enough.
  export interface ProvidedContext {
    portlease: PortleaseContext;
  }
}

/**
 * The port of a service reserved by `setupPorts()`, in a test file.
 *
 * @example
 * import { port } from 'portlease/vitest';
 * const res = await fetch(`http://127.0.0.1:${port('api')}/health`);
 */
export function port(service: string): number {
  let provided: PortleaseContext | undefined;
  try {
    provided = inject('portlease');
  } catch {
    // Outside a vitest worker: fall through to the environment.
  }
  // Env vars set in globalSetup reach the workers too: a fallback when `provide` did not.
  return pickPort(provided?.ports ?? readPorts(process.env), service, 'vitest');
}

const CACHE = Symbol.for('portlease.vitest.workerLeases');
const HOOKED = Symbol.for('portlease.vitest.workerCleanup');

interface VitestWorkerState {
  onCleanup?: (listener: () => unknown) => void;
}

type WorkerGlobal = typeof globalThis & {
  [CACHE]?: WorkerLeases;
  [HOOKED]?: boolean;
  __vitest_worker__?: VitestWorkerState;
};

/**
 * The lease of the current worker for `label`: reserved on first use, then the same lease
 * for every later call in this worker. Unique across all workers of all vitest processes
 * (forks and threads pools). Released when vitest stops the worker; if the worker dies
 * instead, the registry reclaims it once its process is gone. `options` (home, range, …)
 * only count on the first call for a label.
 *
 * @default label 'vitest worker'
 * @example
 * const lease = await workerLease();
 * lease.port; // this worker's port
 */
export function workerLease(label = 'vitest worker', options: WorkerPortOptions = {}): Promise<Lease> {
  // The real globalThis of the worker thread or fork (vitest does not sandbox globals in
  // the forks and threads pools): shared by every test file the worker runs.
  const scope = globalThis as WorkerGlobal;
  scope[CACHE] ??= new Map();
  const cache = scope[CACHE];
  return cachedLease(cache, label, options, () => {
    if (scope[HOOKED]) return;
    // vitest runs its workers' cleanup listeners when it stops a worker, before it
    // terminates the thread or kills the fork. Internal but present in vitest 3 and 4;
    // without it, the lease lives until its owner process exits.
    const onCleanup = scope.__vitest_worker__?.onCleanup;
    if (typeof onCleanup === 'function') {
      scope[HOOKED] = true;
      onCleanup(() => {
        scope[HOOKED] = false;
        return releaseWorkerLeases(cache);
      });
    }
  });
}

/**
 * The port of the current worker (see {@link workerLease}): start one server per worker
 * on it without ever colliding with another worker or another vitest run.
 *
 * @default label 'vitest worker'
 * @example
 * import { workerPort } from 'portlease/vitest';
 * beforeAll(async () => {
 *   server.listen(await workerPort());
 * });
 */
export async function workerPort(label = 'vitest worker', options: WorkerPortOptions = {}): Promise<number> {
  return (await workerLease(label, options)).port;
}
