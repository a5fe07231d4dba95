/** A registry bound to one home: the functions every surface (CLI, HTTP, test helpers) calls. */
import type { Server } from 'node:net';
import { inspectIn, checkPortIn, type PortCheck, type RegistryReport } from './inspect.js';
import { listIn, lookupIn, pruneIn, releaseIn, renewIn, toFilter, waitForIn, type ReleaseTarget, type WaitOptions } from './leases.js';
import { listenWith, type ListenOptions } from './listen.js';
import { createContext, type ContextOptions } from './registry.js';
import { reserveIn, type ReserveInput } from './reserve.js';
import { checkKnownKeys } from './validate.js';
import type { HeldLease, Lease, LeaseFilter, ScopeOptions } from './types.js';

/** Options of `withPort()`. */
export interface WithPortOptions extends ReserveInput {
  /** Name the lease (a named lease) instead of an anonymous one. */
  service?: string;
}

/** The library's functions bound to one registry. */
export interface Registry {
  /** The registry directory. */
  readonly home: string;
  /** The registry: a directory of revision files (`rev-<N>.json`), the newest of which is current. */
  readonly file: string;
  reserve(service?: string, options?: ReserveInput): Promise<HeldLease>;
  reserve(options: ReserveInput): Promise<HeldLease>;
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
  const release = async (target: ReleaseTarget, scope: ScopeOptions = {}) => releaseIn(ctx, toFilter(target, scope, ctx.env));
  const releaseLease = (lease: Lease) => releaseIn(ctx, { id: lease.id, port: lease.port });
  const reserve = ((first?: unknown, second?: unknown) => reserveIn(ctx, first, second, releaseLease)) as Registry['reserve'];
  return {
    home: ctx.paths.dir,
    file: ctx.paths.registry,
    reserve,
    release,
    renew: (target, ttl) => renewIn(ctx, target, ttl),
    lookup: (service, scope) => lookupIn(ctx, service, scope),
    waitFor: (service, wait) => waitForIn(ctx, service, wait),
    list: (filter) => listIn(ctx, filter),
    async prune(prune = {}) {
      checkKnownKeys(prune, ['dryRun', 'home'], 'prune()');
      return pruneIn(ctx, prune.dryRun ?? false);
    },
    async withPort(fn, withOptions = {}) {
      const { service, ...rest } = withOptions;
      const lease = await reserve(service, rest);
      try {
        return await fn(lease.port, lease);
      } finally {
        await lease.release();
      }
    },
    listen: (server, service, listenOptions) => listenWith((name, opts) => reserve(name, opts), server, service, listenOptions),
    checkPort: (port) => checkPortIn(ctx, port),
    inspect: () => inspectIn(ctx),
  };
}
