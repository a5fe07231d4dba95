/** Everything about existing leases: release, renew, lookup, wait, list, prune. */
import { setTimeout as sleep } from 'node:timers/promises';
import { PortleaseError, typeError, rangeError } from './errors.js';
import { scopeIn } from './identity.js';
import { cachedLiveness, deadReason, reclaimable, snapshot, transaction, type RegistryContext } from './registry.js';
import { copyLease, leaseKey } from './schema.js';
import type { Lease, LeaseFilter, ScopeOptions } from './types.js';
import { checkKnownKeys, checkName, checkPort, describe, parseDuration } from './validate.js';

const FILTER_FIELDS = ['id', 'port', 'app', 'instance', 'service'] as const;
const SCOPE_FIELDS = ['app', 'instance'];

/** Checks a filter and returns a predicate over leases (pure). */
function toPredicate(filter: LeaseFilter, where = 'list()'): (lease: Lease) => boolean {
  if (filter === null || typeof filter !== 'object') throw typeError(`${where} takes a filter object, got ${describe(filter)}`);
  checkKnownKeys(filter, FILTER_FIELDS, where);
  if (filter.id !== undefined && (!Number.isSafeInteger(filter.id) || filter.id < 1))
    throw rangeError(`id must be a positive integer, got ${describe(filter.id)}`);
  if (filter.port !== undefined) checkPort(filter.port);
  // Names are compared as they are stored: trimmed.
  const app = filter.app === undefined ? undefined : checkName(filter.app, 'app');
  const instance = filter.instance === undefined ? undefined : checkName(filter.instance, 'instance');
  const service = filter.service === undefined || filter.service === null ? filter.service : checkName(filter.service, 'service');
  return (lease) =>
    (filter.id === undefined || lease.id === filter.id) &&
    (filter.port === undefined || lease.port === filter.port) &&
    (app === undefined || lease.app === app) &&
    (instance === undefined || lease.instance === instance) &&
    (service === undefined || lease.service === service);
}

/**
 * What `release()` accepts: a lease, its id, a service name of the current app, a filter,
 * or a list of leases and ids (released in one transaction).
 */
export type ReleaseTarget = Lease | number | string | LeaseFilter | ReadonlyArray<Lease | number>;

/** Turns a release target into filters, any of which matches (pure, but for resolving the default scope). */
export function toFilter(
  target: ReleaseTarget,
  options: ScopeOptions,
  where: { env: Record<string, string | undefined>; cwd: string | undefined },
): LeaseFilter | LeaseFilter[] {
  if (Array.isArray(target)) {
    if (target.length === 0) throw typeError('release() of a list needs at least one lease or id');
    return target.map((item: unknown) => {
      if (typeof item !== 'number' && (item === null || typeof item !== 'object' || !('createdAt' in item))) {
        throw typeError(`release() of a list takes leases and ids, got ${describe(item)}`);
      }
      return toFilter(item as Lease | number, options, where) as LeaseFilter;
    });
  }
  if (typeof target === 'number') {
    if (!Number.isSafeInteger(target) || target < 1) throw rangeError(`lease id must be a positive integer, got ${target}`);
    return { id: target };
  }
  if (options === null || typeof options !== 'object') throw typeError(`release() options must be an object, got ${describe(options)}`);
  checkKnownKeys(options, SCOPE_FIELDS, 'release()');
  if (typeof target === 'string') {
    const service = checkName(target, 'service');
    return { ...scopeIn(where, { app: options.app, instance: options.instance }), service };
  }
  if (target === null || typeof target !== 'object') throw typeError(`release() takes a lease, an id, a service name or a filter, got ${describe(target)}`);
  if ('createdAt' in target && typeof (target as Lease).id === 'number') return { id: (target as Lease).id, port: (target as Lease).port };
  const filter = target as LeaseFilter;
  checkKnownKeys(filter, FILTER_FIELDS, 'release()');
  if (!FILTER_FIELDS.some((field) => filter[field] !== undefined)) {
    throw typeError('release() needs at least one of id, port, app, instance or service: an empty filter would release everything');
  }
  return filter;
}

/** Releases the leases that match any of the filters, in one transaction; resolves with how many were live. */
export async function releaseIn(ctx: RegistryContext, filters: LeaseFilter | LeaseFilter[]): Promise<number> {
  const predicates = (Array.isArray(filters) ? filters : [filters]).map((filter) => toPredicate(filter, 'release()'));
  const matches = (lease: Lease) => predicates.some((predicate) => predicate(lease));
  return transaction(ctx, (data) => {
    const before = data.leases.length;
    data.leases = data.leases.filter((lease) => !matches(lease));
    const released = before - data.leases.length;
    return { value: released, changed: released > 0 };
  });
}

