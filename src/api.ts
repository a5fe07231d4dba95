/** A registry bound to one home: the functions every surface (CLI, HTTP, test helpers) calls. */
import type { Server } from 'node:net';
import { inspectIn, checkPortIn, type PortCheck, type RegistryReport } from './inspect.js';
import { listIn, lookupIn, pruneIn, releaseIn, renewIn, toFilter, waitForIn, type ReleaseTarget, type WaitOptions } from './leases.js';
import { listenWith, type ListenOptions } from './listen.js';
import { createContext, type ContextOptions } from './registry.js';
import { reserveAllIn, reserveIn, type ServiceInput } from './reserve.js';
import { typeError } from './errors.js';
import { checkKnownKeys } from './validate.js';
import type { HeldLease, Lease, LeaseFilter, ReserveOptions, ScopeOptions } from './types.js';

/** Options of `withPort()`. */
export interface WithPortOptions extends ReserveOptions {
  /** Name the lease (a named lease) instead of an anonymous one. */
  service?: string;
}

/** The library's functions bound to one registry. */
export interface Registry {
  /** The registry directory. */
  readonly home: string;
  /** The registry: a directory of revision files (`rev-<N>.json`), the newest of which is current. */
  readonly file: string;
  reserve(service?: string, options?: ReserveOptions): Promise<HeldLease>;
  reserve(options: ReserveOptions): Promise<HeldLease>;
  reserveAll(services: readonly ServiceInput[], options?: ReserveOptions): Promise<HeldLease[]>;
  release(target: ReleaseTarget, options?: ScopeOptions): Promise<number>;
  renew(target: Lease | number, ttl?: number | string): Promise<Lease>;
  lookup(service: string, options?: ScopeOptions): Promise<Lease | undefined>;
  waitFor(service: string, options?: WaitOptions): Promise<Lease>;
  list(filter?: LeaseFilter): Promise<Lease[]>;
  prune(options?: { dryRun?: boolean }): Promise<Lease[]>;
  withPort<T>(fn: (port: number, lease: Lease) => T | Promise<T>, options?: WithPortOptions): Promise<T>;
  listen(server: Server, service?: string, options?: ListenOptions): Promise<HeldLease>;
  checkPort(port: number): Promise<PortCheck>;
  inspect(): Promise<RegistryReport>;
}

/**
 * Opens a registry: the same functions as the top-level ones, bound to one home. Handy
 * for tests (a temp home) and for embedding.
 *
 * @example
 * const registry = openRegistry({ home: await mkdtemp(join(tmpdir(), 'ports-')) });
 * const { port } = await registry.reserve('db');
 */
export function openRegistry(options: ContextOptions = {}): Registry {
  checkKnownKeys(options, ['home', 'env', 'lock'], 'openRegistry()');
  const ctx = createContext(options);
  // `home` selects a registry: on one already opened, a per-call home would be silently
  // ignored (a write to the wrong registry), so it is refused.
  const bound = <T>(value: T, call: string): T => {
    if (value !== null && typeof value === 'object' && (value as { home?: unknown }).home !== undefined) {
      throw typeError(`${call}: home belongs to openRegistry({ home }), not to a call on an opened registry (this one is ${ctx.paths.dir})`);
    }
    return value;
  };
  const release = async (target: ReleaseTarget, scope: ScopeOptions = {}) =>
    releaseIn(ctx, toFilter(bound(target, 'release()'), bound(scope, 'release()'), ctx.env));
  const reserve = (async (first?: unknown, second?: unknown) => reserveIn(ctx, bound(first, 'reserve()'), bound(second, 'reserve()'))) as Registry['reserve'];
  return {
    home: ctx.paths.dir,
    file: ctx.paths.registry,
    reserve,
    reserveAll: async (services, shared) => reserveAllIn(ctx, services, bound(shared, 'reserveAll()')),
    release,
    renew: (target, ttl) => renewIn(ctx, target, ttl),
    lookup: async (service, scope) => lookupIn(ctx, service, bound(scope, 'lookup()')),
    waitFor: async (service, wait) => waitForIn(ctx, service, bound(wait, 'waitFor()')),
    list: async (filter) => listIn(ctx, bound(filter, 'list()')),
    async prune(prune = {}) {
      checkKnownKeys(bound(prune, 'prune()'), ['dryRun', 'home'], 'prune()');
      return pruneIn(ctx, prune.dryRun ?? false);
    },
    async withPort(fn, withOptions = {}) {
      const { service, ...rest } = bound(withOptions, 'withPort()');
      const lease = await reserve(service, rest);
      try {
        return await fn(lease.port, lease);
      } finally {
        await lease.release();
      }
    },
    listen: async (server, service, listenOptions) => listenWith((name, opts) => reserve(name, opts), server, service, bound(listenOptions, 'listen()')),
    checkPort: (port) => checkPortIn(ctx, port),
    inspect: () => inspectIn(ctx),
  };
}
