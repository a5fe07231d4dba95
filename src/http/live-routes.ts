/**
 * The routing table: the registry's live named leases, read at most every
 * {@link ROUTES_MAX_AGE} ms. The registry is the only source of truth (the server keeps
 * no routes of its own), but reading it for every proxied request would cost a file read
 * and an owner check per lease each time; concurrent requests share one read.
 *
 * A change to the registry (a release, a new lease) drops the cached table at once: the
 * server watches the registry directory (`registry-watch.ts`) and calls `invalidate()`.
 * So a released lease's port is routed to for no longer than the watch event takes to
 * arrive (milliseconds on a local disk), and never longer than {@link ROUTES_MAX_AGE} when
 * an event is missed (network file systems). A backend that refuses also drops it.
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
  /** The cached table while it is fresh, else `undefined` (then call `get`). */
  current(): RouteTable | undefined;
  /**
   * The registry changed: forgets the cached table, and a read under way is not kept
   * either (it may have begun before the change).
   */
  invalidate(): void;
  /**
   * Forgets the cached table (a name not found in it, a backend that refused): the next
   * `get` reads the registry, or joins a read under way, so that many requests at once
   * still cause one read.
   */
  expire(): void;
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
  // Bumped by invalidate(): a read that began before a change is used once, never cached.
  let generation = 0;
  return {
    get() {
      if (table !== undefined && now() - readAt < maxAge) return Promise.resolve(table);
      if (reading) return reading;
      const started = generation;
      const read = list()
        .then((leases) => {
          const fresh = { leases, entries: routeEntries(leases) };
          if (started === generation) {
            table = fresh;
            readAt = now();
          }
          return fresh;
        })
        .finally(() => {
          if (reading === read) reading = undefined;
        });
      reading = read;
      return read;
    },
    current() {
      return table !== undefined && now() - readAt < maxAge ? table : undefined;
    },
    invalidate() {
      table = undefined;
      generation += 1;
      reading = undefined;
    },
    expire() {
      table = undefined;
    },
  };
}