/** Extends a lease's expiry by `ttl` (default: the ttl it was made with) from now. */
export async function renewIn(ctx: RegistryContext, target: Lease | number, ttl: number | string | undefined): Promise<Lease> {
  const id = typeof target === 'number' ? target : target?.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw typeError(`renew() takes a lease or its id, got ${describe(target)}`);
  const ms = ttl === undefined ? undefined : parseDuration(ttl);
  return transaction(ctx, (data, now) => {
    const index = data.leases.findIndex((entry) => entry.id === id);
    const lease = data.leases[index];
    if (!lease) throw new PortleaseError('E_NOT_FOUND', `Lease ${id} is not live (released, expired or reclaimed). Reserve again.`);
    const duration = ms ?? lease.ttl;
    if (duration === undefined) throw typeError(`lease ${id} has no ttl to renew: pass one, e.g. renew(lease, '1h')`);
    // Replaced, not changed in place: lease objects are shared with readers (see cache.ts).
    const renewed: Lease = { ...lease, ttl: duration, expiresAt: new Date(now + duration).toISOString() };
    data.leases[index] = renewed;
    return { value: copyLease(renewed), changed: true };
  });
}

/** Live leases matching a filter, sorted by id. Reads without the lock. */
export async function listIn(ctx: RegistryContext, filter: LeaseFilter = {}): Promise<Lease[]> {
  const matches = toPredicate(filter);
  const now = Date.now();
  const data = await snapshot(ctx);
  // The filter first, then liveness asked of the OS once per owner, not once per lease (a
  // /proc read each: 10,000 leases of one live owner took ~160 ms).
  const alive = cachedLiveness();
  return data.leases
    .filter((lease) => matches(lease) && deadReason(lease, now, alive) === null)
    .sort((a, b) => a.id - b.id)
    .map(copyLease);
}

/** The live lease of a service in the current (or given) app and instance. */
export async function lookupIn(ctx: RegistryContext, service: string, options: ScopeOptions = {}): Promise<Lease | undefined> {
  const name = checkName(service, 'service');
  checkKnownKeys(options, SCOPE_FIELDS, 'lookup()');
  const { app, instance } = scopeIn(ctx, { app: options.app, instance: options.instance });
  const key = leaseKey(app, instance, name);
  return (await listIn(ctx, { app, instance, service: name })).find((lease) => leaseKey(lease.app, lease.instance, name) === key);
}

/** Options of `waitFor()`. */
export interface WaitOptions extends ScopeOptions {
  /** ms to wait before `E_TIMEOUT`. @default 10000 */
  timeout?: number;
  /** ms between looks at the registry. @default 100 */
  interval?: number;
}

/** Waits until a service has a live lease (another process reserves it). */
export async function waitForIn(ctx: RegistryContext, service: string, options: WaitOptions = {}): Promise<Lease> {
  checkKnownKeys(options, [...SCOPE_FIELDS, 'timeout', 'interval'], 'waitFor()');
  const timeout = options.timeout ?? 10_000;
  const interval = options.interval ?? 100;
  if (!Number.isFinite(timeout) || timeout < 0) throw rangeError(`timeout must be a non-negative number of ms, got ${timeout}`);
  if (!Number.isFinite(interval) || interval < 1) throw rangeError(`interval must be at least 1 ms, got ${interval}`);
  const deadline = Date.now() + timeout;
  const scope: ScopeOptions = {};
  if (options.app !== undefined) scope.app = options.app;
  if (options.instance !== undefined) scope.instance = options.instance;
  for (;;) {
    const lease = await lookupIn(ctx, service, scope);
    if (lease) return lease;
    if (Date.now() >= deadline) {
      throw new PortleaseError('E_TIMEOUT', `No lease for ${service} appeared within ${timeout} ms. Is the process that reserves it running?`);
    }
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())));
  }
}

/** Removes expired leases and those of dead owners whose port is unbound; returns them. */
export async function pruneIn(ctx: RegistryContext, dryRun = false): Promise<Lease[]> {
  if (dryRun) return reclaimable((await snapshot(ctx)).leases, Date.now());
  // Every transaction prunes before deciding: an empty decision is a prune.
  return transaction(ctx, (_data, _now, reclaimed) => ({ value: [...reclaimed], changed: false }));
}
