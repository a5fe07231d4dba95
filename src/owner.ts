/**
 * Process identity and liveness. A pid alone is reused within minutes (pid_max is often
 * 32768), so an owner is pid + process start time + boot id + pid namespace + hostname.
 * What the OS tells about processes comes from the platform layer (src/platform/).
 */
import { hostname } from 'node:os';
import { currentPlatform } from './platform/index.js';
import { pidExists } from './platform/linux.js';
import { sha1Hex } from './sha1.js';
import type { Platform } from './platform/types.js';
import type { Owner } from './types.js';

/** The owner rules over one platform (see {@link ownerRules}). */
export interface OwnerRules {
  /** Identity of a process of this machine, by default the current one. */
  ownerOf(pid?: number): Owner;
  /** True when the owner lives on this host, boot and pid namespace, so its pid means something here. */
  isLocal(owner: Owner): boolean;
  /** True when `owner` is the current process. */
  isSelf(owner: Owner): boolean;
  /** Whether the owner is alive (see {@link isAlive}). */
  isAlive(owner: Owner): boolean;
  /** Whether a pid of this machine is in use at all (pid reuse makes this a weak "maybe"). */
  isPidAlive(pid: number): boolean;
}

/** What {@link ownerRules} may be given instead of this process's facts (tests). */
export interface OwnerContext {
  /** @default os.hostname() */
  host?: string;
  /** @default process.pid */
  pid?: number;
  /** `kill(pid, 0)`, the fallback when the platform cannot list processes. */
  exists?: (pid: number) => boolean;
}

/**
 * The owner rules over `platform`: identity and liveness as that OS lets us see them.
 * Facts are read on first use, so that creating the rules spawns nothing.
 *
 * @example
 * const rules = ownerRules(linuxPlatform());
 * rules.isAlive(rules.ownerOf()); // true
 */
export function ownerRules(platform: Platform, context: OwnerContext = {}): OwnerRules {
  const host = context.host ?? hostname();
  const selfPid = context.pid ?? process.pid;
  const exists = context.exists ?? pidExists;
  let facts: { boot: string | null; ns: string | null } | undefined;
  let me: Owner | undefined;

  const here = () => {
    if (facts === undefined) {
      const boot = platform.boot();
      // A boot id that moves with the clock would make live owners look like a previous boot's.
      facts = { boot: boot.stable ? boot.id : null, ns: platform.pidNamespace() };
    }
    return facts;
  };
  const startOf = (pid: number) => platform.processes([{ pid, start: null }])?.get(pid)?.start ?? null;
  // The current process's identity, read once: it is asked for on every transaction.
  const self = () => (me ??= { pid: selfPid, start: startOf(selfPid), ...here(), host });

  /** Whether `pid` runs, and (when `start` is known and the OS tells) is the process started then. */
  const processAlive = (pid: number, start: string | null): boolean => {
    const table = platform.processes([{ pid, start }]);
    if (table === null) return exists(pid); // the OS cannot be asked: kill(0), blind to pid reuse
    const info = table.get(pid);
    if (info === undefined || !info.running) return false; // gone, or a zombie
    // A start time the OS hides (another user's process) cannot be compared: alive.
    return start === null || info.start === null || info.start === start;
  };

  const isLocal = (owner: Owner) => owner.host === host && owner.boot === here().boot && owner.ns === here().ns;
  return {
    ownerOf: (pid = selfPid) => (pid === selfPid ? { ...self() } : { pid, start: startOf(pid), ...here(), host }),
    isLocal,
    isSelf: (owner) => isLocal(owner) && owner.pid === selfPid && owner.start === self().start,
    isAlive(owner) {
      if (owner.host !== host || owner.ns !== here().ns) return true;
      if (owner.boot !== here().boot) return owner.boot === null || here().boot === null;
      // This very process (its own leases, every transaction it makes): no need to ask the OS.
      if (owner.pid === selfPid && owner.start === self().start) return true;
      return processAlive(owner.pid, owner.start);
    },
    isPidAlive: (pid) => processAlive(pid, null),
  };
}

let rules: OwnerRules | undefined;
const current = () => (rules ??= ownerRules(currentPlatform()));

/**
 * Identity of a process of this machine, by default the current one.
 *
 * @example
 * ownerOf(process.pid).pid === process.pid; // true
 */
export function ownerOf(pid: number = process.pid): Owner {
  return current().ownerOf(pid);
}

/** True when the owner lives on this host, boot and pid namespace, so its pid means something here. */
export function isLocal(owner: Owner): boolean {
  return current().isLocal(owner);
}

/** True when `owner` is the current process. */
export function isSelf(owner: Owner): boolean {
  return current().isSelf(owner);
}

/**
 * Whether the owner is alive. An owner of this host and pid namespace but another boot
 * died with that boot (a power cut during `portlease run`). Foreign owners (another host
 * or pid namespace, e.g. a container sharing the registry) count as alive: their pid
 * means nothing here and only a ttl can end their lease.
 */
export function isAlive(owner: Owner): boolean {
  return current().isAlive(owner);
}

/** Whether a pid of this machine is in use at all (pid reuse makes this a weak "maybe"). */
export function isPidAlive(pid: number): boolean {
  return current().isPidAlive(pid);
}

/** True when two owner records name the same process (pid alone is not enough: pids are reused). */
export function sameOwner(a: Owner, b: Owner): boolean {
  return a.pid === b.pid && a.start === b.start && a.boot === b.boot && a.ns === b.ns && a.host === b.host;
}

/** A short hash of a text: names on disk only need equality, and must stay short. */
export const shortTag = (text: string) => sha1Hex(text).slice(0, 8);

let place: string | undefined;

/**
 * This host and pid namespace as a short tag: names on disk that carry a pid carry it too,
 * so a sweeper only judges the pids of its own place (a container sharing the registry
 * has pids that mean nothing here). Computed by the first write: a read needs none of it.
 */
export const hereTag = (): string => (place ??= shortTag(`${hostname()}|${currentPlatform().pidNamespace() ?? ''}`));
