/**
 * Which live lease a named URL reaches (pure): host labels and request target in, a lease
 * and the target to forward out, or why there is none. Never a guess: when two leases map
 * to the same host or the same prefix, the answer names both (`ambiguous`) instead of
 * picking one, and an app whose every lease is path-scoped answers 404 for a path none of
 * them matches rather than falling back to one of them.
 *
 * Host forms (labels before `.localhost`):
 * - `service.instance.app`: that lease;
 * - `service.app`: the service in the app's `default` instance (else its only instance);
 *   `instance.app` when the app has no such service: that instance's origin;
 * - `x`: the origin of app `x` when it has path-scoped leases, else the only service named
 *   `x` among all live leases, else the origin of app `x`.
 * An origin routes by path prefix: longest prefix on segment boundaries, then the app's
 * only lease without a path.
 */
import type { Lease } from '../types.js';
import { dnsLabel, DEFAULT_INSTANCE } from '../url.js';

/** A named lease with its names as DNS labels. */
export interface RouteEntry {
  lease: Lease;
  service: string;
  instance: string;
  app: string;
}

/** The outcome of {@link resolveRoute}. */
export type Resolution =
  /** Forward to `lease`, with `target` as the request target (prefix removed when the lease strips it). */
  | { kind: 'lease'; lease: Lease; target: string }
  /** No lease answers to this host. */
  | { kind: 'unknown' }
  /** The app's origin, but no lease's prefix matches and no lease without a path exists. */
  | { kind: 'no-route'; leases: Lease[] }
  /** Several leases map to this host (or prefix): reported, never chosen at random. */
  | { kind: 'ambiguous'; leases: Lease[] };

/**
 * The routing entries of `leases`: named ones whose names all have a DNS label.
 *
 * @example
 * routeEntries(await registry.list());
 */
export function routeEntries(leases: readonly Lease[]): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const lease of leases) {
    if (lease.service === null) continue;
    const service = dnsLabel(lease.service);
    const instance = dnsLabel(lease.instance);
    const app = dnsLabel(lease.app);
    if (service !== undefined && instance !== undefined && app !== undefined) entries.push({ lease, service, instance, app });
  }
  return entries;
}

/**
 * Resolves host labels (from `dispatch`) and the request target (`/api/x?y=1`).
 *
 * @example
 * resolveRoute(['web', 'shop'], '/', routeEntries(leases)); // { kind: 'lease', lease: web, target: '/' }
 */
export function resolveRoute(labels: readonly string[], target: string, entries: readonly RouteEntry[]): Resolution {
  if (labels.length === 3) {
    const [service, instance, app] = labels;
    return one(
      entries.filter((e) => e.service === service && e.instance === instance && e.app === app),
      target,
    );
  }
  if (labels.length === 2) {
    const [first, app] = labels;
    const services = entries.filter((e) => e.app === app && e.service === first);
    if (services.length > 0) return one(preferDefault(services), target);
    const origin = entries.filter((e) => e.app === app && e.instance === first);
    return origin.length > 0 ? byPath(origin, target) : { kind: 'unknown' };
  }
  const [name] = labels;
  const app = entries.filter((e) => e.app === name);
  if (app.some((e) => e.lease.path !== undefined))
    return byPath(
      oneInstance(
        app.filter((e) => e.lease.path !== undefined),
        app,
      ),
      target,
    );
  const services = entries.filter((e) => e.service === name);
  if (services.length > 0) return one(services, target);
  return app.length > 0 ? byPath(oneInstance(app, app), target) : { kind: 'unknown' };
}

/** The entries of the `default` instance when there are any, else all of them. */
function preferDefault(entries: RouteEntry[]): RouteEntry[] {
  const defaults = entries.filter((e) => e.lease.instance === DEFAULT_INSTANCE);
  return defaults.length > 0 ? defaults : entries;
}

/**
 * The entries of `all` in one instance: the `default` one when `deciding` has entries
 * there, else the only instance among `deciding`; all of `deciding` when there are several
 * (then byPath reports them as ambiguous or routes by distinct prefixes).
 */
function oneInstance(deciding: RouteEntry[], all: RouteEntry[]): RouteEntry[] {
  const instances = new Set(deciding.map((e) => e.instance));
  const pick = deciding.some((e) => e.lease.instance === DEFAULT_INSTANCE) ? dnsLabel(DEFAULT_INSTANCE) : instances.size === 1 ? [...instances][0] : undefined;
  return pick === undefined ? deciding : all.filter((e) => e.instance === pick);
}

function one(entries: RouteEntry[], target: string): Resolution {
  if (entries.length === 0) return { kind: 'unknown' };
  if (entries.length > 1) return { kind: 'ambiguous', leases: entries.map((e) => e.lease) };
  return { kind: 'lease', lease: entries[0]!.lease, target };
}

/** Routes an origin's request by the longest matching prefix, then to its one lease without a path. */
function byPath(entries: RouteEntry[], target: string): Resolution {
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  let best: RouteEntry[] = [];
  for (const entry of entries) {
    const prefix = entry.lease.path;
    if (prefix === undefined || !matchesPrefix(path, prefix)) continue;
    const length = best[0]?.lease.path?.length ?? -1;
    if (prefix.length > length) best = [entry];
    else if (prefix.length === length) best.push(entry);
  }
  if (best.length === 0) {
    const plain = entries.filter((e) => e.lease.path === undefined);
    if (plain.length === 0) return { kind: 'no-route', leases: entries.map((e) => e.lease) };
    return one(plain, target);
  }
  if (best.length > 1) return { kind: 'ambiguous', leases: best.map((e) => e.lease) };
  const lease = best[0]!.lease;
  return { kind: 'lease', lease, target: lease.stripPath ? stripPrefix(target, lease.path!) : target };
}

/**
 * True when `prefix` covers `path` on a segment boundary: `/api` covers `/api` and
 * `/api/x`, never `/apix`; `/` covers everything.
 *
 * @example
 * matchesPrefix('/apix', '/api'); // false
 */
export function matchesPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return path.startsWith('/');
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * The target without `prefix` (`/api/x?y` → `/x?y`, `/api` → `/`).
 *
 * @example
 * stripPrefix('/api?y=1', '/api'); // '/?y=1'
 */
export function stripPrefix(target: string, prefix: string): string {
  if (prefix === '/') return target;
  const rest = target.slice(prefix.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
