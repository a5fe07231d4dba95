/**
 * portlease: ports that never collide. Every process of a user coordinates through one
 * lock-protected registry in `~/.portlease`; no daemon.
 *
 * @packageDocumentation
 */
import type { Server } from 'node:net';
import { openRegistry, type Registry, type WithPortOptions } from './api.js';
import type { PortCheck, RegistryReport } from './inspect.js';
import type { ReleaseTarget, WaitOptions } from './leases.js';
import type { ListenOptions } from './listen.js';
import type { ServiceInput } from './reserve.js';
import type { HeldLease, HomeOptions, Lease, LeaseFilter, ReserveOptions, ScopeOptions } from './types.js';
import { checkKnownKeys } from './validate.js';

const registry = (options?: { home?: string | undefined }): Registry => openRegistry({ home: options?.home });

/**
 * Splits the registry-selecting `home` off a call's options: the top-level functions are
 * calls on the registry that `home` names, and an opened registry refuses `home` per call
 * (it would silently go to the wrong registry otherwise).
 */
function split<T>(options: T): [Registry, T] {
  if (options === null || typeof options !== 'object' || !('home' in options)) return [registry(), options];
  const { home, ...rest } = options as T & { home?: string };
  return [registry({ home }), rest as T];
}

/**
 * Reserves a port: a named lease (`reserve('postgres')`) or an anonymous one
 * (`reserve()` / `reserve({ label })`).
 *
 * A named lease is sticky: the same `app/instance/service` gets its last port back
 * whenever that is free, and its first port is a stable hash of the name into the range.
 * Asking again for a live name returns the same lease when it is durable, ttl-only,
 * owned by this process or by the process the call names (`owner: pid`), and fails with
 * `E_SERVICE_LEASED` when another live process owns it. A re-ask that chooses a lifetime
 * (`owner`, `ttl` or `durable` given) sets it on that lease (a `ttl` renews it). By default the lease is owned by the calling process and reclaimed once that
 * process is dead. The port is free on `::`, `0.0.0.0`, `127.0.0.1` and `::1` when
 * returned, and the lease is on disk.
 *
 * The returned lease is plain data with a non-enumerable `release()` and
 * `Symbol.asyncDispose` (`await using lease = await reserve('x')`).
 *
 * @param service Service name: any string that is not blank after trimming (`feature/login`, `my app`, `café`), at most 200 characters, without control characters, line separators or bidi controls; stored trimmed. Omit for an anonymous lease.
 * @throws {PortleaseError} `E_SERVICE_LEASED`, `E_PORT_LEASED`, `E_PORT_BUSY`, `E_NO_PORT`, `E_LOCK_TIMEOUT`, …
 * @throws {TypeError | RangeError} on bad input, before any I/O.
 * @example
 * import { reserve } from 'portlease';
 *
 * const db = await reserve('postgres');            // { port: 24817, … }, sticky
 * const tmp = await reserve({ label: 'fixture' });  // anonymous
 * const fixed = await reserve('web', { port: [3000, 3001] }); // only these (E_PORT_BUSY otherwise)
 * const near = await reserve('admin', { prefer: 3000 });       // 3000 if free, else from the range
 * await tmp.release();
 */
export function reserve(service?: string, options?: ReserveOptions): Promise<HeldLease>;
export function reserve(options: ReserveOptions): Promise<HeldLease>;
export async function reserve(first?: string | ReserveOptions, second?: ReserveOptions): Promise<HeldLease> {
  if (typeof first === 'object' && first !== null) {
    const [target, options] = split(first);
    return target.reserve(options);
  }
  const [target, options] = split(second);
  return target.reserve(first, options);
}

/**
 * Reserves several named leases at once: one read, one probe pass and one durable write
 * instead of one locked transaction each — all or nothing, with the same rules as
 * `reserve()` one by one (a failure names the service). Options apply to every service;
 * an item `{ service, …options }` adds its own. The leases come back in the order asked.
 *
 * @throws {PortleaseError} as `reserve()`; nothing is reserved when one service fails.
 * @throws {TypeError | RangeError} on bad input (a service asked twice included), before any I/O.
 * @example
 * import { reserveAll } from 'portlease';
 *
 * const [web, api, db] = await reserveAll(['web', 'api', { service: 'db', prefer: 5432 }]);
 */
export async function reserveAll(services: readonly ServiceInput[], options?: ReserveOptions): Promise<HeldLease[]> {
  const [target, shared] = split(options);
  return target.reserveAll(services, shared);
}

/**
 * Releases leases: a lease, its id, a service name (of the current app and instance), a
 * filter (`{ app }`, `{ port }`, …; an empty filter is refused), or a list of leases and ids
 * (one transaction for all). Sticky memory stays: reserving the name again gets the same
 * port back when it is free.
 *
 * @returns how many live leases were released.
 * @example
 * await release('postgres');
 * await release({ app: 'shop', instance: 'feature-x' });
 */
