/**
 * Where a jest worker keeps its leases. Jest gives every test file a fresh sandbox (new
 * globals, new module registry), so neither a module variable nor `globalThis` outlives
 * one file. Core modules are the exception: jest hands the sandbox the worker's real
 * `worker_threads` object, one per worker thread or process, which is exactly "per
 * worker". In an in-band run that is jest's main process, where the global teardown
 * finds the same store and releases it.
 */
import workerThreads from 'node:worker_threads';
import type { WorkerLeases } from './worker-lease.js';

const CACHE = Symbol.for('portlease.jest.workerLeases');

/**
 * This worker's lease store, created on first use.
 *
 * @example
 * workerLeases().size; // leases this worker holds, by label
 */
export function workerLeases(): WorkerLeases {
  const holder = workerThreads as unknown as { [CACHE]?: WorkerLeases };
  let cache = holder[CACHE];
  if (!cache) {
    cache = new Map();
    // Non-enumerable: invisible to anyone listing the module's exports.
    Object.defineProperty(holder, CACHE, { value: cache, configurable: true });
  }
  return cache;
}
