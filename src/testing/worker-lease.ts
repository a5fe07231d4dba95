/**
 * Per-worker leases. Uniqueness comes from the registry, never from worker ids: ids such
 * as VITEST_POOL_ID or JEST_WORKER_ID repeat across concurrent runner processes and
 * changed base between vitest versions. Each lease is anonymous and owned by the worker's
 * process, so a worker that dies has its lease reclaimed at the registry's next write.
 */
import { typeError } from '../errors.js';
import { openRegistry, type HeldLease, type ReserveOptions } from '../index.js';
import type { HomeOptions } from '../types.js';

/** Options of `workerPort()`: `home` selects the registry (else the default one), the rest are `reserve()`'s. */
export type WorkerPortOptions = HomeOptions & Pick<ReserveOptions, 'range' | 'exclude' | 'app' | 'instance'>;

/** Leases of one worker by label. Lives wherever "one worker" is visible to the runner. */
export type WorkerLeases = Map<string, Promise<HeldLease>>;

/**
 * The worker's lease for `label`, reserved on first use and cached in `cache`.
 * `onCreate` runs once per new lease (to hook its release into the worker's end).
 *
 * @example
 * const lease = await workerLease(cache, 'vitest worker', {});
 */
export function workerLease(cache: WorkerLeases, label: string, options: WorkerPortOptions, onCreate?: (lease: HeldLease) => void): Promise<HeldLease> {
  if (typeof label !== 'string' || label === '') {
    throw typeError(`label must be a non-empty string, got ${label === '' ? 'an empty string' : typeof label}`);
  }
  const cached = cache.get(label);
  if (cached) return cached;
  const { home, ...reserveOptions } = options;
  // Opened inside the promise: a bad home is a rejection, as every failure of this call.
  const pending = Promise.resolve()
    .then(() => openRegistry({ home }).reserve({ ...reserveOptions, label }))
    .then(
      (lease) => {
        onCreate?.(lease);
        return lease;
      },
      (error: unknown) => {
        // Do not cache a failure: the next call tries again.
        cache.delete(label);
        throw error;
      },
    );
  cache.set(label, pending);
  return pending;
}

/**
 * Releases every lease in `cache` and empties it. Never throws: at worker exit there is
 * nobody to report to, and the registry reclaims anything left once the process is gone.
 *
 * @example
 * await releaseWorkerLeases(cache);
 */
export async function releaseWorkerLeases(cache: WorkerLeases): Promise<void> {
  const pending = [...cache.values()];
  cache.clear();
  await Promise.allSettled(pending.map(async (lease) => (await lease).release()));
}
