import { describe, expect, test } from 'vitest';
import { win32Platform } from '../../src/platform/win32.js';
import { filetimeToMs, parseCimProcesses, parseDynamicPort, parseExcludedRanges, parseNetstat } from '../../src/platform/win32-parse.js';
import { fakeClocks, fixture, scriptedRunner } from './fakes.js';

// 2023-11-14 22:16:40 UTC: just after cim-processes.txt was taken.
const NOW = 1_700_000_200_000;

describe('Windows parsers', () => {
  test('the CIM query: boot, FILETIME start times, hidden ones as null', () => {
    const { boot, table } = parseCimProcesses(fixture('win32/cim-processes.txt'));
    expect(boot).toBe('133444736005000000');
    expect(table.get(0)).toEqual({ pid: 0, start: null, running: true });
    expect(table.get(4242)).toEqual({ pid: 4242, start: '133444737001234567', running: true });
    expect(table.size).toBe(5);
    expect(parseCimProcesses('Get-CimInstance : Access denied\r\n').table.size).toBe(0);
  });

  test('FILETIME to ms, rounded up', () => {
    expect(filetimeToMs('116444736000000000')).toBe(0);
    expect(filetimeToMs('133444737001234567')).toBe(1_700_000_100_124);
    expect(filetimeToMs('-')).toBeNull();
  });

  test('netstat: listeners only, IPv4 and IPv6 with a zone, pid 0 as unknown', () => {
    expect(parseNetstat(fixture('win32/netstat-ano.txt'))).toEqual([
      { address: '0.0.0.0', port: 135, pid: 1044, command: null },
      { address: '0.0.0.0', port: 445, pid: 4, command: null },
      { address: '127.0.0.1', port: 20001, pid: 4242, command: null },
      { address: '192.168.1.20', port: 139, pid: 4, command: null },
      { address: '::', port: 135, pid: 1044, command: null },
      { address: '::1', port: 20001, pid: 4242, command: null },
      { address: 'fe80::8d2c:1f3a:9b1:c2e4%7', port: 139, pid: 4, command: null },
    ]);
  });

  test('netstat in German (states localized) and a line cut before its pid', () => {
    expect(parseNetstat(fixture('win32/netstat-ano-de.txt'))).toEqual([
      { address: '0.0.0.0', port: 135, pid: 1044, command: null },
      { address: '127.0.0.1', port: 20001, pid: 4242, command: null },
      { address: '::', port: 20002, pid: 4300, command: null },
      { address: '::', port: 20003, pid: null, command: null },
    ]);
  });

  test('dynamic port range, English and German', () => {
    expect(parseDynamicPort(fixture('win32/netsh-dynamicport.txt'))).toMatchObject({ from: 49152, to: 65535 });
    expect(parseDynamicPort(fixture('win32/netsh-dynamicport-de.txt'))).toMatchObject({ from: 1025, to: 65534 });
    expect(parseDynamicPort('The requested operation requires elevation.\r\n')).toBeNull();
    expect(parseDynamicPort('Start Port : 60000\r\nNumber of Ports : 16384\r\n')).toBeNull(); // past 65535
  });

  test('excluded port ranges, administered ones too; none', () => {
    expect(parseExcludedRanges(fixture('win32/netsh-excluded.txt')).map(({ from, to }) => [from, to])).toEqual([
      [5357, 5357],
      [21045, 21144],
      [24800, 24899],
      [50000, 50059],
    ]);
    expect(parseExcludedRanges(fixture('win32/netsh-excluded-de.txt')).map(({ from, to }) => [from, to])).toEqual([
      [5357, 5357],
      [20000, 20099],
    ]);
    expect(parseExcludedRanges(fixture('win32/netsh-excluded-none.txt'))).toEqual([]);
  });
});

