/**
 * The registry lock. It only makes writers take turns (cheaply, and without redoing each
 * other's work); safety does not rest on it — the commit is a compare-and-swap (see
 * commit.ts), so a lock that is broken, stolen or judged stale by mistake costs a retry,
 * never a lease.
 *
 * Shape: `registry.lock/` is free when it is missing or empty, held when it contains one
 * entry, an empty file named after its holder (`h.<pid>.<start>.<boot>.<place>.<since>.<token>`).
 *
 * - Take: build `.lock-<pid>-<place>-<token>/<entry>` aside (mkdir + create), then `rename`
 *   it onto `registry.lock`. rename replaces a missing or empty directory and fails on a
 *   non-empty one, so the lock appears with its holder's name in one step: never an
 *   anonymous lock to guess about.
 * - Release: `unlink registry.lock/<own entry>`: one exact call, after which the lock is
 *   free (empty). The empty directory stays: the next taker's rename replaces it and frees
 *   it in the same call, where a `rmdir` here would be one more call, and the dearest of
 *   the cycle. (Where rename cannot replace a directory, Windows, the release removes it,
 *   only while empty.) A holder whose entry was passed over gets ENOENT and touches
 *   nothing else.
 * - Pass over a dead or silent holder: `unlink registry.lock/<that entry>` (`rmdir` when the
 *   entry is a directory: one written by hand, or by the portlease that kept directories
 *   there). The entry's name is unique (random token), so this can only ever remove the
 *   holder that was judged, whatever was created, removed or reused meanwhile. A holder is
 *   dead when it is a process of this machine that no longer runs (or ran in a previous
 *   boot); silent when its entry's mtime, which it touches every `stale / 2`, has not
 *   changed for `stale` ms of the waiter's own monotonic clock. No clock is ever compared
 *   with another process's.
 *
 * Why the entry is a file and not a directory: creating and removing a directory allocates
 * and frees a block (a `rmdir` costs 0.1–1 ms on ext4, 10–100× an `unlink`); the entry only
 * needs a unique name and an mtime. The one directory left per cycle is the stage, and the
 * floor's `mkdir` lock pays the same.
 *
 * Waiting: a waiter polls, and whoever finds the lock free takes it; one that has waited
 * `QUEUE_AFTER_MS` queues (lock-queue.ts: a marker file next to the lock), and from then on
 * a free lock is left to the queue, which is served in the order its waiters came. Polling
 * alone was not a queue: a process that had just released started its next write while the
 * waiters slept, and an unlucky waiter lost round after round (the bench's p99). Whoever
 * does not come (dead: its marker removed; stopped: passed after a short handoff window) is
 * never waited for. Between tries a waiter sleeps (jittered, shorter the longer it waits;
 * queued, about 1 ms at the head of the queue, longer further back) and then lists
 * `registry.lock/`, trying the rename again only when it looks free. A listing changes
 * nothing; a rename, even one that fails, goes through the file system's rename (ext4 opens
 * a journal handle before it finds the target not empty), and a journal commit — the
 * holder's fsync — waits for every open handle: waiters that kept trying slowed down the
 * very holder they waited for. The holder is looked at the first time it is seen and every
 * few looks after it.
 *
 * proper-lockfile was the first lock here; it could not stay: its takeover removes
 * whatever lock directory is at the path (another holder's, after an inode reuse) and
 * judges staleness by comparing the lock's mtime with the local clock (one process with
 * its clock an hour off took over live locks).
 */
import { join } from 'node:path';
import { LOCK_DEADLINE_MS, LOCK_STALE_MS } from './defaults.js';
import { PortleaseError, storageError } from './errors.js';
import { codeOf, io } from './fsio.js';
import {
  entries,
  holderEntry,
  lockHolder,
  markerCounts,
  parseMarker,
  passOverDeadHolder,
  RENAME_REPLACES_DIR,
  removeDeadWaiter,
  removeStage,
  type Watch,
  whoAmI,
} from './lock-holder.js';
import { pause, WaitQueue } from './lock-queue.js';
import { hereTag } from './owner.js';
import type { RegistryPaths } from './paths.js';
import { randomToken } from './token.js';
import { monotonicMs } from './platform/snapshot.js';

