/**
 * The waiters' queue of the registry lock. Polling alone is not a queue: a process that has
 * just released the lock starts its next write while the waiters sleep, takes the lock again,
 * and an unlucky waiter loses round after round (the tail of the wait under load). The queue
 * only orders who *tries*: the lock is still taken by its `rename` alone (see lock.ts), so a
 * queue that is wrong, stale or missing costs fairness, never safety.
 *
 * Shape: `registry.wait/` holds one empty file per queued waiter, `w.<pid>.<start>.<boot>.<place>.<since>.<token>`
 * (the holder entry's fields: whoever finds one can judge its process the same way).
 *
 * - Who queues: a waiter that has waited a while (lock.ts decides how long). A short wait
 *   stays a poll where whoever finds the lock free takes it: handing the lock to a sleeping
 *   waiter costs its wake-up each time, which a process already running does not.
 * - Who yields: a process that is not queued leaves a free lock to everyone queued (and does
 *   not try at all while it sees a queue). A queued one yields to the markers it saw when it
 *   queued, for the rest of its wait: a marker made after that listing is behind (its maker
 *   listed after this one's marker existed, or the two missed each other and neither
 *   yields to the other), so two waiters never yield to each other, and no clock is compared.
 * - Nobody waits on a process that does not come: markers of dead processes are removed by
 *   whoever waits behind them (exact name, like a dead holder's entry); and a waiter that
 *   has seen the lock free and then waited `HANDOFF_MS` without any of those it yields to
 *   leaving the queue takes its turn anyway, and from then on this process no longer yields
 *   to them (a stopped process, or one whose event loop is blocked). So a stopped waiter
 *   costs each other process one handoff window. The window does not restart when someone
 *   else takes the lock meanwhile: a process that has passed those ahead over takes a free
 *   lock at once, so a window that only counted one free lock might never run out, and the
 *   waiter behind a stopped one would wait until its deadline.
 * - The uncontended path pays one `lstat` of `registry.wait/` per lock: missing (until the
 *   first queue ever), or unchanged since this process last listed it empty; then it tries
 *   at once.
 */
import { join } from 'node:path';
import { codeOf, io } from './fsio.js';
import type { Owner } from './types.js';

/** The queue directory's name in the home. */
export const WAIT_DIR = 'registry.wait';
/** How long the lock may stay free while those ahead are still queued before a waiter takes its turn anyway. */
export const HANDOFF_MS = 8;

/** A marker as its name tells it: its waiter, and whether that is a process of this place (`null`: not a marker portlease wrote). */
export interface Marker {
  owner: Owner;
  local: boolean;
}

/** Parses a marker's name. */
export type ParseMarker = (marker: string) => Marker | null;

/**
 * Markers this process no longer yields to, by queue directory: they stayed queued while the
 * lock stood free for a handoff window. Names are unique (random token), so a new wait of the same process
 * starts with a clean slate; names that left the queue are forgotten at the next listing.
 */
const skippedByHome = new Map<string, Set<string>>();

/**
 * Queue directories this process last found empty, by the directory's inode, mtime and
 * ctime then: while those have not changed, nobody joined, and a look costs one `lstat`
 * instead of a listing (the uncontended path takes the lock twice per reserve + release).
 */
const emptyAt = new Map<string, string>();

/** What a waiter does when the lock looks free: take it, or leave it to those ahead. */
export type Turn = 'take' | 'yield' | 'take-over';

/**
 * The decision when the lock looks free (pure): `take` when nobody ahead is still queued;
 * `yield` while someone is and the lock has been free for less than `handoff` ms;
 * `take-over` after that (those ahead did not come).
 *
 * @example
 * turn(0, 0, 8); // 'take'
 * turn(2, 3, 8); // 'yield'
 * turn(2, 9, 8); // 'take-over'
 */
export function turn(ahead: number, freeFor: number, handoff: number = HANDOFF_MS): Turn {
  if (ahead === 0) return 'take';
  return freeFor < handoff ? 'yield' : 'take-over';
}

/**
 * The pause before a waiter looks again (pure): about 1 ms at the head of the queue (the
 * lock is its next, and every ms it sleeps on a free lock is lost to everyone), longer
 * further back (those ahead go first anyway), with jitter so that waiters spread out.
 * `random` is in [0, 1).
 *
 * @example
 * pause(0, 0.5); // 1
 * pause(3, 0.5); // 3.25
 */
export function pause(position: number, random: number, cap = 12): number {
  if (position === 0) return 1;
  return 1 + random * Math.min(cap, 1.5 * position);
}

/** One process's place in the queue, for one wait. */
export class WaitQueue {
  readonly #dir: string;
  readonly #marker: string;
  readonly #parse: ParseMarker;
  readonly #isQueued: (name: string, marker: Marker) => boolean | Promise<boolean>;
  readonly #skipped: Set<string>;
  readonly #handoff: number;
  readonly #onDead: (marker: string) => Promise<void>;
  /** Markers this waiter yields to (see the header); shrinks as they leave. */
  #ahead = new Set<string>();
  #joined = false;
  /** Since when (monotonic ms) this waiter has yielded a free lock to these same waiters (see the header). */
  #free: { ahead: Set<string>; since: number } | null = null;

