/**
 * The one critical path: lock → read + validate → prune → decide → commit → unlock.
 * Reads (`snapshot`) take no lock: a revision's name appears only once its file is
 * complete, so a reader sees the old or the new registry, never a torn one.
 */
import { appendFileSync } from 'node:fs';
import { LOCK_DEADLINE_MS } from './defaults.js';
import { resolve } from 'node:path';
import { PortleaseError, typeError } from './errors.js';
import { type Held, type LockTimings, withLock } from './lock.js';
import { isAlive, sameOwner } from './owner.js';
import { resolvePaths, type RegistryPaths } from './paths.js';
import { probePort } from './probe.js';
import type { RegistryData } from './schema.js';
import { codeOf } from './fsio.js';
import { CommitConflict, openDatabase } from './commit.js';
import { confirmLoad, ensureDir, forgetDir, load, readRegistry, type Loaded } from './storage.js';
import type { Lease, Owner } from './types.js';

/** Everything that selects and tunes one registry. */
export interface RegistryContext {
  paths: RegistryPaths;
  env: Record<string, string | undefined>;
  /** Folder whose git repository and worktree name the default app and instance; `undefined`: `process.cwd()` at each call. */
  cwd: string | undefined;
  timings: LockTimings;
}

/** Options of `openRegistry()`: everything that selects a registry and the defaults its calls resolve. */
export interface ContextOptions {
  /**
   * Directory of the registry; a relative one is resolved from `cwd`.
   * @default env.PORTLEASE_HOME ?? '~/.portlease'
   */
  home?: string | undefined;
  /** Environment to read PORTLEASE_* variables from (`PORTLEASE_HOME`, `PORTLEASE_APP`, `PORTLEASE_RANGE`, …). @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * Folder whose git repository and linked worktree name the default app and instance, and
   * that a relative `home` is resolved from.
   * @default process.cwd() (at each call)
   */
  cwd?: string | undefined;
  /** Lock timings (advanced; tests shorten them). */
  lock?: LockTimings;
}

/** Builds a context; throws `TypeError` on a bad home or cwd. */
export function createContext(options: ContextOptions = {}): RegistryContext {
  const env = options.env ?? process.env;
  const { cwd } = options;
  if (cwd !== undefined && (typeof cwd !== 'string' || cwd === '')) throw typeError('cwd must be a non-empty string');
  return { paths: resolvePaths(options.home, env, cwd), env, cwd: cwd === undefined ? undefined : resolve(cwd), timings: options.lock ?? {} };
}

/** What a transaction's decision returns: a value, and whether the registry changed. */
export interface Decision<T> {
  value: T;
  changed: boolean;
}

/** Why a lease is no longer live, or `null` when it is. Pure but for the liveness check. */
export function deadReason(lease: Lease, now: number, alive: (owner: Owner) => boolean = isAlive): 'expired' | 'owner-dead' | null {
  if (lease.expiresAt !== null && Date.parse(lease.expiresAt) <= now) return 'expired';
  if (lease.owner !== null && !alive(lease.owner)) return 'owner-dead';
  return null;
}

/**
 * A liveness check that asks the OS (`ask`, by default {@link isAlive}) once per owner
 * within one pass: a pass over a large registry meets the same few owners thousands of times.
 */
export function cachedLiveness(ask: (owner: Owner) => boolean = isAlive): (owner: Owner) => boolean {
  const seen = new Map<string, boolean>();
  // Consecutive leases mostly share their owner: compared field by field, no key is built.
  let last: Owner | null = null;
  let lastAlive = false;
  return (owner) => {
    if (last !== null && sameOwner(owner, last)) return lastAlive;
    const key = `${owner.host}|${owner.boot}|${owner.ns}|${owner.pid}|${owner.start}`;
    let alive = seen.get(key);
    if (alive === undefined) {
      alive = ask(owner);
      seen.set(key, alive);
    }
    last = owner;
    lastAlive = alive;
    return alive;
  };
}

/**
 * Leases that can go: expired ones, and those whose owner died, unless their port is
 * still bound (a child of the dead owner may still serve on it).
 */
export async function reclaimable(leases: readonly Lease[], now: number): Promise<Lease[]> {
  const alive = cachedLiveness();
  const gone: Lease[] = [];
  for (const lease of leases) {
    const reason = deadReason(lease, now, alive);
    if (reason === 'expired' || (reason === 'owner-dead' && (await probePort(lease.port)).free)) gone.push(lease);
  }
  return gone;
}

/**
 * Makes sure the home and its registry folder exist and may hold a registry (storage's
 * checks: a folder, ours, not writable by others), creating them when missing. Every
 * transaction starts with it; the CLI calls it before it writes.
 */
export async function ensureHome(paths: RegistryPaths): Promise<void> {
  await ensureDir(paths.dir);
  await ensureDir(paths.registry);
}

