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
import type { ReserveInput } from './request.js';
import type { HeldLease, HomeOptions, Lease, LeaseFilter, ScopeOptions } from './types.js';

const registry = (options?: { home?: string | undefined }): Registry => openRegistry({ home: options?.home });

/**
 * Reserves a port: a named lease (`reserve('postgres')`) or an anonymous one
 * (`reserve()` / `reserve({ label })`).
 *
 * A named lease is sticky: the same `app/instance/service` gets its last port back
 * whenever that is free, and its first port is a stable hash of the name into the range.
 * Asking again for a live name returns the same lease when it is durable, ttl-only or
 * owned by this process, and fails with `E_SERVICE_LEASED` when another live process
 * owns it. By default the lease is owned by the calling process and reclaimed once that
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
 * const fixed = await reserve('web', { port: [3000, 3001] });
 * await tmp.release();
 */
export function reserve(service?: string, options?: ReserveInput): Promise<HeldLease>;
export function reserve(options: ReserveInput): Promise<HeldLease>;
export async function reserve(first?: string | ReserveInput, second?: ReserveInput): Promise<HeldLease> {
  const options = typeof first === 'object' && first !== null ? first : second;
  return registry(options).reserve(first as string, second);
}

/**
 * Releases leases: a lease, its id, a service name (of the current app and instance), or
 * a filter (`{ app }`, `{ port }`, …; an empty filter is refused). Sticky memory stays:
 * reserving the name again gets the same port back when it is free.
 *
 * @returns how many live leases were released.
 * @example
 * await release('postgres');
 * await release({ app: 'shop', instance: 'feature-x' });
 */
export async function release(target: ReleaseTarget, options?: ScopeOptions): Promise<number> {
  // A filter may name its registry itself: release({ app: 'shop', home }).
  const home = options?.home ?? (typeof target === 'object' && target !== null && 'home' in target ? target.home : undefined);
  return registry({ home }).release(target, options);
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
  return registry(options).renew(target, ttl);
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
  return registry(options).lookup(service, options);
}

/**
 * Waits until another process has reserved `service`, polling the registry.
 *
 * @throws {PortleaseError} `E_TIMEOUT`
 * @example
 * const { port } = await waitFor('api', { timeout: 30_000 });
 */
export async function waitFor(service: string, options?: WaitOptions): Promise<Lease> {
  return registry(options).waitFor(service, options);
}

/**
 * Live leases (all apps unless filtered), sorted by id, without taking the lock.
 *
 * @example
 * for (const lease of await list({ app: 'shop' })) console.log(lease.service, lease.port);
 */
export async function list(filter?: LeaseFilter): Promise<Lease[]> {
  return registry(filter).list(filter);
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
  return registry(options).prune(options);
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
  return registry(options).withPort(fn, options);
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
  return registry(options).listen(server, service, options);
}

/**
 * Whether a port is leased in the registry and whether the OS has it bound.
 *
 * @example
 * const { free, holder } = await checkPort(24817);
 */
export async function checkPort(port: number, options?: HomeOptions): Promise<PortCheck> {
  return registry(options).checkPort(port);
}

/**
 * Reports on the registry without changing it: path, modes, lock state, live, dead and
 * expired leases, and problems found. What `portlease doctor` prints.
 *
 * @example
 * const { problems } = await inspect();
 */
export async function inspect(options?: HomeOptions): Promise<RegistryReport> {
  return registry(options).inspect();
}

export { openRegistry };
export type { Registry, WithPortOptions };
export { getOsFreePort, probePort, PROBE_HOSTS, type ProbeResult } from './probe.js';
export { PortleaseError, isPortleaseError, ERROR_CODES, type ErrorCode } from './errors.js';
export { resolveScope, type Scope } from './identity.js';
export { parseDuration, parseRange, formatDuration } from './validate.js';
export { DEFAULT_RANGE } from './defaults.js';
export { urlOf, hostOf, appHostOf, dnsLabel, URL_PORT, type UrlOptions } from './url.js';
export type { ContextOptions } from './registry.js';
export type { LockTimings } from './lock.js';
export type { PortCheck, RegistryReport, ReleaseTarget, WaitOptions, ListenOptions, ReserveInput };
export type { HeldLease, HomeOptions, Lease, LeaseFilter, Owner, PortRange, ReserveOptions, ScopeOptions, OsFreePortOptions } from './types.js';
