/**
 * The lock's holders and waiters as their names tell them (see lock.ts for the protocol):
 * naming and parsing holder entries and queue markers, reading who holds the lock, passing
 * over a holder that is dead or silent, and removing what dead processes left (their
 * entries, staging directories and queue markers). Only exact names are ever removed.
 */
import { join } from 'node:path';
import { LOCK_STALE_MS } from './defaults.js';
import { storageError } from './errors.js';
import { codeOf, io } from './fsio.js';
import { type Marker, WAIT_DIR } from './lock-queue.js';
import { hereTag, isAlive, isPidAlive, ownerOf, shortTag } from './owner.js';
import type { RegistryPaths } from './paths.js';
import { monotonicMs } from './platform/snapshot.js';
import type { Owner } from './types.js';

/** A holder as its entry name tells it. */
export interface LockHolder {
  pid: number;
  /** True when it is a process of this host, pid namespace and boot. */
  local: boolean;
  /** When it took the lock (its own clock). */
  since: number;
  /** The entry's name. */
  entry: string;
}

// POSIX rename replaces an empty directory; Windows' does not (EPERM), so there a release
// removes the emptied lock directory itself.
export const RENAME_REPLACES_DIR = process.platform !== 'win32';
const STAGE = /^\.lock-(\d+)-([0-9a-f]+)-[0-9a-f]+$/;
const tag = shortTag;

// Read on first use: on Windows the identity costs a PowerShell query, not for an import.
let self: { owner: Owner; bootTag: string } | undefined;
export const whoAmI = () => {
  if (self === undefined) {
    const owner = ownerOf();
    self = { owner, bootTag: tag(owner.boot ?? '') };
  }
  return self;
};

/**
 * The entry name of a holder: pid, start time, and tags of its boot and of its host + pid
 * namespace (short hashes: a name must fit, and only equality matters). `since` is written
 * in whole ms: a fake Date.now() may return a fraction, whose '.' would make a name that
 * parseEntry rejects (a dead holder not judged, a dead waiter's marker never removed).
 */
export function holderEntry(owner: Owner, since: number, token: string): string {
  return ['h', owner.pid, owner.start ?? '-', tag(owner.boot ?? ''), tag(`${owner.host}|${owner.ns ?? ''}`), Math.trunc(since).toString(36), token].join('.');
}

/** Parses an entry name; `null` for anything portlease did not write. */
export function parseEntry(entry: string): (LockHolder & { owner: Owner }) | null {
  const parts = entry.split('.');
  if (parts.length !== 7 || parts[0] !== 'h' || !/^\d+$/.test(parts[1]!)) return null;
  const [, pid, start, boot, place, since] = parts as [string, string, string, string, string, string];
  const here = place === hereTag();
  const { owner: me, bootTag } = whoAmI();
  // Rebuilt so that isAlive judges it like a lease owner: another boot of this machine is
  // dead, another machine or pid namespace is unknown (alive).
  const owner: Owner = {
    pid: Number(pid),
    start: start === '-' ? null : start,
    boot: boot === bootTag ? me.boot : `boot:${boot}`,
    ns: here ? me.ns : `elsewhere:${place}`,
    host: here ? me.host : `elsewhere:${place}`,
  };
  return { pid: owner.pid, local: here && boot === bootTag, since: parseInt(since, 36), entry, owner };
}

/** Parses a waiter's marker of the queue (lock-queue.ts): a holder entry's fields under `w.`. */
export function parseMarker(marker: string): (LockHolder & { owner: Owner }) | null {
  return marker.startsWith('w.') ? parseEntry(`h${marker.slice(1)}`) : null;
}

/**
 * Removes the stage a dead waiter left (its marker told its pid, place and token, so the
 * exact name): a waiter killed while it waited leaves both.
 */
export async function removeDeadWaiter(paths: RegistryPaths, marker: string): Promise<void> {
  const [, pid, , , place, , token] = marker.split('.');
  if (pid === undefined || place === undefined || token === undefined) return;
  await removeStage(join(paths.dir, `.lock-${pid}-${place}-${token}`), `h${marker.slice(1)}`);
}

/**
 * Removes exactly the entry `name` of `dir`: an empty file (this portlease's holders), or a
 * directory (written by hand, or by a portlease that kept directories there).
 */
async function removeEntry(dir: string, name: string): Promise<void> {
  const path = join(dir, name);
  try {
    await io.unlink(path);
  } catch (error) {
    // unlink of a directory: EISDIR on Linux, EPERM on macOS and Windows.
    if (codeOf(error) !== 'EISDIR' && codeOf(error) !== 'EPERM') throw error;
    await io.rmdir(path).catch((again: unknown) => {
      throw codeOf(again) === 'ENOTDIR' ? error : again;
    });
  }
}

/** The entries of the lock directory (empty when it is free). */
export async function entries(paths: RegistryPaths): Promise<string[]> {
  try {
    return await io.readdir(paths.lock);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return [];
    throw storageError(error, paths.lock, 'read');
  }
}