/** Reads the registry without the lock. */
export function snapshot(ctx: RegistryContext): Promise<RegistryData> {
  return readRegistry(ctx.paths);
}

/**
 * Reads the registry without the lock and without confirming the read (see storage.ts
 * `load`): a view to choose from before a transaction, which reads again under the lock
 * (or reuses this read, when it is still the newest). Answer nothing from it alone:
 * `confirmPeek` first.
 */
export function peek(ctx: RegistryContext): Promise<Loaded> {
  return load(ctx.paths, false);
}

/** Confirms a `peek`, so that it may be answered from (reads again when it is stale). */
export function confirmPeek(ctx: RegistryContext, loaded: Loaded): Promise<Loaded> {
  return confirmLoad(ctx.paths, loaded);
}

/** A transaction's decision function: may be called again, on a fresh read, after a lost commit. */
export type Decide<T> = (data: RegistryData, now: number, reclaimed: readonly Lease[]) => Decision<T> | Promise<Decision<T>>;

const LOST = Symbol('lost the commit');

/**
 * Runs `decide` on the freshly read registry under the lock, after pruning, and commits
 * the result when anything changed. Resolves only after the commit. A commit that another
 * writer beat (the lock was broken or stolen) is retried from a fresh read, invisibly.
 * `known`: this process's `peek` of moments ago, read again only if a newer revision exists.
 */
export async function transaction<T>(ctx: RegistryContext, decide: Decide<T>, known: Loaded | null = null): Promise<T> {
  const { paths } = ctx;
  await ensureHome(paths);
  const deadline = Date.now() + (ctx.timings.deadline ?? LOCK_DEADLINE_MS);
  for (let recreated = false; ; ) {
    let result: T | typeof LOST;
    try {
      result = await withLock(paths, (lock) => attempt(ctx, decide, lock, known), ctx.timings);
    } catch (error) {
      // The home or the registry directory was removed since this process checked it
      // (ensureDir looks once per process): check again, once.
      if (recreated || codeOf((error as Error).cause) !== 'ENOENT') throw error;
      recreated = true;
      forgetDir(paths.dir);
      forgetDir(paths.registry);
      await ensureHome(paths);
      continue;
    }
    if (result !== LOST) return result;
    if (Date.now() > deadline) {
      throw new PortleaseError(
        'E_LOCK_TIMEOUT',
        `Other writers kept committing first to ${paths.registry}; gave up after ${ctx.timings.deadline ?? LOCK_DEADLINE_MS} ms.`,
        {
          file: paths.registry,
        },
      );
    }
  }
}

async function attempt<T>(ctx: RegistryContext, decide: Decide<T>, lock: Held, known: Loaded | null): Promise<T | typeof LOST> {
  const { db, adapter } = await openDatabase(ctx.paths, lock.held, known);
  await db.read();
  const loaded = adapter.loaded!;
  const data = db.data;
  const before = ctx.env['PORTLEASE_AUDIT_LOG'] ? new Map(data.leases.map((lease) => [lease.id, lease.port])) : null;
  // The kernel's clock, not this process's (see Held.now): ttl expiry is decided here.
  const now = lock.now();
  const reclaimed = await reclaimable(data.leases, now);
  const gone = new Set(reclaimed);
  if (gone.size > 0) data.leases = data.leases.filter((lease) => !gone.has(lease));
  const { value, changed } = await decide(data, now, reclaimed);
  // A recovery is written at once, so that the bad revision stops being the newest.
  if (!changed && gone.size === 0 && loaded.recovered === null) return value;
  try {
    await db.write();
  } catch (error) {
    if (error instanceof CommitConflict) return LOST;
    throw error;
  }
  if (loaded.recovered) process.emitWarning(loaded.recovered, { code: 'PORTLEASE_RECOVERED' });
  if (before) audit(ctx, data, before);
  return value;
}

/**
 * Appends one line per committed write to `PORTLEASE_AUDIT_LOG` (a debugging aid, and how
 * the stress tests check that no port was ever held twice): the revision and the lease
 * ids granted and released by it. Written under the lock, so lines are in commit order.
 */
function audit(ctx: RegistryContext, data: RegistryData, before: Map<number, number>): void {
  const after = new Map(data.leases.map((lease) => [lease.id, lease.port]));
  const granted = [...after].filter(([id]) => !before.has(id));
  const released = [...before].filter(([id]) => !after.has(id));
  const line = JSON.stringify({ rev: data.rev, pid: process.pid, granted, released });
  try {
    appendFileSync(ctx.env['PORTLEASE_AUDIT_LOG']!, `${line}\n`);
  } catch (error) {
    // The registry write already succeeded: a debugging aid must not fail it.
    process.emitWarning(`Cannot append to PORTLEASE_AUDIT_LOG: ${(error as Error).message}`, { code: 'PORTLEASE_AUDIT' });
  }
}
