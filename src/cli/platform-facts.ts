/**
 * The platform facts `doctor` prints: what portlease read from this OS and how strong its
 * owner check is here, so that a user can see what is weaker on their machine.
 */
import { ownerOf } from '../owner.js';
import { currentPlatform, type BootIdentity, type Platform, type PortSpan } from '../platform/index.js';

/** What doctor shows about the platform. */
export interface PlatformFacts {
  /** The platform module: `linux`, `darwin`, `win32` or `generic`. */
  name: string;
  boot: BootIdentity;
  /** How an owner's liveness is judged here, in words. */
  owners: string;
  /** The OS's reserved or excluded ports (never handed out). */
  reserved: PortSpan[];
  /** Warnings the platform gave (a missing tool, an output not understood). */
  warnings: string[];
}

/**
 * Reads the platform facts (spawns what the platform needs, once).
 *
 * @example
 * platformFacts().owners; // 'pid + start time (/proc/<pid>/stat) + boot id'
 */
export function platformFacts(platform: Platform = currentPlatform()): PlatformFacts {
  const boot = platform.boot();
  const me = platform === currentPlatform() ? ownerOf() : null;
  return {
    name: platform.name,
    boot,
    owners: describeOwnerCheck(platform.name, me?.start ?? null, boot),
    reserved: platform.reservedRanges(),
    warnings: platform.warnings(),
  };
}

/** The owner check in words (pure). */
export function describeOwnerCheck(name: string, selfStart: string | null, boot: BootIdentity): string {
  if (selfStart === null) return 'pid only (kill(pid, 0)): a reused pid looks alive until the lease is released or expires';
  const start = { linux: '/proc/<pid>/stat', darwin: 'ps -A -o lstart', win32: 'Win32_Process.CreationDate' }[name] ?? 'the OS';
  if (boot.stable && boot.id !== null) return `pid + start time (${start}) + boot id`;
  // Linux counts start times from boot: without a boot id, an owner of a previous boot can match.
  if (name === 'linux') return `pid + start time (${start}); no boot id, so a pid reused after a reboot may look alive`;
  return `pid + start time (${start}, absolute: a process of a previous boot cannot match)`;
}
