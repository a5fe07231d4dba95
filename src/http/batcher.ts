/**
 * Groups the allocations that reach the server at the same time into one registry
 * transaction (one read, one probe pass, one durable write), without making a lone request
 * wait: the first request of an idle server starts at the next turn of the event loop, and
 * whatever arrives while a transaction runs goes into the next one.
 */
import type { HeldLease, Registry, ReserveOptions } from '../index.js';

interface Waiting {
  service: string;
  options: ReserveOptions;
  resolve: (lease: HeldLease) => void;
  reject: (error: unknown) => void;
}

/**
 * Returns a `reserve(service, options)` that batches concurrent calls. `run` serialises
 * the batches with the server's other writes.
 *
 * @example
 * const reserve = reserveBatcher(registry, serial);
 * const [a, b] = await Promise.all([reserve('web', opts), reserve('api', opts)]); // one transaction
 */
export function reserveBatcher(
  registry: Registry,
  run: <T>(task: () => Promise<T>) => Promise<T>,
): (service: string, options: ReserveOptions) => Promise<HeldLease> {
  let waiting: Waiting[] = [];
  let scheduled = false;

  const flush = async (): Promise<void> => {
    const batch = waiting;
    waiting = [];
    scheduled = false;
    if (batch.length === 1) {
      const [only] = batch as [Waiting];
      await registry.reserve(only.service, only.options).then(only.resolve, only.reject);
      return;
    }
    try {
      const leases = await registry.reserveAll(batch.map(({ service, options }) => ({ ...options, service })));
      for (const [index, item] of batch.entries()) item.resolve(leases[index]!);
    } catch {
      // All or nothing failed (a name taken, the same name twice): one by one, so that each
      // request gets its own answer.
      for (const item of batch) await registry.reserve(item.service, item.options).then(item.resolve, item.reject);
    }
  };

  return (service, options) =>
    new Promise<HeldLease>((resolve, reject) => {
      waiting.push({ service, options, resolve, reject });
      if (scheduled) return;
      scheduled = true;
      // The queue runs it after the transaction in flight, if any; requests that arrive
      // until then join this batch.
      setImmediate(() => void run(flush));
    });
}