describe('win32Platform over recorded outputs', () => {
  const make = (script: Parameters<typeof scriptedRunner>[0]) => {
    const run = scriptedRunner(script);
    const warnings: string[] = [];
    const clocks = fakeClocks(NOW);
    return { run, warnings, clocks, platform: win32Platform({ run, clocks, warn: (message) => warnings.push(message) }) };
  };

  test('one PowerShell query answers processes and the boot', () => {
    const { run, platform } = make([[/^powershell\.exe .*Win32_Process -Property/, [fixture('win32/cim-processes.txt')]]]);
    expect(
      platform
        .processes([
          { pid: 4242, start: null },
          { pid: 9999, start: '133444737001234567' },
        ])
        ?.get(4242)?.start,
    ).toBe('133444737001234567');
    expect(platform.boot()).toMatchObject({ id: '133444736005000000', stable: false });
    expect(run.calls).toHaveLength(1);
    expect(run.calls[0]).toContain('-NoProfile');
  });

  test('a pid reused between two queries: the later query tells', () => {
    const { run, clocks, platform } = make([[/^powershell\.exe/, [fixture('win32/cim-processes.txt'), fixture('win32/cim-later.txt')]]]);
    platform.processes([{ pid: 4242, start: null }]);
    clocks.advance(210_000);
    expect(platform.processes([{ pid: 4242, start: '133444737001234567' }])?.get(4242)?.start).toBe('133444740002222222');
    expect(run.calls).toHaveLength(2);
  });

  test('an owner that started after the table was read makes it read again', () => {
    const { run, clocks, platform } = make([[/^powershell\.exe/, [fixture('win32/cim-processes.txt'), fixture('win32/cim-later.txt')]]]);
    platform.processes([{ pid: 4, start: null }]);
    clocks.advance(500);
    // 7777 started at 22:19:58.5, after the first read (22:16:40): the first table cannot deny it.
    expect(platform.processes([{ pid: 7777, start: '133444739985555555' }])?.has(7777)).toBe(true);
    expect(run.calls).toHaveLength(2);
  });

  test('PowerShell missing or saying nothing useful: null, one warning', () => {
    const { platform, warnings } = make([[/^powershell\.exe/, ['Get-CimInstance : Access denied\r\n']]]);
    expect(platform.processes([{ pid: 4, start: null }])).toBeNull();
    expect(platform.processes([{ pid: 4, start: null }])).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(make([]).platform.boot()).toEqual({ id: null, stable: false, source: 'unknown' });
  });

  test('listeners from one netstat, filtered by port', async () => {
    const { run, platform } = make([[/^netstat -ano$/, [fixture('win32/netstat-ano.txt')]]]);
    expect((await platform.listeners(20001)).map((listener) => listener.address)).toEqual(['127.0.0.1', '::1']);
    expect(await platform.listeners(135)).toHaveLength(2);
    expect(run.calls).toEqual(['netstat -ano']);
    expect(await make([]).platform.listeners()).toEqual([]);
  });

  test('ranges from netsh, each read once a minute; IANA and none when netsh fails', () => {
    const { run, clocks, platform } = make([
      [/dynamicport/, [fixture('win32/netsh-dynamicport-de.txt')]],
      [/excludedportrange/, [fixture('win32/netsh-excluded.txt')]],
    ]);
    expect(platform.ephemeralRange()).toMatchObject({ from: 1025, to: 65534 });
    expect(platform.reservedRanges()).toHaveLength(4);
    platform.ephemeralRange();
    platform.reservedRanges();
    expect(run.calls).toEqual(['netsh int ipv4 show dynamicport tcp', 'netsh int ipv4 show excludedportrange protocol=tcp']);
    clocks.advance(61_000);
    platform.reservedRanges();
    expect(run.calls).toHaveLength(3);
    const broken = make([]).platform;
    expect(broken.ephemeralRange().source).toBe('IANA default');
    expect(broken.reservedRanges()).toEqual([]);
  });

  test('command line from CIM; empty when the pid is gone; null without PowerShell', () => {
    expect(make([[/^powershell\.exe .*ProcessId=4242/, [fixture('win32/cim-commandline.txt')]]]).platform.commandLine(4242)).toContain('serve');
    expect(make([[/^powershell\.exe/, ['']]]).platform.commandLine(4242)).toEqual([]);
    expect(make([]).platform.commandLine(4242)).toBeNull();
  });
});