/** Lock timing knobs (tests shorten them). */
export interface LockTimings {
  /** ms without a sign of life after which a holder that is not provably dead is passed over (≥ 1000). */
  stale?: number;
  /** ms to keep trying before `E_LOCK_TIMEOUT`. */
  deadline?: number;
  /**
   * ms the lock may stand free while waiters queued ahead do not take it, before a waiter
   * takes its turn anyway (see lock-queue.ts). @default 8
   */
  handoff?: number;
}

// Longest pause between two attempts to take the lock (the first one; later ones shrink).
const MAX_WAIT_MS = 12;
// How long a waiter polls before it queues (lock-queue.ts). Before that, whoever finds the
// lock free takes it: handing the lock to a sleeping waiter costs its wake-up, which a
// process already running does not pay. In the bench (8 non-stop writers, 2 cores), queueing
// every wait brought throughput down to 40–52% of the floor's (61–70% polling alone), 20 ms
// to 48–56%; 35 ms kept 58–67%, and the reserve p99 fell from 60–75 ms to 46–53 ms: no wait
// grows much longer than this plus its turn in the queue.
const QUEUE_AFTER_MS = 35;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Creates the holder's entry in its stage. mkdir's mode passes through the umask, which may
 * take the owner's own bits (0277 leaves the stage 0500, and the lock it becomes must let
 * its holder remove the entry): when the entry cannot be created for want of them (EACCES),
 * the stage gets 0700 and the entry is tried again. So only such a umask costs a call; root,
 * whom modes do not stop, never needs one.
 */
async function createEntry(stage: string, entry: string): Promise<number> {
  try {
    return await io.createEmpty(join(stage, entry), 0o600);
  } catch (error) {
    if (codeOf(error) !== 'EACCES') throw error;
    await io.chmod(stage, 0o700).catch(() => {
      throw error;
    });
    return await io.createEmpty(join(stage, entry), 0o600);
  }
}

/**
 * What the lock gives the code it runs: whether this process still holds the lock, and the
 * time to judge leases by.
 */
export interface Held {
  /** Whether this process still holds the lock: its entry is there (nobody passed it over). */
  held: () => Promise<boolean>;
  /**
   * Wall-clock ms by the kernel's clock: the holder entry's ctime, stamped by the kernel
   * when the entry was made, or the lock directory's, stamped by the rename that took the
   * lock (the later of the two), plus the monotonic time since. Every writer judges ttl leases
   * by this one clock, so a process whose own clock is off (libfaketime, fake timers that
   * replace `Date`) neither reclaims a live lease early nor writes one already expired.
   */
  now: () => number;
}

/**
 * Runs `fn` while holding the registry lock.
 *
 * @example
 * await withLock(paths, async () => { … });
 */
