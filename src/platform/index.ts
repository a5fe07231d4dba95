/**
 * The platform of this process: the one module that picks by `process.platform`.
 */
import { darwinPlatform } from './darwin.js';
import { genericPlatform } from './generic.js';
import { linuxPlatform } from './linux.js';
import type { Platform } from './types.js';
import { win32Platform } from './win32.js';

export type { BootIdentity, Listener, Platform, PortSpan, ProcessInfo, ProcessQuery } from './types.js';

/**
 * A platform for `os` (the BSDs share macOS's tools).
 *
 * @example
 * platformFor('darwin').name; // 'darwin'
 */
export function platformFor(os: string): Platform {
  if (os === 'linux' || os === 'android') return linuxPlatform();
  if (os === 'darwin' || os === 'freebsd' || os === 'openbsd' || os === 'netbsd') return darwinPlatform();
  if (os === 'win32') return win32Platform();
  return genericPlatform(os);
}

let current: Platform | undefined;

/**
 * This machine's platform, created on first use (so that importing portlease spawns nothing).
 *
 * @example
 * currentPlatform().ephemeralRange(); // { from: 32768, to: 60999, source: '/proc/sys/net/ipv4/ip_local_port_range' }
 */
export function currentPlatform(): Platform {
  current ??= platformFor(process.platform);
  return current;
}
