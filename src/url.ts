/**
 * Named URLs (pure): how a lease's names become a host under `.localhost`, and the URL
 * that `portlease serve` answers for it. No I/O: the CLI and the library show URLs
 * without loading the HTTP server, and the server routes with the same mapping.
 */
import type { Lease } from './types.js';

/** The port `portlease serve` listens on by default, and so the port of every named URL. @default 51234 */
export const URL_PORT = 51234;

/** The instance whose leases get the short `<service>.<app>.localhost` form. */
export const DEFAULT_INSTANCE = 'default';

/**
 * A name as one DNS label: compatibility-decomposed with accents dropped (`café` → `cafe`),
 * lower-case, every run of characters outside `[a-z0-9-]` becomes one `-`, no `-` at
 * either end, at most 63 characters. `undefined` when nothing is left (`日本`, `<&>`): such
 * a name has no URL. Two names may map to the same label (`my app`, `My-App`); the server
 * reports that collision instead of choosing.
 *
 * @example
 * dnsLabel('feature/login'); // 'feature-login'
 * dnsLabel('My App');        // 'my-app'
 */
export function dnsLabel(name: string): string | undefined {
  const ascii = name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  const label = ascii
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? undefined : label;
}

/**
 * The host (without port) that reaches a named lease: `<service>.<app>.localhost` for the
 * `default` instance, `<service>.<instance>.<app>.localhost` otherwise. `undefined` for an
 * anonymous lease or a name with no DNS label.
 *
 * @example
 * hostOf({ service: 'web', app: 'shop', instance: 'default' }); // 'web.shop.localhost'
 * hostOf({ service: 'web', app: 'shop', instance: 'feature-x' }); // 'web.feature-x.shop.localhost'
 */
export function hostOf(lease: Pick<Lease, 'service' | 'app' | 'instance'>): string | undefined {
  if (lease.service === null) return undefined;
  const service = dnsLabel(lease.service);
  const app = dnsLabel(lease.app);
  const instance = dnsLabel(lease.instance);
  if (service === undefined || app === undefined || instance === undefined) return undefined;
  return lease.instance === DEFAULT_INSTANCE ? `${service}.${app}.localhost` : `${service}.${instance}.${app}.localhost`;
}

/**
 * The origin (without port) of an app's path-scoped leases: `<app>.localhost` for the
 * `default` instance, `<instance>.<app>.localhost` otherwise, where `/api/…` reaches the
 * lease with path `/api` and the rest reaches the app's lease without a path.
 *
 * @example
 * appHostOf({ app: 'shop', instance: 'default' }); // 'shop.localhost'
 */
export function appHostOf(lease: Pick<Lease, 'app' | 'instance'>): string | undefined {
  const app = dnsLabel(lease.app);
  const instance = dnsLabel(lease.instance);
  if (app === undefined || instance === undefined) return undefined;
  return lease.instance === DEFAULT_INSTANCE ? `${app}.localhost` : `${instance}.${app}.localhost`;
}

/** Options of {@link urlOf}. */
export interface UrlOptions {
  /**
   * Port of `portlease serve`.
   * @default 51234
   */
  port?: number;
}

/**
 * The named URL of a lease, as `portlease serve` answers it: `http://web.shop.localhost:51234`
 * for a lease without a path, and the app's shared origin plus the prefix for a
 * path-scoped one (`http://shop.localhost:51234/api`). `undefined` for an anonymous lease
 * or a name with no DNS label. The URL works while `portlease serve` runs; the port
 * itself never needs it.
 *
 * @example
 * import { reserve, urlOf } from 'portlease';
 * const web = await reserve('web', { app: 'shop', instance: 'default' });
 * urlOf(web); // 'http://web.shop.localhost:51234'
 */
export function urlOf(lease: Pick<Lease, 'service' | 'app' | 'instance' | 'path'>, options: UrlOptions = {}): string | undefined {
  const host = lease.path === undefined ? hostOf(lease) : lease.service === null ? undefined : appHostOf(lease);
  if (host === undefined) return undefined;
  const port = options.port ?? URL_PORT;
  return `http://${host}${port === 80 ? '' : `:${port}`}${lease.path ?? ''}`;
}

/** Longest route path prefix, in characters. @default 200 */
export const PATH_MAX_LENGTH = 200;

// RFC 3986 path characters (pchar and '/'), percent-escapes whole: what a browser sends
// unchanged, so a prefix compares with the request target as sent.
const ROUTE_PATH = /^(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+$/;

/**
 * Why `path` cannot be a lease's route prefix, or `undefined` when it can: it must start
 * with `/`, hold only URL path characters (no `?`, `#`, spaces or `..` segments) and not end
 * with `/` (except `/` itself, the app's root).
 *
 * @example
 * routePathProblem('/api');  // undefined
 * routePathProblem('api');   // 'it does not start with /'
 */
export function routePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'it does not start with /';
  if (path.length > PATH_MAX_LENGTH) return `it has more than ${PATH_MAX_LENGTH} characters`;
  if (path === '/') return undefined;
  if (path.endsWith('/')) return 'it ends with /';
  if (!ROUTE_PATH.test(path)) return 'it holds characters outside a URL path (?, #, spaces, …)';
  if (
    path
      .slice(1)
      .split('/')
      .some((segment) => segment === '.' || segment === '..' || segment === '')
  )
    return 'it has an empty, . or .. segment';
  return undefined;
}
