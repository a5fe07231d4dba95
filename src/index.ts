/**
 * portlease: ports that never collide. Every process of a user coordinates through one
 * lock-protected registry in `~/.portlease`; no daemon.
 *
 * The top-level functions are the methods of the default registry (the one of
 * `PORTLEASE_HOME`, else `~/.portlease`): their documentation is that of {@link Registry}.
 *
 * @packageDocumentation
 */
import { openRegistry, type Registry, type WithPortOptions } from './api.js';
import type { PortCheck, RegistryReport } from './inspect.js';
import type { ReleaseTarget, WaitOptions } from './leases.js';
import type { ListenOptions } from './listen.js';
import { resolvePaths } from './paths.js';
import type { ServiceInput } from './reserve.js';

let opened: { home: string; registry: Registry } | undefined;

/**
 * The registry of `PORTLEASE_HOME`, else `~/.portlease`, read at each call (a test or a
 * tool may set PORTLEASE_HOME after import): opened on first use and again when that
 * changes. Its env is `process.env` and its cwd `process.cwd()`, both read at each call.
 */
function defaultRegistry(): Registry {
  const home = resolvePaths(undefined, process.env).dir;
  if (opened?.home !== home) opened = { home, registry: openRegistry() };
  return opened.registry;
}

/** A top-level function: the method `name` of the default registry of the moment. */
function method<K extends keyof Registry>(name: K): Registry[K] {
  return (async (...args: unknown[]) => {
    const registry = defaultRegistry();
    return Reflect.apply(registry[name] as (...a: unknown[]) => unknown, registry, args);
  }) as Registry[K];
}

export const reserve: Registry['reserve'] = method('reserve');
export const reserveAll: Registry['reserveAll'] = method('reserveAll');
export const release: Registry['release'] = method('release');
export const renew: Registry['renew'] = method('renew');
export const lookup: Registry['lookup'] = method('lookup');
export const waitFor: Registry['waitFor'] = method('waitFor');
export const list: Registry['list'] = method('list');
export const prune: Registry['prune'] = method('prune');
export const withPort: Registry['withPort'] = method('withPort');
export const listen: Registry['listen'] = method('listen');
export const checkPort: Registry['checkPort'] = method('checkPort');
export const inspect: Registry['inspect'] = method('inspect');

export { openRegistry };
export type { Registry, WithPortOptions };
export { getOsFreePort } from './probe.js';
export { PortleaseError, isPortleaseError, type ErrorCode } from './errors.js';
export { urlOf, type UrlOptions } from './url.js';
export type { ContextOptions } from './registry.js';
export type { PortCheck, RegistryReport, ReleaseTarget, WaitOptions, ListenOptions, ServiceInput };
export type { HeldLease, Lease, LeaseFilter, Owner, PortRange, ReserveOptions, ScopeOptions, OsFreePortOptions } from './types.js';
