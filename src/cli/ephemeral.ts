/**
 * The OS's ephemeral port range: ports there are handed to outgoing connections at any
 * moment, so a registry range overlapping it invites "address in use" surprises.
 */
import { currentPlatform, type PortSpan } from '../platform/index.js';

/** An ephemeral range and where it was read from. */
export type EphemeralRange = PortSpan;

/**
 * Reads the ephemeral range from the platform (`/proc/sys/net/ipv4/ip_local_port_range`,
 * `sysctl net.inet.ip.portrange`, `netsh int ipv4 show dynamicport tcp`), else IANA's
 * 49152-65535. Never throws.
 *
 * @example
 * const { from, to } = await ephemeralRange(); // 32768, 60999 on most Linux machines
 */
export async function ephemeralRange(): Promise<EphemeralRange> {
  return currentPlatform().ephemeralRange();
}
