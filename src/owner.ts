/**
 * Process identity and liveness. A pid alone is reused within minutes (pid_max is often
 * 32768), so an owner is pid + process start time + boot id + pid namespace + hostname.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Owner } from './types.js';

function readOrNull(read: () => string): string | null {
  try {
    return read().trim() || null;
  } catch {
    return null;
  }
}

const BOOT_ID = readOrNull(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
const PID_NS = readOrNull(() => readlinkSync('/proc/self/ns/pid'));
const HOST = hostname();

/** A short hash of a text: names on disk only need equality, and must stay short. */
export const shortTag = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 8);

/**
 * This host and pid namespace as a short tag: names on disk that carry a pid carry it too,
 * so a sweeper only judges the pids of its own place (a container sharing the registry
 * has pids that mean nothing here).
 */
export const PLACE = shortTag(`${HOST}|${PID_NS ?? ''}`);

interface ProcStat {
  state: string;
  start: string;
}

/** Reads state and start time from `/proc/<pid>/stat`; `null` off Linux or for a gone pid. */
function procStat(pid: number): ProcStat | null {
  const text = readOrNull(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (text === null) return null;
  // The command name (field 2) may hold spaces and ')' itself: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: field 3 (state) is index 0, field 22 (starttime) is index 19.
  const state = fields[0];
  const start = fields[19];
  return state && start ? { state, start } : null;
}

/**
 * Identity of a process of this machine, by default the current one.
 *
 * @example
 * ownerOf(process.pid).pid === process.pid; // true
 */
export function ownerOf(pid: number = process.pid): Owner {
  if (pid === process.pid) return { ...self() };
  return { pid, start: procStat(pid)?.start ?? null, boot: BOOT_ID, ns: PID_NS, host: HOST };
}

let me: Owner | undefined;
/** The current process's identity, read once: it is asked for on every transaction. */
function self(): Owner {
  me ??= { pid: process.pid, start: procStat(process.pid)?.start ?? null, boot: BOOT_ID, ns: PID_NS, host: HOST };
  return me;
}

/** True when the owner lives on this host, boot and pid namespace, so its pid means something here. */
export function isLocal(owner: Owner): boolean {
  return owner.host === HOST && owner.boot === BOOT_ID && owner.ns === PID_NS;
}

/** True when two owner records name the same process (pid alone is not enough: pids are reused). */
export function sameOwner(a: Owner, b: Owner): boolean {
  return a.pid === b.pid && a.start === b.start && a.boot === b.boot && a.ns === b.ns && a.host === b.host;
}

/** True when `owner` is the current process. */
export function isSelf(owner: Owner): boolean {
  return isLocal(owner) && owner.pid === process.pid && owner.start === self().start;
}

/**
 * Whether the owner is alive. An owner of this host and pid namespace but another boot
 * died with that boot (a power cut during `portlease run`). Foreign owners (another host
 * or pid namespace, e.g. a container sharing the registry) count as alive: their pid
 * means nothing here and only a ttl can end their lease.
 */
export function isAlive(owner: Owner): boolean {
  if (owner.host !== HOST || owner.ns !== PID_NS) return true;
  if (owner.boot !== BOOT_ID) return owner.boot === null || BOOT_ID === null;
  return isProcessAlive(owner.pid, owner.start);
}

/** Whether a pid of this machine is in use at all (pid reuse makes this a weak "maybe"). */
export function isPidAlive(pid: number): boolean {
  return isProcessAlive(pid, null);
}

/** Whether `pid` runs, and (when `start` is known and /proc tells) is the process started then. */
function isProcessAlive(pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat === null) return start === null; // no /proc: trust kill(0)
  if (stat.state === 'Z' || stat.state === 'X') return false; // zombie or dead
  return start === null || stat.start === start;
}
