/**
 * Parsers of macOS (and BSD) tool outputs (pure: text in, data out).
 */
import { isPort } from './linux-parse.js';
import type { Listener, PortSpan, ProcessInfo } from './types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Parses one `lstart` as `ps` prints it under `LC_ALL=C TZ=UTC0` (`Mon Nov 13 09:58:41 2023`)
 * into epoch seconds; `null` for anything else (a localized date, a cut-off column): such
 * a process gets no start time, and its owner is checked by pid only.
 *
 * @example
 * parseLstart('Mon Nov 13 09:58:41 2023'); // 1699869521
 */
export function parseLstart(text: string): number | null {
  const match = /^[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/.exec(text.trim());
  if (!match) return null;
  const month = MONTHS.indexOf(match[1]!);
  if (month < 0) return null;
  const ms = Date.UTC(Number(match[6]), month, Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5]));
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/**
 * Parses `ps -A -o pid=,stat=,lstart=` into a process table. Start times are epoch
 * seconds; `stat` beginning with `Z` is a zombie.
 *
 * @example
 * parsePsTable('  42 Ss   Mon Nov 13 09:58:41 2023\n').get(42); // { pid: 42, start: '1699869521', running: true }
 */
export function parsePsTable(text: string): Map<number, ProcessInfo> {
  const table = new Map<number, ProcessInfo>();
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const pid = Number(match[1]);
    const seconds = parseLstart(match[3] ?? '');
    table.set(pid, { pid, start: seconds === null ? null : String(seconds), running: !match[2]!.startsWith('Z') });
  }
  return table;
}

/** What `sysctl -n kern.bootsessionuuid kern.boottime` says (either line may be missing). */
export interface DarwinBoot {
  /** `kern.bootsessionuuid`: a random id per boot (macOS 10.13+), never moved by the clock. */
  session: string | null;
  /** `kern.boottime` as `sec.usec`: moves when the wall clock is stepped. */
  boottime: string | null;
}

/**
 * Parses the output of `sysctl -n kern.bootsessionuuid kern.boottime`.
 *
 * @example
 * parseDarwinBoot('{ sec = 1699869520, usec = 5 } Mon Nov 13 09:58:40 2023\n'); // { session: null, boottime: '1699869520.000005' }
 */
export function parseDarwinBoot(text: string): DarwinBoot {
  const session = /^\s*([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\s*$/m.exec(text)?.[1] ?? null;
  const time = /sec\s*=\s*(\d+),\s*usec\s*=\s*(\d+)/.exec(text);
  const boottime = time ? `${time[1]}.${time[2]!.padStart(6, '0')}` : null;
  return { session: session === null ? null : session.toUpperCase(), boottime };
}

/**
 * Parses `lsof -nP -iTCP -sTCP:LISTEN -Fpcn` (field output: `p<pid>`, `c<command>`,
 * `f<fd>`, `n<address:port>` lines). `*` is every address.
 *
 * @example
 * parseLsof('p42\ncnode\nf21\nn*:3000\n'); // [{ address: '0.0.0.0', port: 3000, pid: 42, command: 'node' }]
 */
export function parseLsof(text: string): Listener[] {
  const listeners: Listener[] = [];
  let pid: number | null = null;
  let command: string | null = null;
  for (const line of text.split('\n')) {
    const value = line.slice(1).trim();
    if (line.startsWith('p')) {
      pid = /^\d+$/.test(value) ? Number(value) : null;
      command = null;
    } else if (line.startsWith('c')) command = value || null;
    else if (line.startsWith('n')) {
      const colon = value.lastIndexOf(':');
      const port = Number(value.slice(colon + 1));
      // An established connection would read `a:1->b:2`; only listening sockets are asked for.
      if (colon < 0 || value.includes('->') || !isPort(port)) continue;
      const host = value.slice(0, colon).replace(/^\[|\]$/g, '');
      listeners.push({ address: host === '*' ? '0.0.0.0' : host, port, pid, command });
    }
  }
  return listeners;
}

/**
 * Parses `sysctl -n net.inet.ip.portrange.first net.inet.ip.portrange.last`.
 *
 * @example
 * parseSysctlRange('49152\n65535\n'); // { from: 49152, to: 65535, source: 'sysctl net.inet.ip.portrange' }
 */
export function parseSysctlRange(text: string): PortSpan | null {
  const [from, to, extra] = text.trim().split(/\s+/).map(Number);
  if (extra !== undefined || !isPort(from) || !isPort(to) || from > to) return null;
  return { from, to, source: 'sysctl net.inet.ip.portrange' };
}