export async function release(target: ReleaseTarget, options?: ScopeOptions): Promise<number> {
  // A filter may name its registry itself: release({ app: 'shop', home }).
  if (typeof target === 'object' && target !== null && !('release' in target) && 'home' in target && options?.home === undefined) {
    const [bound, filter] = split(target as LeaseFilter);
    return bound.release(filter);
  }
  const [bound, scope] = split(options);
  return bound.release(target, scope);
}

/**
 * Extends a ttl lease from now by `ttl` (default: the ttl it was made with).
 *
 * @throws {PortleaseError} `E_NOT_FOUND` when the lease is gone.
 * @example
 * const lease = await reserve('preview', { owner: false, ttl: '1h' });
 * setInterval(() => renew(lease), 30 * 60_000).unref();
 */
export async function renew(target: Lease | number, ttl?: number | string, options?: HomeOptions): Promise<Lease> {
  checkKnownKeys(options ?? {}, ['home'], 'renew()');
  return split(options)[0].renew(target, ttl);
}

/**
 * The live lease of a service in the current app and instance (or those given), without
 * taking the lock.
 *
 * @example
 * const api = await lookup('api', { app: 'shop' });
 * if (api) fetch(`http://127.0.0.1:${api.port}/health`);
 */
export async function lookup(service: string, options?: ScopeOptions): Promise<Lease | undefined> {
  const [bound, scope] = split(options);
  return bound.lookup(service, scope);
}

/**
 * Waits until another process has reserved `service`, polling the registry.
 *
 * @throws {PortleaseError} `E_TIMEOUT`
 * @example
 * const { port } = await waitFor('api', { timeout: 30_000 });
 */
export async function waitFor(service: string, options?: WaitOptions): Promise<Lease> {
  const [bound, rest] = split(options);
  return bound.waitFor(service, rest);
}

/**
 * Live leases (all apps unless filtered), sorted by id, without taking the lock.
 *
 * @example
 * for (const lease of await list({ app: 'shop' })) console.log(lease.service, lease.port);
 */
export async function list(filter?: LeaseFilter): Promise<Lease[]> {
  const [bound, rest] = split(filter);
  return bound.list(rest);
}

/**
 * Removes expired leases and those whose owner died (unless their port is still bound by
 * a surviving process). Every write does this anyway; `prune()` forces it.
 *
 * @returns the removed leases (with `dryRun`, those that would be removed).
 * @example
 * const removed = await prune();
 */
export async function prune(options?: HomeOptions & { dryRun?: boolean }): Promise<Lease[]> {
  const [bound, rest] = split(options);
  return bound.prune(rest);
}

/**
 * Runs `fn` with a reserved port and releases the lease afterwards, even on error.
 *
 * @example
 * const body = await withPort(async (port) => {
 *   const server = http.createServer(handler).listen(port);
 *   try { return await (await fetch(`http://127.0.0.1:${port}`)).text(); } finally { server.close(); }
 * });
 */
export async function withPort<T>(fn: (port: number, lease: Lease) => T | Promise<T>, options?: WithPortOptions): Promise<T> {
  const [bound, rest] = split(options);
  return bound.withPort(fn, rest);
}

/**
 * Binds a `net.Server` / `http.Server` on a leased port, retrying with another port when
 * a program outside portlease takes the port before the bind (EADDRINUSE). The lease is
 * released when the server closes.
 *
 * @example
 * const server = http.createServer(app);
 * const { port } = await listen(server, 'web');
 */
export async function listen(server: Server, service?: string, options?: ListenOptions): Promise<HeldLease> {
  const [bound, rest] = split(options);
  return bound.listen(server, service, rest);
}

/**
 * Whether a port is leased in the registry and whether the OS has it bound.
 *
 * @example
 * const { free, holder } = await checkPort(24817);
 */
export async function checkPort(port: number, options?: HomeOptions): Promise<PortCheck> {
  checkKnownKeys(options ?? {}, ['home'], 'checkPort()');
  return split(options)[0].checkPort(port);
}

/**
 * Reports on the registry without changing it: path, modes, lock state, live, dead and
 * expired leases, and problems found. What `portlease doctor` prints.
 *
 * @example
 * const { problems } = await inspect();
 */
export async function inspect(options?: HomeOptions): Promise<RegistryReport> {
  checkKnownKeys(options ?? {}, ['home'], 'inspect()');
  return split(options)[0].inspect();
}

export { openRegistry };
export type { Registry, WithPortOptions };
export { getOsFreePort } from './probe.js';
export { PortleaseError, isPortleaseError, type ErrorCode } from './errors.js';
export { urlOf, type UrlOptions } from './url.js';
export type { ContextOptions } from './registry.js';
export type { PortCheck, RegistryReport, ReleaseTarget, WaitOptions, ListenOptions, ServiceInput };
export type { HeldLease, HomeOptions, Lease, LeaseFilter, Owner, PortRange, ReserveOptions, ScopeOptions, OsFreePortOptions } from './types.js';
