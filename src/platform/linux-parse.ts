/**
 * Parsers of Linux's `/proc` texts (pure: text in, data out).
 */
import type { PortSpan } from './types.js';

/** State and start time of a process, from `/proc/<pid>/stat`. */
export interface ProcStat {
  /** One letter: `R`, `S`, `D`, `Z` (zombie), `X` (dead), … */
  state: string;
  /** Field 22: clock ticks after boot. */
  start: string;
}

/**
 * Parses `/proc/<pid>/stat`; `null` for text that is not one.
 *
 * @example
 * parseProcStat('42 (node) S 1 42 42 0 -1 …'); // { state: 'S', start: '…' }
 */
export function parseProcStat(text: string): ProcStat | null {
  // The command name (field 2) may hold spaces and ')' itself: parse after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // After the name: field 3 (state) is index 0, field 22 (starttime) is index 19.
  const state = fields[0];
  const start = fields[19];
  return state && start && /^\d+$/.test(start) ? { state, start } : null;
}

/** A listening socket as `/proc/net/tcp` shows it. */
export interface ProcSocket {
  address: string;
  port: number;
  inode: string;
}

const LISTEN = '0A';

/**
 * Parses the text of `/proc/net/tcp` or `/proc/net/tcp6` into its listening sockets.
 *
 * @example
 * parseProcNetTcp(text).filter((socket) => socket.port === 20001);
 */
export function parseProcNetTcp(text: string): ProcSocket[] {
  const sockets: ProcSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const state = fields[3];
    const inode = fields[9];
    if (local === undefined || state !== LISTEN || inode === undefined) continue;
    const [hexAddress = '', hexPort = ''] = local.split(':');
    sockets.push({ address: decodeAddress(hexAddress), port: Number.parseInt(hexPort, 16), inode });
  }
  return sockets;
}

/** The kernel prints addresses as 32-bit words in host (little-endian) byte order. */
function decodeAddress(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = hex.slice(word, word + 8);
    const wordBytes = (chunk.match(/../g) ?? []).map((pair) => Number.parseInt(pair, 16));
    bytes.push(...wordBytes.reverse());
  }
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.every((byte) => byte === 0)) return '::';
  if (bytes.slice(0, 15).every((byte) => byte === 0) && bytes[15] === 1) return '::1';
  if (bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) {
    groups.push((((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0)).toString(16));
  }
  return groups.join(':');
}

/**
 * Parses `/proc/sys/net/ipv4/ip_local_port_range` (`32768\t60999`); `null` when malformed.
 *
 * @example
 * parsePortRangeFile('32768\t60999\n', 'file'); // { from: 32768, to: 60999, source: 'file' }
 */
export function parsePortRangeFile(text: string, source: string): PortSpan | null {
  const [from, to, extra] = text.trim().split(/\s+/).map(Number);
  if (extra !== undefined || !isPort(from) || !isPort(to) || from > to) return null;
  return { from, to, source };
}

/**
 * Parses `/proc/sys/net/ipv4/ip_local_reserved_ports` (`8080,9000-9010`, empty when none).
 *
 * @example
 * parseReservedPorts('8080,9000-9010\n', 'file'); // [{ from: 8080, to: 8080, … }, { from: 9000, to: 9010, … }]
 */
export function parseReservedPorts(text: string, source: string): PortSpan[] {
  const spans: PortSpan[] = [];
  for (const part of text.trim().split(',')) {
    const match = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!match) continue;
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (isPort(from) && isPort(to) && from <= to) spans.push({ from, to, source });
  }
  return spans;
}

/** Type guard for a TCP port number. */
export function isPort(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value >= 1 && value <= 65_535;
}
