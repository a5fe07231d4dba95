/**
 * Linux: everything from `/proc`, no process spawned. Start times are clock ticks since
 * boot (`/proc/<pid>/stat` field 22), so the boot id (`/proc/sys/kernel/random/boot_id`)
 * is part of an owner's identity.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { onceWarner, emitWarning, type WarnSink, signalProcess } from './exec.js';
import { parseProcNetTcp, parseProcStat, parsePortRangeFile, parseReservedPorts } from './linux-parse.js';
import { type Clocks, remembered, systemClocks } from './snapshot.js';
import { IANA_EPHEMERAL, type Listener, type Platform, type ProcessInfo } from './types.js';

/** What the Linux module reads (tests give a recorded `/proc`). */
export interface LinuxDeps {
  /** A file's text, `null` when it cannot be read. */
  read(path: string): string | null;
  /** A symlink's target, `null` when it cannot be read. */
  readlink(path: string): string | null;
  /** A directory's names, `[]` when it cannot be read. */
  readdir(path: string): string[];
  /** `kill(pid, 0)`: true when the pid exists (EPERM included: another user's process). */
  exists(pid: number): boolean;
  warn?: WarnSink;
  /** Clocks of the caches (tests pass fake ones). */
  clocks?: Clocks;
}

const RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
const RESERVED_FILE = '/proc/sys/net/ipv4/ip_local_reserved_ports';

/**
 * The Linux platform over `deps` (by default the real `/proc`).
 *
 * @example
 * linuxPlatform().boot(); // { id: '3f0c…', stable: true, source: '/proc/sys/kernel/random/boot_id' }
 */
export function linuxPlatform(deps: LinuxDeps = realLinux()): Platform {
  const warner = onceWarner(deps.warn ?? emitWarning);
  const bootId = deps.read('/proc/sys/kernel/random/boot_id')?.trim() || null;
  const ns = deps.readlink('/proc/self/ns/pid');
  const procMounted = deps.read('/proc/self/stat') !== null;
  if (!procMounted) warner.warn('proc', 'portlease: /proc is not readable; owners are checked by pid only (a reused pid looks alive).');

  // Asked on every reserve (request.ts): read once a minute, as the other OSes do.
  const clocks = deps.clocks ?? systemClocks;
  const ephemeralRange = remembered(60_000, clocks, () => {
    const text = deps.read(RANGE_FILE);
    const span = text === null ? null : parsePortRangeFile(text, RANGE_FILE);
    if (span === null) warner.warn('range', `portlease: cannot read ${RANGE_FILE}; assuming IANA's ephemeral range 49152-65535.`);
    return span ?? IANA_EPHEMERAL;
  });
  const reservedRanges = remembered(60_000, clocks, () => {
    const text = deps.read(RESERVED_FILE);
    return text === null ? [] : parseReservedPorts(text, RESERVED_FILE);
  });

  const info = (pid: number): ProcessInfo | undefined => {
    const text = deps.read(`/proc/${pid}/stat`);
    const stat = text === null ? null : parseProcStat(text);
    if (stat !== null) return { pid, start: stat.start, running: stat.state !== 'Z' && stat.state !== 'X' };
    // Unreadable (hidepid hides other users' processes) but kill(0) sees it: alive, start unknown.
    return deps.exists(pid) ? { pid, start: null, running: true } : undefined;
  };

  return {
    name: 'linux',
    boot: () => ({ id: bootId, stable: true, source: '/proc/sys/kernel/random/boot_id' }),
    pidNamespace: () => ns,
    processes(queries) {
      if (!procMounted) return null;
      const found = new Map<number, ProcessInfo>();
      for (const { pid } of queries) {
        const entry = info(pid);
        if (entry !== undefined) found.set(pid, entry);
      }
      return found;
    },
    commandLine(pid) {
      if (!procMounted) return null;
      const text = deps.read(`/proc/${pid}/cmdline`);
      return text === null ? [] : text.split('\0').filter(Boolean);
    },
    async listeners(port) {
      return procListeners(deps, port);
    },
    ephemeralRange,
    reservedRanges,
    terminate: signalProcess,
    warnings: () => warner.given(),
  };
}

/** Listening sockets from `/proc/net/tcp{,6}`, their pid by a scan of `/proc/<pid>/fd`. */
function procListeners(deps: LinuxDeps, port: number | undefined): Listener[] {
  const sockets = ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((file) => parseProcNetTcp(deps.read(file) ?? ''))
    .filter((socket) => port === undefined || socket.port === port);
  if (sockets.length === 0) return [];
  const owners = socketOwners(deps, new Set(sockets.map((socket) => socket.inode)));
  return sockets.map((socket) => {
    const pid = owners.get(socket.inode) ?? null;
    return { address: socket.address, port: socket.port, pid, command: pid === null ? null : commandOf(deps, pid) };
  });
}

/** Scans `/proc/<pid>/fd` for links to `socket:[inode]`; stops once every inode is found. */
function socketOwners(deps: LinuxDeps, inodes: Set<string>): Map<string, number> {
  const owners = new Map<string, number>();
  for (const pid of deps.readdir('/proc').filter((name) => /^\d+$/.test(name))) {
    if (owners.size === inodes.size) break;
    // Another user's process, or one gone already: readdir gives [].
    for (const fd of deps.readdir(`/proc/${pid}/fd`)) {
      const match = /^socket:\[(\d+)\]$/.exec(deps.readlink(`/proc/${pid}/fd/${fd}`) ?? '');
      if (match?.[1] !== undefined && inodes.has(match[1]) && !owners.has(match[1])) owners.set(match[1], Number(pid));
    }
  }
  return owners;
}

function commandOf(deps: LinuxDeps, pid: number): string | null {
  const cmdline = deps.read(`/proc/${pid}/cmdline`) ?? '';
  const text = cmdline.split('\0').filter(Boolean).join(' ') || (deps.read(`/proc/${pid}/comm`) ?? '').trim();
  if (text === '') return null;
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

/** The real `/proc`. */
function realLinux(): LinuxDeps {
  const attempt = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch {
      return fallback;
    }
  };
  return {
    read: (path) => attempt<string | null>(() => readFileSync(path, 'utf8'), null),
    readlink: (path) => attempt<string | null>(() => readlinkSync(path), null),
    readdir: (path) => attempt<string[]>(() => readdirSync(path), []),
    exists: pidExists,
  };
}

/** `kill(pid, 0)`: true when the pid exists, EPERM (another user's process) included. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
