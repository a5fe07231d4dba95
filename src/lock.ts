/**
 * The registry lock: proper-lockfile (an atomic `mkdir`) plus what it lacks.
 *
 * - Its retries either fail at once (`retries: 0`) or back off to seconds; we poll with a
 *   short, jittered, capped wait and an overall deadline instead.
 * - It records no owner, so a SIGKILLed holder blocks everyone for the whole stale time.
 *   We write the holder's identity beside the lock and take over at once from a holder
 *   that is provably dead.
 * - Its default `onCompromised` throws from a timer (an uncaught exception). Ours only
 *   marks the transaction, which then refuses to write.
 */
import { promises as fs, type BigIntStats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import lockfile from 'proper-lockfile';
import { LOCK_DEADLINE_MS, LOCK_STALE_MS, LOCK_UNRECORDED_MS } from './defaults.js';
import { PortleaseError, storageError } from './errors.js';
import { isAlive, isLocal, ownerOf } from './owner.js';
import type { RegistryPaths } from './paths.js';
import type { Owner } from './types.js';

/** Lock timing knobs (tests shorten them). */
export interface LockTimings {
  /** ms after which a lock whose holder is not provably dead is taken over (≥ 2000). */
  stale?: number;
  /** ms to keep trying before `E_LOCK_TIMEOUT`. */
  deadline?: number;
}

/** What the holder writes beside the lock directory. */
export interface LockOwnerRecord {
  owner: Owner;
  token: string;
  /** Inode of the lock directory this record belongs to. */
  lockIno: string;
  since: string;
}

/** Handed to the critical section: proves, just before a write, that the lock is still ours. */
export interface LockGuard {
  check(): Promise<void>;
}

// Longest pause between two attempts to take the lock (the first one; later ones shrink).
const MAX_WAIT_MS = 12;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function lockIno(paths: RegistryPaths): Promise<string | null> {
  try {
    return String((await fs.lstat(paths.lock, { bigint: true })).ino);
  } catch {
    return null;
  }
}

/** Reads the holder record, or `null` when there is none (or it is unreadable). */
async function readLockOwner(paths: RegistryPaths): Promise<LockOwnerRecord | null> {
  try {
    const record = JSON.parse(await fs.readFile(paths.lockOwner, 'utf8')) as LockOwnerRecord;
    return record && typeof record.token === 'string' && record.owner ? record : null;
  } catch {
    return null;
  }
}

/**
 * Removes a lock that cannot be live: its recorded holder is provably dead, it has had no
 * holder record for too long, or its mtime lies further in the future than the stale time
 * (the clock was set back, and proper-lockfile would wait for it forever). The lock directory is renamed away first
 * (atomic) and only deleted when it is still the one that was judged.
 */
async function reclaimDeadLock(paths: RegistryPaths, stale: number): Promise<boolean> {
  let stat: BigIntStats;
  try {
    stat = await fs.lstat(paths.lock, { bigint: true });
  } catch {
    return false;
  }
  const ino = String(stat.ino);
  const record = await readLockOwner(paths);
  const ours = record !== null && record.lockIno === ino;
  const deadHolder = ours && isLocal(record.owner) && !isAlive(record.owner);
  // A live holder writes its record right after its mkdir; a lock still without one after
  // LOCK_UNRECORDED_MS lost its holder in that gap (killed between mkdir and record).
  const unrecorded = !ours && Date.now() - Number(stat.mtimeMs) > LOCK_UNRECORDED_MS;
  const fromTheFuture = Number(stat.mtimeMs) > Date.now() + stale;
  if (!deadHolder && !unrecorded && !fromTheFuture) return false;
  const aside = `${paths.lock}.dead-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(paths.lock, aside);
  } catch {
    return false; // someone else reclaimed it first
  }
  if (String((await fs.lstat(aside, { bigint: true })).ino) !== ino) {
    // We raced and moved a live holder's fresh lock: put it back.
    await fs.rename(aside, paths.lock).catch(() => {});
    return false;
  }
  await fs.rm(aside, { recursive: true, force: true });
  if (record !== null && (await readLockOwner(paths))?.token === record.token) await fs.rm(paths.lockOwner, { force: true });
  return true;
}

/**
 * Runs `fn` while holding the registry lock.
 *
 * @example
 * await withLock(paths, async (guard) => { … await guard.check(); … });
 */
export async function withLock<T>(paths: RegistryPaths, fn: (guard: LockGuard) => Promise<T>, timings: LockTimings = {}): Promise<T> {
  const stale = Math.max(timings.stale ?? LOCK_STALE_MS, 2000);
  const deadline = Date.now() + (timings.deadline ?? LOCK_DEADLINE_MS);
  let compromised: Error | null = null;
  let release: (() => Promise<void>) | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      release = await lockfile.lock(paths.file, {
        lockfilePath: paths.lock,
        realpath: false,
        stale,
        update: Math.floor(stale / 2),
        retries: 0,
        onCompromised: (error) => {
          compromised = error;
        },
      });
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ELOCKED' && code !== 'ENOTEMPTY' && code !== 'ENOENT') throw storageError(error, paths.lock, 'lock');
      // Checking the holder costs a few syscalls: do it at once, then every few attempts.
      if (attempt % 4 === 0 && (await reclaimDeadLock(paths, stale))) continue;
      if (Date.now() >= deadline) {
        const holder = await readLockOwner(paths);
        throw new PortleaseError(
          'E_LOCK_TIMEOUT',
          `Could not lock ${paths.file} within ${timings.deadline ?? LOCK_DEADLINE_MS} ms` +
            (holder ? ` (held by pid ${holder.owner.pid} on ${holder.owner.host} since ${holder.since})` : '') +
            `. If no portlease process is running, remove ${paths.lock}.`,
          { cause: error, file: paths.file },
        );
      }
      // Jittered so that contenders spread out, and shrinking as a process keeps waiting:
      // a long waiter polls more often than a newcomer, which keeps the wait's tail short
      // (the p99 at 8 busy processes halved against waits that grow).
      await sleep(1 + Math.random() * Math.max(1, MAX_WAIT_MS - attempt));
    }
  }

  const token = randomBytes(8).toString('hex');
  const record: LockOwnerRecord = {
    owner: ownerOf(),
    token,
    lockIno: (await lockIno(paths)) ?? '',
    since: new Date().toISOString(),
  };
  const guard: LockGuard = {
    async check() {
      if (compromised) {
        throw new PortleaseError('E_LOCK_COMPROMISED', `Lost the lock on ${paths.file} (${compromised.message}); nothing was written. Try again.`, {
          cause: compromised,
          file: paths.file,
        });
      }
      // A takeover that proper-lockfile has not noticed yet is caught by the storage's
      // revision fence: whoever writes second finds the revision changed and refuses.
    },
  };
  try {
    // Renamed into place, so that a holder killed mid-write never leaves a half record
    // (which would make the others wait out the stale time).
    const temp = `${paths.lockOwner}.${token}`;
    try {
      await fs.writeFile(temp, JSON.stringify(record), { mode: 0o600 });
      await fs.rename(temp, paths.lockOwner);
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => {});
      throw storageError(error, paths.lockOwner, 'write');
    }
    return await fn(guard);
  } finally {
    // Remove our record unless the lock was lost: then the record may be the new holder's.
    if (!compromised) await fs.unlink(paths.lockOwner).catch(() => {});
    // After a compromise proper-lockfile rejects with ERELEASED: the lock is not ours to remove.
    await release().catch(() => {});
  }
}

/** Lock state for `doctor`: whether the lock is held, by whom, and for how long. */
export async function lockState(paths: RegistryPaths): Promise<{ held: boolean; holder: Owner | null; ageMs: number | null }> {
  try {
    const stat = await fs.stat(paths.lock);
    const record = await readLockOwner(paths);
    // The holder refreshes the mtime while it lives: the record says since when it holds it.
    const since = record ? Date.parse(record.since) : stat.mtimeMs;
    return { held: true, holder: record?.owner ?? null, ageMs: Date.now() - since };
  } catch {
    return { held: false, holder: null, ageMs: null };
  }
}
