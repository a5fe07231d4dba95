/**
 * The OS's ephemeral port range: ports there are handed to outgoing connections at any
 * moment, so a registry range overlapping it invites "address in use" surprises.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** An ephemeral range and where it was read from. */
export interface EphemeralRange {
  from: number;
  to: number;
  source: string;
}

/** IANA's suggestion, which macOS and Windows follow by default. */
const IANA: EphemeralRange = { from: 49_152, to: 65_535, source: 'IANA default' };

/**
 * Reads the ephemeral range: `/proc/sys/net/ipv4/ip_local_port_range` on Linux, `sysctl` on
 * macOS/BSD, else IANA's 49152-65535. Never throws.
 *
 * @example
 * const { from, to } = await ephemeralRange(); // 32768, 60999 on most Linux machines
 */
export async function ephemeralRange(): Promise<EphemeralRange> {
  try {
    if (process.platform === 'linux') {
      const file = '/proc/sys/net/ipv4/ip_local_port_range';
      const [from, to] = (await readFile(file, 'utf8')).trim().split(/\s+/).map(Number);
      if (Number.isInteger(from) && Number.isInteger(to)) return { from: from as number, to: to as number, source: file };
    } else if (process.platform === 'darwin' || process.platform === 'freebsd') {
      const output = await new Promise<string>((resolve) => {
        execFile('sysctl', ['-n', 'net.inet.ip.portrange.first', 'net.inet.ip.portrange.last'], { timeout: 5000 }, (_error, stdout) =>
          resolve(String(stdout)),
        );
      });
      const [from, to] = output.trim().split(/\s+/).map(Number);
      if (Number.isInteger(from) && Number.isInteger(to)) return { from: from as number, to: to as number, source: 'sysctl net.inet.ip.portrange' };
    }
  } catch {
    // Unknown: fall back to IANA's range.
  }
  return IANA;
}
