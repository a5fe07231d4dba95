/**
 * The one shared view of the registry behind every open dashboard. One `fs.watch` on the
 * registry directory (plus a re-check every few seconds, since watch events can be missed:
 * network file systems, a directory replaced under us) drives one refresh at a time; a
 * refresh reads the newest revision only when its name changed, builds the rows, and hands
 * the difference to every subscriber. So 100 dashboards cost one file read per change, and
 * the watcher and its timer exist only while someone is subscribed.
 */
import { readdir } from 'node:fs/promises';
import { deadReason } from '../../registry.js';
import type { RegistryPaths } from '../../paths.js';
import { parseListing } from '../../revisions.js';
import { load } from '../../storage.js';
import { watchRegistry, type RegistryWatch } from '../registry-watch.js';
import type { Lease } from '../../types.js';
import { listening } from './listening.js';
import { ownerLookup } from './processes.js';
import { urlOf } from './url.js';
import { diffRows, isEmptyDiff, toRow, type Row, type RowDiff } from './view.js';

/** What a subscriber receives after its snapshot. */
export type FeedEvent = { type: 'diff'; diff: RowDiff } | { type: 'problem'; message: string | null };

/** A subscription: the rows as of now, then events until `close()`. */
export interface Subscription {
  rows: Row[];
  /** The registry's current trouble (unreadable, corrupt), or `null`. */
  problem: string | null;
  close(): void;
}

/** Options of {@link createFeed}. */
export interface FeedOptions {
  paths: RegistryPaths;
  /**
   * Milliseconds between re-checks when no watch event came (liveness, listening, expiry).
   * @default 2000
   */
  interval?: number;
  /** The server's port, once it listens: rows carry the named URL through it. */
  port?: () => number | undefined;
  onError?: ((error: unknown) => void) | undefined;
}

/** The shared feed. */
export interface Feed {
  /** Subscribes `listener`; resolves once the rows are known. */
  subscribe(listener: (event: FeedEvent) => void): Promise<Subscription>;
  /** Registry files read so far (to prove that subscribers share reads). */
  readonly reads: number;
  /** Stops watching and drops every subscriber. */
  close(): void;
}

/** Watch events within this many ms are one refresh: a commit is a link, an unlink and a prune. */
const SETTLE_MS = 15;

/**
 * A feed over the registry at `paths`.
 *
 * @example
 * const feed = createFeed({ paths: resolvePaths(home) });
 * const { rows, close } = await feed.subscribe((event) => console.log(event));
 */
export function createFeed(options: FeedOptions): Feed {
  const { paths } = options;
  const interval = options.interval ?? 2000;
  const listeners = new Set<(event: FeedEvent) => void>();
  const owners = ownerLookup();
  let rows = new Map<number, Row>();
  let leases: Lease[] = [];
  let rev: number | null = null;
  let problem: string | null = null;
  let reads = 0;
  let ready: Promise<void> | null = null;
  let waiting = 0;
  let running: Promise<void> | null = null;
  let again = false;
  let settle: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  let watcher: RegistryWatch | null = null;

  const emit = (event: FeedEvent) => {
    for (const listener of listeners) listener(event);
  };

  /** Reads the newest revision when its name changed since the last read. */
  async function readIfChanged(): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(paths.registry);
    } catch {
      // No registry directory yet (or not readable): load() below tells which.
    }
    const newest = parseListing(names).revisions[0] ?? 0;
    if (newest === rev && problem === null) return;
    reads += 1;
    const loaded = await load(paths);
    leases = loaded.data.leases;
    // What load() listed, which may be newer than our listing, so not read again next time
    // (0 while there is no revision: portlease 0.1's registry.json has its own rev).
    rev = newest === 0 ? 0 : loaded.base;
  }

  async function refresh(): Promise<void> {
    let trouble: string | null = null;
    try {
      await readIfChanged();
    } catch (error) {
      // Keep showing the last good rows, with the reason, until the registry reads again.
      trouble = error instanceof Error ? error.message : String(error);
    }
    if (trouble !== problem) {
      problem = trouble;
      emit({ type: 'problem', message: problem });
    }
    const now = Date.now();
    const ports = await listening(leases.map((lease) => lease.port));
    const next = new Map<number, Row>();
    for (const lease of leases) {
      const owner = lease.owner === null ? null : await owners.view(lease.owner);
      // deadReason with the liveness just looked up: one OS check per owner per pass.
      const reason = deadReason(lease, now, () => owner?.alive ?? true);
      const state = reason === null ? 'live' : reason === 'expired' ? 'expired' : 'dead';
      next.set(lease.id, toRow(lease, { state, owner, listening: ports.get(lease.port) ?? null, url: urlOf(lease, options.port?.()) }));
    }
    owners.sweep();
    const diff = diffRows(rows, next);
    rows = next;
    if (!isEmptyDiff(diff)) emit({ type: 'diff', diff });
  }

  /** Runs refreshes one at a time; asks made during one run it once more after. */
  function kick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await refresh().catch((error: unknown) => options.onError?.(error));
      } while (again && listeners.size > 0);
      running = null;
    })();
    return running;
  }

  function schedule(): void {
    if (settle !== undefined) return;
    settle = setTimeout(() => {
      settle = undefined;
      void kick();
    }, SETTLE_MS);
  }

  function start(): Promise<void> {
    // The registry directory, or the home until that exists (then the first event moves it).
    watcher = watchRegistry(paths, schedule);
    timer = setInterval(() => {
      watcher?.rearm();
      void kick();
    }, interval);
    timer.unref();
    return kick();
  }

  function stop(): void {
    clearInterval(timer);
    clearTimeout(settle);
    [timer, settle] = [undefined, undefined];
    watcher?.close();
    [watcher, ready] = [null, null];
    // Rows are not kept while nobody watches: they would be stale by the next subscriber.
    [rows, leases, rev, problem] = [new Map(), [], null, null];
  }

  return {
    async subscribe(listener) {
      // Counted while it waits, so that the last other subscriber leaving does not stop the feed under it.
      waiting += 1;
      try {
        ready ??= start();
        await ready;
      } finally {
        waiting -= 1;
      }
      // Added only now, in the same turn as the rows are copied: every later event is news
      // to this subscriber, and none it gets repeats what its snapshot holds.
      listeners.add(listener);
      return {
        rows: [...rows.values()],
        problem,
        close() {
          listeners.delete(listener);
          if (listeners.size === 0 && waiting === 0) stop();
        },
      };
    },
    get reads() {
      return reads;
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
