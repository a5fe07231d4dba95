import { describe, expect, test } from 'vitest';
import { linuxPlatform, type LinuxDeps } from '../../src/platform/linux.js';
import { parsePortRangeFile, parseProcStat, parseReservedPorts } from '../../src/platform/linux-parse.js';
import { fixture } from './fakes.js';

describe('Linux parsers', () => {
  test('/proc/<pid>/stat: state and start ticks, a name with spaces and parentheses, a zombie', () => {
    expect(parseProcStat(fixture('linux/stat-node.txt'))).toEqual({ state: 'S', start: '210004' });
    expect(parseProcStat(fixture('linux/stat-odd-name.txt'))).toEqual({ state: 'R', start: '210050' });
    expect(parseProcStat(fixture('linux/stat-zombie.txt'))).toEqual({ state: 'Z', start: '210100' });
    expect(parseProcStat('4242 (node) S 1 2')).toBeNull(); // cut short
    expect(parseProcStat('')).toBeNull();
  });

  test('port range files', () => {
    const file = '/proc/sys/net/ipv4/ip_local_port_range';
    expect(parsePortRangeFile(fixture('linux/ip_local_port_range.txt'), file)).toEqual({ from: 32768, to: 60999, source: file });
    expect(parsePortRangeFile(fixture('linux/ip_local_port_range-wide.txt'), file)).toMatchObject({ from: 1024, to: 65000 });
    expect(parsePortRangeFile('60999 32768', file)).toBeNull();
    expect(parsePortRangeFile('', file)).toBeNull();
    expect(parseReservedPorts(fixture('linux/ip_local_reserved_ports.txt'), 'f').map(({ from, to }) => [from, to])).toEqual([
      [8080, 8080],
      [20500, 20509],
      [25000, 25000],
    ]);
    expect(parseReservedPorts('\n', 'f')).toEqual([]);
  });
});

/** A recorded /proc: a path → text table. */
function recorded(files: Record<string, string>, links: Record<string, string> = {}, dirs: Record<string, string[]> = {}): LinuxDeps & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    read: (path) => files[path] ?? null,
    readlink: (path) => links[path] ?? null,
    readdir: (path) => dirs[path] ?? [],
    exists: (pid) => files[`/proc/${pid}/stat`] !== undefined || pid === 777,
    warn: (message) => warnings.push(message),
    warnings,
  };
}

const BASE = {
  '/proc/self/stat': fixture('linux/stat-node.txt'),
  '/proc/sys/kernel/random/boot_id': 'a1ffedfd-5539-4246-a5db-72b2be01272d\n',
};

describe('linuxPlatform over a recorded /proc', () => {
  test('boot id (stable), pid namespace, processes with zombies and hidden ones', () => {
    const platform = linuxPlatform(
      recorded(
        { ...BASE, '/proc/4242/stat': fixture('linux/stat-node.txt'), '/proc/5150/stat': fixture('linux/stat-zombie.txt') },
        { '/proc/self/ns/pid': 'pid:[4026531836]' },
      ),
    );
    expect(platform.boot()).toEqual({ id: 'a1ffedfd-5539-4246-a5db-72b2be01272d', stable: true, source: '/proc/sys/kernel/random/boot_id' });
    expect(platform.pidNamespace()).toBe('pid:[4026531836]');
    const found = platform.processes([4242, 5150, 777, 9999].map((pid) => ({ pid, start: null })))!;
    expect(found.get(4242)).toEqual({ pid: 4242, start: '210004', running: true });
    expect(found.get(5150)?.running).toBe(false);
    // 777: /proc/777/stat unreadable (hidepid) but kill(0) sees it: alive, start unknown.
    expect(found.get(777)).toEqual({ pid: 777, start: null, running: true });
    expect(found.has(9999)).toBe(false);
  });

  test('no /proc: null processes and command lines, one warning, IANA range', () => {
    const deps = recorded({});
    const platform = linuxPlatform(deps);
    expect(platform.processes([{ pid: 1, start: null }])).toBeNull();
    expect(platform.commandLine(1)).toBeNull();
    expect(platform.boot().id).toBeNull();
    expect(platform.ephemeralRange().source).toBe('IANA default');
    expect(deps.warnings).toHaveLength(2);
    expect(platform.warnings()).toEqual(deps.warnings);
  });

  test('ranges from /proc/sys', () => {
    const platform = linuxPlatform(
      recorded({
        ...BASE,
        '/proc/sys/net/ipv4/ip_local_port_range': fixture('linux/ip_local_port_range.txt'),
        '/proc/sys/net/ipv4/ip_local_reserved_ports': fixture('linux/ip_local_reserved_ports.txt'),
      }),
    );
    expect(platform.ephemeralRange()).toMatchObject({ from: 32768, to: 60999 });
    expect(platform.reservedRanges()).toHaveLength(3);
  });

  test('listeners: sockets of /proc/net/tcp*, their pid from /proc/<pid>/fd, command line', async () => {
    const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4E21 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0
`;
    const platform = linuxPlatform(
      recorded(
        { ...BASE, '/proc/net/tcp': tcp, '/proc/4242/cmdline': 'node\0server.js\0' },
        { '/proc/4242/fd/3': 'socket:[111]', '/proc/4242/fd/4': 'pipe:[9]' },
        { '/proc': ['1', '4242', 'self', 'net'], '/proc/4242/fd': ['0', '3', '4'] },
      ),
    );
    expect(await platform.listeners(20001)).toEqual([{ address: '127.0.0.1', port: 20001, pid: 4242, command: 'node server.js' }]);
    // Port 8080's socket belongs to a process whose fds we cannot read (root's).
    expect(await platform.listeners(8080)).toEqual([{ address: '0.0.0.0', port: 8080, pid: null, command: null }]);
    expect(await platform.listeners()).toHaveLength(2);
    expect(platform.commandLine(4242)).toEqual(['node', 'server.js']);
    expect(platform.commandLine(5555)).toEqual([]);
  });
});
