/**
 * The URL a lease is reachable at through the server's reverse proxy. A stub until the
 * proxy exists: the named-URL work replaces this one function, and the page shows a
 * clickable link wherever it returns one.
 */
import type { Lease } from '../../types.js';

/**
 * The proxy URL of `lease`, or `null` when the proxy cannot route it (anonymous leases,
 * and every lease until the proxy exists).
 *
 * @example
 * urlOf(lease); // null (for now)
 */
export function urlOf(_lease: Lease): string | null {
  return null;
}