  /**
   * @param marker this waiter's marker name
   * @param isQueued whether a marker's waiter still counts (false: dead, or gone too long)
   * @param onDead called after the marker of a dead waiter was removed (to remove what else it left)
   */
  constructor(
    home: string,
    marker: string,
    parse: ParseMarker,
    isQueued: (name: string, marker: Marker) => boolean | Promise<boolean>,
    handoff: number = HANDOFF_MS,
    onDead: (marker: string) => Promise<void> = async () => {},
  ) {
    this.#dir = join(home, WAIT_DIR);
    this.#handoff = handoff;
    this.#onDead = onDead;
    this.#marker = marker;
    this.#parse = parse;
    this.#isQueued = isQueued;
    const skipped = skippedByHome.get(this.#dir) ?? new Set<string>();
    skippedByHome.set(this.#dir, skipped);
    this.#skipped = skipped;
  }

  /** How many of those ahead are still queued (as of the last listing). */
  get position(): number {
    return this.#ahead.size;
  }

  /** Whether this waiter's marker is in the queue. */
  get joined(): boolean {
    return this.#joined;
  }

  /**
   * Looks at the queue before the first try. Returns true when someone is queued: then the
   * caller should wait instead of trying.
   */
  async look(): Promise<boolean> {
    const stat = await io.lstatIfAny(this.#dir).catch(() => undefined);
    if (stat === undefined) return false; // nobody ever waited here (or unreadable: nobody to yield to)
    const key = `${stat.ino}:${stat.mtimeNs}:${stat.ctimeNs}`;
    if (emptyAt.get(this.#dir) === key) return false;
    await this.#reload();
    if (this.#ahead.size === 0) emptyAt.set(this.#dir, key);
    else emptyAt.delete(this.#dir);
    return this.#ahead.size > 0;
  }

  /**
   * Adds this process's marker (once). A queue that cannot be written (no space, no
   * permission) only costs fairness: the waiter still polls, as if nobody were queued.
   */
  async join(): Promise<void> {
    if (this.#joined) return;
    this.#joined = true;
    // Those queued now are ahead of this waiter for the rest of its wait (see the header).
    await this.#reload();
    const path = join(this.#dir, this.#marker);
    try {
      await io.createEmpty(path, 0o600);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') return;
      try {
        await io.mkdir(this.#dir, 0o700).catch((again: unknown) => {
          if (codeOf(again) !== 'EEXIST') throw again;
        });
        await io.createEmpty(path, 0o600);
      } catch {
        // unqueued: see above
      }
    }
  }

  /** Removes this process's marker (after taking the lock, or giving up). */
  async leave(): Promise<void> {
    if (!this.#joined) return;
    this.#joined = false;
    await io.unlink(join(this.#dir, this.#marker)).catch(() => {});
  }

  /** Refreshes who of those ahead is still queued (between tries, so that `position` stays true). */
  async refresh(): Promise<void> {
    if (!this.#joined || this.#ahead.size === 0) return;
    const present = new Set(await this.#list());
    for (const name of this.#ahead) if (!present.has(name) || this.#skipped.has(name)) this.#ahead.delete(name);
  }

  /**
   * The lock looks free: whether to try it now. Removes the markers of dead processes ahead;
   * yields to live ones for up to a handoff window after the first free lock it yielded,
   * restarted whenever one of them leaves the queue (took its turn, or died).
   */
  async mayTry(now: number): Promise<boolean> {
    // Not queued itself, a waiter yields to everyone queued now.
    if (this.#joined) await this.refresh();
    else await this.#reload();
    for (const name of this.#ahead) {
      const marker = this.#parse(name);
      if (marker !== null && (await this.#isQueued(name, marker))) continue;
      this.#ahead.delete(name);
      // Unparseable names are nobody to wait for, and not ours to remove.
      if (marker === null) continue;
      const removed = await io.unlink(join(this.#dir, name)).then(
        () => true,
        () => false,
      );
      if (removed) await this.#onDead(name);
    }
    if (this.#ahead.size === 0) return true;
    // Restarted when one of those it yielded to left the queue (their turn came), not when
    // someone else took the lock (see the header).
    if (this.#free === null || [...this.#free.ahead].some((name) => !this.#ahead.has(name))) this.#free = { ahead: new Set(this.#ahead), since: now };
    const decision = turn(this.#ahead.size, now - this.#free.since, this.#handoff);
    if (decision === 'yield') return false;
    for (const name of this.#ahead) this.#skipped.add(name);
    this.#ahead.clear();
    return true;
  }

  /** Sets `ahead` to every marker queued now (but this one's, skipped ones and foreign names). */
  async #reload(): Promise<void> {
    this.#ahead = new Set((await this.#list()).filter((name) => !this.#skipped.has(name) && this.#parse(name) !== null));
  }

  /** The queue's names (none while it does not exist); forgets skipped markers that left. */
  async #list(): Promise<string[]> {
    let names: string[];
    try {
      names = await io.readdir(this.#dir);
    } catch {
      return []; // missing (nobody ever waited here), or unreadable: nobody to yield to
    }
    if (this.#skipped.size > 0) {
      const present = new Set(names);
      for (const name of this.#skipped) if (!present.has(name)) this.#skipped.delete(name);
    }
    return names.filter((name) => name !== this.#marker);
  }
}