export async function withLock<T>(paths: RegistryPaths, fn: (lock: Held) => Promise<T>, timings: LockTimings = {}): Promise<T> {
  const stale = Math.max(timings.stale ?? LOCK_STALE_MS, 1000);
  const began = monotonicMs();
  const deadline = began + (timings.deadline ?? LOCK_DEADLINE_MS);
  const token = randomToken(6);
  const entry = holderEntry(whoAmI().owner, Date.now(), token);
  const stage = join(paths.dir, `.lock-${process.pid}-${hereTag()}-${token}`);
  let now: () => number;
  try {
    await io.mkdir(stage, 0o700);
    const created = await createEntry(stage, entry);
    const since = monotonicMs();
    now = () => created + (monotonicMs() - since);
  } catch (error) {
    await removeStage(stage, entry); // the entry too, if only its close failed
    throw storageError(error, stage, 'create');
  }
  const watch: Watch = new Map();
  // Long waits take turns in the order they came (lock-queue.ts): a process that sees a
  // queue does not try, and queues itself after QUEUE_AFTER_MS.
  // Markers that cannot be judged by their process count for the stale time (markerCounts).
  const queue = new WaitQueue(
    paths.dir,
    `w${entry.slice(1)}`,
    parseMarker,
    (name, marker) => markerCounts(paths, name, marker, now(), stale),
    timings.handoff,
    (marker) => removeDeadWaiter(paths, marker),
  );
  let failure: unknown;
  try {
    for (let attempt = 0, looks = 0; ; attempt++) {
      // The first try goes ahead unless someone is queued; after a failed one, look before
      // trying again (see the header): a rename only when the lock looks free and nobody
      // this process yields to is still queued.
      let state: 'free' | 'held' | 'queued';
      if (attempt === 0) state = (await queue.look()) ? 'queued' : 'free';
      else if ((await entries(paths).catch(() => [] as string[])).length > 0) {
        state = 'held';
        await queue.refresh();
      } else state = (await queue.mayTry(monotonicMs())) ? 'free' : 'queued';
      if (state === 'free') {
        try {
          await io.rename(stage, paths.lock);
          break;
        } catch (error) {
          failure = error;
          const code = codeOf(error);
          // Held (ENOTEMPTY, EEXIST; EPERM where rename cannot replace a directory, e.g. Windows).
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') {
            await removeStage(stage, entry);
            throw storageError(error, paths.lock, 'lock');
          }
          state = 'held';
        }
      }
      // A waiter queues once it has waited long enough (see QUEUE_AFTER_MS).
      if (!queue.joined && monotonicMs() - began >= QUEUE_AFTER_MS) await queue.join();
      // Looking at the holder costs a few calls: do it the first time the lock is seen held,
      // then every few times.
      if (state === 'held' && looks++ % 4 === 0 && (await passOverDeadHolder(paths, watch, stale))) continue;
      if (monotonicMs() >= deadline) {
        await removeStage(stage, entry);
        const holder = await lockHolder(paths);
        throw new PortleaseError(
          'E_LOCK_TIMEOUT',
          `Could not lock ${paths.registry} within ${timings.deadline ?? LOCK_DEADLINE_MS} ms` +
            (holder ? ` (held by pid ${holder.pid}${holder.local ? '' : ' of another machine, boot or container'})` : '') +
            `. If no portlease process is running, remove ${paths.lock}.`,
          { cause: failure, file: paths.lock },
        );
      }
      // Queued: about 1 ms at the head of the queue (the lock is its next), longer further
      // back. Not queued: jittered so that contenders spread out, and shrinking as a process
      // keeps waiting, so that a long waiter polls more often than a newcomer.
      await sleep(queue.joined ? pause(queue.position, Math.random(), MAX_WAIT_MS) : 1 + Math.random() * Math.max(1, MAX_WAIT_MS - attempt));
    }
  } finally {
    await queue.leave();
  }
  // The kernel's time at the take as well: the rename stamped the lock directory's ctime
  // (where a file system does not, this is the stage's, older, and max keeps the later).
  // The entry's ctime alone was stamped before the wait, and CLOCK_MONOTONIC, which
  // measures the time since, stops while the machine is suspended: a wait across a suspend
  // would judge and write leases that far in the past (ttl leases expired on arrival).
  const waited = now;
  const taken = await io.lstat(paths.lock).then(
    (stat) => Number(stat.ctimeNs) / 1e6,
    () => Number.NEGATIVE_INFINITY,
  );
  const takenMono = monotonicMs();
  now = () => Math.max(waited(), taken + (monotonicMs() - takenMono));
  const mine = join(paths.lock, entry);
  // Signs of life for waiters that watch a long transaction. A failure (ENOENT: we were
  // passed over) changes nothing here: the commit is what protects the registry.
  const heartbeat = setInterval(() => void io.utimes(mine, new Date()).catch(() => {}), Math.floor(stale / 2));
  heartbeat.unref();
  const held = () =>
    io.lstat(mine).then(
      () => true,
      () => false,
    );
  try {
    return await fn({ held, now });
  } finally {
    clearInterval(heartbeat);
    try {
      await io.unlink(mine);
      // The lock is free now (empty). Where rename cannot replace an empty directory, the
      // next taker needs it gone: removed only while empty, so never another's lock.
      if (!RENAME_REPLACES_DIR) await io.rmdir(paths.lock).catch(() => {});
    } catch {
      // ENOENT: passed over meanwhile; the lock (if any) is another's now.
    }
  }
}
