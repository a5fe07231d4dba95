/**
 * The URL a lease is reachable at through this server's reverse proxy: the page shows a
 * clickable link wherever there is one.
 */
import type { Lease } from '../../types.js';
import { urlOf as namedUrl } from '../../url.js';

/**
 * The proxy URL of `lease` on the server's `port`, or `null` when the proxy cannot route it
 * (anonymous leases, names without a DNS label).
 *
 * @example
 * urlOf(lease, 51234); // 'http://web.shop.localhost:51234'
 */
export function urlOf(lease: Lease, port: number | undefined): string | null {
  return port === undefined ? null : (namedUrl(lease, { port }) ?? null);
}