/**
 * What a waiter remembers of the holders it watches: the mtime it last saw and since when
 * (its own monotonic clock) that mtime has not changed.
 */
export type Watch = Map<string, { mtime: bigint; since: number }>;

/**
 * Looks at the holder and passes it over when it is dead or silent. Returns true when the
 * lock may be free now (try again at once).
 */
export async function passOverDeadHolder(paths: RegistryPaths, watch: Watch, stale: number): Promise<boolean> {
  const names = await entries(paths);
  if (names.length === 0) {
    // Empty: free (its holder released since the failed rename). rename replaces it on
    // POSIX; removing it helps where rename cannot.
    if (!RENAME_REPLACES_DIR) await io.rmdir(paths.lock).catch(() => {});
    return true;
  }
  let passed = false;
  for (const entry of names) {
    const holder = parseEntry(entry);
    let silent = false;
    if (holder === null || isAlive(holder.owner)) {
      let mtime: bigint;
      try {
        mtime = (await io.lstat(join(paths.lock, entry))).mtimeNs;
      } catch {
        return true; // released meanwhile
      }
      const seen = watch.get(entry);
      const now = monotonicMs();
      if (seen === undefined || seen.mtime !== mtime) watch.set(entry, { mtime, since: now });
      else silent = now - seen.since >= stale;
      if (!silent) continue;
    }
    try {
      await removeEntry(paths.lock, entry);
      passed = true;
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return true;
      if (codeOf(error) !== 'ENOTEMPTY') throw storageError(error, paths.lock, 'take over');
    }
  }
  if (passed) await sweepStages(paths);
  return passed;
}

/** Removes staging directories of waiters that died before they got the lock. */
async function sweepStages(paths: RegistryPaths): Promise<void> {
  const names = await io.readdir(paths.dir).catch(() => [] as string[]);
  for (const name of names) {
    const [, pid, place] = STAGE.exec(name) ?? [];
    // Only pids of this host and pid namespace mean something here.
    if (pid === undefined || place !== hereTag() || Number(pid) === process.pid || isPidAlive(Number(pid))) continue;
    const stage = join(paths.dir, name);
    for (const entry of await io.readdir(stage).catch(() => [] as string[])) await removeEntry(stage, entry).catch(() => {});
    await io.rmdir(stage).catch(() => {});
  }
}

/** The current holder, for messages and `doctor`. */
export async function lockHolder(paths: RegistryPaths): Promise<LockHolder | null> {
  const [entry] = await entries(paths).catch(() => [] as string[]);
  if (entry === undefined) return null;
  return parseEntry(entry) ?? { pid: 0, local: false, since: Number.NaN, entry };
}

/** Removes a stage and the entry in it (a waiter's own on giving up, or a dead one's). */
export async function removeStage(stage: string, entry: string): Promise<void> {
  await io.unlink(join(stage, entry)).catch(() => {});
  await io.rmdir(stage).catch(() => {});
}

/** What {@link lockState} tells `doctor`. */
export interface LockState {
  held: boolean;
  holder: LockHolder | null;
  /** How long it has been held (local holders only). */
  ageMs: number | null;
  /** Processes queued for it in `registry.wait/` that are alive (see lock-queue.ts). */
  waiting: number;
}

/**
 * Whether a waiter's marker still counts as queued. A waiter of this place whose start time
 * is known is judged by its process. One of another place (a container sharing this home),
 * or whose start time its platform could not tell (a reused pid would pass for it), cannot
 * be: it counts until its marker is older than the stale time, its mtime (stamped by the
 * kernel when it was made) against `now`, so one killed there does not tax every process
 * here forever (it waited too long anyway).
 */
export async function markerCounts(paths: RegistryPaths, name: string, marker: Marker, now: number, stale: number): Promise<boolean> {
  if (!isAlive(marker.owner)) return false;
  if (marker.owner.start !== null && marker.local) return true;
  const made = await io.lstat(join(paths.dir, WAIT_DIR, name)).then(
    (stat) => Number(stat.mtimeMs),
    () => null,
  );
  return made !== null && now - made < stale;
}

/** Lock state for `doctor`: whether the lock is held, by whom, for how long, and how many wait in its queue. */
export async function lockState(paths: RegistryPaths): Promise<LockState> {
  const [holder, markers] = await Promise.all([lockHolder(paths), io.readdir(join(paths.dir, WAIT_DIR)).catch(() => [] as string[])]);
  // Counted as a waiter counts them (display only: this process's clock is good enough).
  const now = Date.now();
  const counts = await Promise.all(
    markers.map((marker) => {
      const parsed = parseMarker(marker);
      return parsed !== null && markerCounts(paths, marker, parsed, now, LOCK_STALE_MS);
    }),
  );
  const waiting = counts.filter(Boolean).length;
  if (holder === null) return { held: false, holder: null, ageMs: null, waiting };
  return { held: true, holder, ageMs: holder.local && Number.isFinite(holder.since) ? Date.now() - holder.since : null, waiting };
}
