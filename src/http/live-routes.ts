/**
 * The routing table: the registry's live named leases, read at most every
 * {@link ROUTES_MAX_AGE} ms. The registry is the only source of truth (the server keeps
 * no routes of its own), but reading it for every proxied request would cost a file read
 * and an owner check per lease each time; concurrent requests share one read.
 */
import type { Lease } from '../types.js';
import { routeEntries, type RouteEntry } from './resolve.js';

/** How long a read of the registry serves requests, in ms. @default 250 */
export const ROUTES_MAX_AGE = 250;

/** The live leases and their routing entries. */
export interface RouteTable {
  leases: Lease[];
  entries: RouteEntry[];
}

/** A cached view of the routing table. */
export interface LiveRoutes {
  /** The table, read again when older than the max age. */
  get(): Promise<RouteTable>;
  /** Forgets the cached table: the next `get` reads the registry (after a backend failed). */
  invalidate(): void;
}

/**
 * Caches `list()` (the registry's live leases) for `maxAge` ms.
 *
 * @example
 * const routes = liveRoutes(() => registry.list());
 * const { entries } = await routes.get();
 */
export function liveRoutes(list: () => Promise<Lease[]>, maxAge = ROUTES_MAX_AGE, now: () => number = Date.now): LiveRoutes {
  let table: RouteTable | undefined;
  let readAt = 0;
  let reading: Promise<RouteTable> | undefined;
  return {
    get() {
      if (table !== undefined && now() - readAt < maxAge) return Promise.resolve(table);
      reading ??= list()
        .then((leases) => {
          table = { leases, entries: routeEntries(leases) };
          readAt = now();
          return table;
        })
        .finally(() => {
          reading = undefined;
        });
      return reading;
    },
    invalidate() {
      table = undefined;
    },
  };
}
