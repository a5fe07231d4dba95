/**
 * Which processes listen on a TCP port, where the OS shows it: on Linux from
 * `/proc/net/tcp{,6}` (the socket inode of each listening address) and a scan of
 * `/proc/<pid>/fd` for the process holding that inode; on macOS from `lsof`. Processes of
 * other users are usually unreadable: their sockets are reported with `pid: null`.
 * Best effort by design: `check` must answer even where none of this exists.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';

/** One listening socket on the port. */
export interface Listener {
  /** Local address, e.g. `0.0.0.0`, `::`, `127.0.0.1`. */
  address: string;
  port: number;
  /** Owning process, when visible. */
  pid: number | null;
  /** Its command line (shortened), when visible. */
  command: string | null;
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
 * The processes listening on `port`, as far as this OS lets us see. Never throws.
 *
 * @example
 * for (const { address, pid, command } of await findListeners(20001)) console.log(address, pid, command);
 */
export async function findListeners(port: number): Promise<Listener[]> {
  try {
    if (process.platform === 'linux') return await fromProc(port);
    if (process.platform === 'darwin' || process.platform === 'freebsd') return await fromLsof(port);
  } catch {
    // Best effort: an unreadable /proc or a missing lsof means "unknown", not failure.
  }
  return [];
}

async function fromProc(port: number): Promise<Listener[]> {
  const tables = await Promise.all(
    ['/proc/net/tcp', '/proc/net/tcp6'].map((file) => readFile(file, 'utf8').catch(() => '')),
  );
  const sockets = tables.flatMap((text) => parseProcNetTcp(text)).filter((socket) => socket.port === port);
  if (sockets.length === 0) return [];
  const owners = await socketOwners(new Set(sockets.map((socket) => socket.inode)));
  return Promise.all(
    sockets.map(async (socket) => {
      const pid = owners.get(socket.inode) ?? null;
      return { address: socket.address, port, pid, command: pid === null ? null : await commandOf(pid) };
    }),
  );
}

/** Scans `/proc/<pid>/fd` for links to `socket:[inode]`; stops once every inode is found. */
async function socketOwners(inodes: Set<string>): Promise<Map<string, number>> {
  const owners = new Map<string, number>();
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    if (owners.size === inodes.size) break;
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone already
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] !== undefined && inodes.has(match[1]) && !owners.has(match[1])) {
        owners.set(match[1], Number(pid));
      }
    }
  }
  return owners;
}

async function commandOf(pid: number): Promise<string | null> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const text = cmdline.split('\0').filter(Boolean).join(' ') || (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  if (text === '') return null;
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

/** `lsof -F` output: `p<pid>`, `c<command>`, `n<address:port>` lines. */
async function fromLsof(port: number): Promise<Listener[]> {
  const output = await new Promise<string>((resolve) => {
    execFile('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpcn'], { timeout: 5000 }, (_error, stdout) =>
      resolve(String(stdout)),
    );
  });
  const listeners: Listener[] = [];
  let pid: number | null = null;
  let command: string | null = null;
  for (const line of output.split('\n')) {
    const value = line.slice(1);
    if (line.startsWith('p')) pid = Number(value);
    else if (line.startsWith('c')) command = value;
    else if (line.startsWith('n')) {
      const address = value.slice(0, value.lastIndexOf(':')).replace(/^\[|\]$/g, '').replace(/^\*$/, '0.0.0.0');
      listeners.push({ address, port, pid, command });
    }
  }
  return listeners;
}
