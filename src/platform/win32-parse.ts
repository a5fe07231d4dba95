/**
 * Parsers of Windows tool outputs (pure: text in, data out). Windows localizes most of
 * them (`LISTENING` is `ABHÖREN` in German, `Start Port` is `Startport`), so they read
 * numbers and shapes, never words.
 */
import { isPort } from './linux-parse.js';
import type { Listener, PortSpan, ProcessInfo } from './types.js';

/** What the CIM query of win32.ts prints: the last boot time and the process table. */
export interface CimSnapshot {
  /** `LastBootUpTime` as a FILETIME (100 ns since 1601, UTC), or `null`. */
  boot: string | null;
  table: Map<number, ProcessInfo>;
}

/**
 * Parses the output of win32.ts's PowerShell query: a `boot <filetime>` line, then one
 * `<pid> <filetime>` line per process (`-` where the creation time is hidden: the
 * System Idle Process, protected processes).
 *
 * @example
 * parseCimProcesses('boot 133443000000000000\r\n4 133443000100000000\r\n').table.get(4)?.start; // '133443000100000000'
 */
export function parseCimProcesses(text: string): CimSnapshot {
  const table = new Map<number, ProcessInfo>();
  let boot: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const bootMatch = /^\s*boot\s+(\d{15,20})\s*$/.exec(line);
    if (bootMatch) {
      boot = bootMatch[1]!;
      continue;
    }
    const match = /^\s*(\d+)\s+(\d{15,20}|-)\s*$/.exec(line);
    if (!match) continue;
    const pid = Number(match[1]);
    table.set(pid, { pid, start: match[2] === '-' ? null : match[2]!, running: true });
  }
  return { boot, table };
}

// FILETIME counts 100 ns from 1601-01-01; the Unix epoch is 11644473600 s later.
const EPOCH_FILETIME = 116_444_736_000_000_000n;

/**
 * A FILETIME string as epoch ms (rounded up: the latest ms it may stand for); `null` when not one.
 *
 * @example
 * filetimeToMs('116444736000000000'); // 0
 */
export function filetimeToMs(filetime: string): number | null {
  if (!/^\d{15,20}$/.test(filetime)) return null;
  const ticks = BigInt(filetime) - EPOCH_FILETIME;
  return Number((ticks + 9_999n) / 10_000n);
}

/**
 * Parses `netstat -ano`: TCP sockets whose foreign address is `0.0.0.0:0` or `[::]:0`
 * are the listening ones (the state column is localized; the foreign address is not).
 *
 * @example
 * parseNetstat('  TCP    0.0.0.0:135    0.0.0.0:0    LISTENING    1044\n'); // [{ address: '0.0.0.0', port: 135, pid: 1044, command: null }]
 */
export function parseNetstat(text: string): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields[0]?.toUpperCase() !== 'TCP' || fields.length < 4) continue;
    const local = fields[1]!;
    const foreign = fields[2]!;
    if (foreign !== '0.0.0.0:0' && foreign !== '[::]:0' && foreign !== '*:*') continue;
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    if (colon < 0 || !isPort(port)) continue;
    const last = fields[fields.length - 1]!;
    // Five columns with a state; a truncated line may lack the pid.
    const pid = fields.length >= 5 && /^\d+$/.test(last) ? Number(last) : null;
    listeners.push({ address: local.slice(0, colon).replace(/^\[|\]$/g, ''), port, pid: pid === 0 ? null : pid, command: null });
  }
  return listeners;
}

/**
 * Parses `netsh int ipv4 show dynamicport tcp`: the first number after a colon is the
 * start port, the second the number of ports (labels are localized).
 *
 * @example
 * parseDynamicPort('Start Port      : 49152\r\nNumber of Ports : 16384\r\n'); // { from: 49152, to: 65535, … }
 */
export function parseDynamicPort(text: string): PortSpan | null {
  const numbers = [...text.matchAll(/:\s*(\d+)\s*$/gm)].map((match) => Number(match[1]));
  const [start, count] = numbers;
  if (!isPort(start) || count === undefined || count < 1 || !isPort(start + count - 1)) return null;
  return { from: start, to: start + count - 1, source: 'netsh int ipv4 show dynamicport tcp' };
}

/**
 * Parses `netsh int ipv4 show excludedportrange protocol=tcp`: lines of two numbers
 * (start, end), `*` marking administered exclusions.
 *
 * @example
 * parseExcludedRanges('      5357        5357\r\n     50000       50059     *\r\n'); // two spans
 */
export function parseExcludedRanges(text: string): PortSpan[] {
  const spans: PortSpan[] = [];
  for (const match of text.matchAll(/^\s*(\d+)\s+(\d+)\s*\*?\s*$/gm)) {
    const from = Number(match[1]);
    const to = Number(match[2]);
    if (isPort(from) && isPort(to) && from <= to) spans.push({ from, to, source: 'netsh int ipv4 show excludedportrange protocol=tcp' });
  }
  return spans;
}
