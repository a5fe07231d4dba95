import { describe, expect, test } from 'vitest';
import { darwinPlatform } from '../../src/platform/darwin.js';
import { parseDarwinBoot, parseLsof, parseLstart, parsePsTable, parseSysctlRange } from '../../src/platform/darwin-parse.js';
import { fakeClocks, fixture, scriptedRunner } from './fakes.js';

// 2023-11-14 22:16:40 UTC: just after ps-A.txt was taken.
const NOW = 1_700_000_200_000;

describe('macOS parsers', () => {
  test('ps -A: pids, epoch-second start times, zombies', () => {
    const table = parsePsTable(fixture('darwin/ps-A.txt'));
    expect(table.size).toBe(6);
    expect(table.get(4242)).toEqual({ pid: 4242, start: '1700000100', running: true });
    expect(table.get(5150)).toEqual({ pid: 5150, start: '1700000130', running: false });
    expect(table.get(99001)?.start).toBe('1700000200');
  });

  test('localized dates are not understood: start null, never a wrong number', () => {
    const table = parsePsTable(fixture('darwin/ps-A-localized.txt'));
    expect([...table.values()].map((info) => info.start)).toEqual([null, null, null]);
    expect(table.get(5150)?.running).toBe(false);
  });

  test('a table cut mid-line keeps the whole lines and no start for the cut one', () => {
    const table = parsePsTable(fixture('darwin/ps-A-truncated.txt'));
    expect(table.get(88)?.start).toBe('1700000003');
    expect(table.get(4242)).toEqual({ pid: 4242, start: null, running: true });
  });

  test('lstart: day padding, every month, garbage', () => {
    expect(parseLstart('Wed Nov  1 00:00:00 2023')).toBe(Date.UTC(2023, 10, 1) / 1000);
    expect(parseLstart('Thu Feb 29 12:00:00 2024')).toBe(Date.UTC(2024, 1, 29, 12) / 1000);
    expect(parseLstart('Xyz Foo 29 12:00:00 2024')).toBeNull();
    expect(parseLstart('')).toBeNull();
  });

  test('boot: the session uuid when there is one, else kern.boottime', () => {
    expect(parseDarwinBoot(fixture('darwin/sysctl-boot.txt'))).toEqual({
      session: '6C1E4F0A-7B3D-4E2A-9F61-2D8C5B7A9E10',
      boottime: '1700000000.123456',
    });
    expect(parseDarwinBoot(fixture('darwin/sysctl-boot-no-uuid.txt'))).toEqual({ session: null, boottime: '1700000000.000005' });
    expect(parseDarwinBoot('')).toEqual({ session: null, boottime: null });
  });

  test('lsof: *, IPv4, IPv6 (scoped too), several processes', () => {
    expect(parseLsof(fixture('darwin/lsof-listen.txt'))).toEqual([
      { address: '0.0.0.0', port: 7000, pid: 501, command: 'ControlCenter' },
      { address: '0.0.0.0', port: 7000, pid: 501, command: 'ControlCenter' },
      { address: '127.0.0.1', port: 20001, pid: 4242, command: 'node' },
      { address: '::1', port: 20001, pid: 4242, command: 'node' },
      { address: 'fe80:4::1', port: 20002, pid: 4242, command: 'node' },
      { address: '0.0.0.0', port: 5432, pid: 4300, command: 'postgres' },
    ]);
    expect(parseLsof('p1\nn10.0.0.1:5000->10.0.0.2:443\n')).toEqual([]);
  });

  test('sysctl port range', () => {
    expect(parseSysctlRange(fixture('darwin/sysctl-portrange.txt'))).toEqual({ from: 49152, to: 65535, source: 'sysctl net.inet.ip.portrange' });
    expect(parseSysctlRange('65535\n49152\n')).toBeNull();
    expect(parseSysctlRange('')).toBeNull();
  });
});

describe('darwinPlatform over recorded outputs', () => {
  const make = (script: Parameters<typeof scriptedRunner>[0]) => {
    const run = scriptedRunner(script);
    const warnings: string[] = [];
    const clocks = fakeClocks(NOW);
    return { run, warnings, clocks, platform: darwinPlatform({ run, clocks, warn: (message) => warnings.push(message) }) };
  };

  test('ps runs in the C locale and UTC, once for many pids', () => {
    const env: Array<Record<string, string> | undefined> = [];
    const run = scriptedRunner([[/^ps -A/, [fixture('darwin/ps-A.txt')]]]);
    const platform = darwinPlatform({
      run: (file, args, options) => {
        env.push(options?.env);
        return run(file, args, options);
      },
      clocks: fakeClocks(NOW),
      warn: () => {},
    });
    const found = platform.processes([1, 88, 501, 4242, 5150, 6000].map((pid) => ({ pid, start: null })));
    expect(platform.processes([{ pid: 4242, start: '1700000100' }])?.get(4242)?.start).toBe('1700000100');
    expect([...found!.keys()]).toEqual([1, 88, 501, 4242, 5150]);
    expect(run.calls).toEqual(['ps -A -o pid=,stat=,lstart=']);
    expect(env[0]).toMatchObject({ LC_ALL: 'C', TZ: 'UTC0' });
  });

  test('a process that vanished between two tables: the second read tells', () => {
    const { run, clocks, platform } = make([[/^ps -A/, [fixture('darwin/ps-A.txt'), fixture('darwin/ps-A-later.txt')]]]);
    expect(platform.processes([{ pid: 4242, start: '1700000100' }])?.get(4242)?.start).toBe('1700000100');
    clocks.advance(240_000); // the table is too old to reuse
    const later = platform.processes([{ pid: 4242, start: '1700000100' }])!;
    expect(later.get(4242)?.start).toBe('1700000400'); // another process has the pid now
    expect(run.calls).toHaveLength(2);
  });

  test('a pid missing from a fresh table is not read again when its owner started before it', () => {
    const { run, platform } = make([[/^ps -A/, [fixture('darwin/ps-A.txt')]]]);
    platform.processes([{ pid: 1, start: null }]);
    expect(platform.processes([{ pid: 6000, start: '1700000100' }])?.has(6000)).toBe(false);
    expect(run.calls).toHaveLength(1);
    // Unknown start (or one after the read): read again, once.
    expect(platform.processes([{ pid: 6000, start: null }])?.has(6000)).toBe(false);
    expect(run.calls).toHaveLength(2);
  });

  test('boot: stable session uuid, or kern.boottime shown but not used for identity', () => {
    expect(make([[/^sysctl -n kern.bootsessionuuid/, [fixture('darwin/sysctl-boot.txt')]]]).platform.boot()).toEqual({
      id: '6C1E4F0A-7B3D-4E2A-9F61-2D8C5B7A9E10',
      stable: true,
      source: 'sysctl kern.bootsessionuuid',
    });
    const old = make([[/^sysctl -n kern.bootsessionuuid/, [fixture('darwin/sysctl-boot-no-uuid.txt')]]]).platform.boot();
    expect(old).toMatchObject({ id: '1700000000.000005', stable: false });
    expect(make([]).platform.boot()).toEqual({ id: null, stable: false, source: 'unknown' });
  });

  test('listeners: one lsof for every port asked within a second, filtered by port', async () => {
    const { run, clocks, platform } = make([[/^lsof /, [fixture('darwin/lsof-listen.txt')]]]);
    expect(await platform.listeners()).toHaveLength(6);
    expect((await platform.listeners(20001)).map((listener) => listener.address)).toEqual(['127.0.0.1', '::1']);
    expect(await platform.listeners(5432)).toHaveLength(1);
    expect(run.calls).toEqual(['lsof -nP -iTCP -sTCP:LISTEN -Fpcn']);
    clocks.advance(1001);
    await platform.listeners(20001);
    expect(run.calls).toHaveLength(2);
    expect(await make([]).platform.listeners()).toEqual([]);
  });

  test('ephemeral range from sysctl, read once a minute; IANA when sysctl fails', () => {
    const { run, platform } = make([[/^sysctl -n net.inet/, [fixture('darwin/sysctl-portrange.txt')]]]);
    expect(platform.ephemeralRange()).toEqual({ from: 49152, to: 65535, source: 'sysctl net.inet.ip.portrange' });
    platform.ephemeralRange();
    expect(run.calls).toHaveLength(1);
    expect(make([]).platform.ephemeralRange().source).toBe('IANA default');
    expect(platform.reservedRanges()).toEqual([]);
  });

  test('command line: words, [] for a pid ps does not know, null without ps', () => {
    expect(make([[/^ps -ww/, [fixture('darwin/ps-command.txt')]]]).platform.commandLine(4242)).toContain('serve');
    expect(make([[/^ps -ww/, ['']]]).platform.commandLine(4242)).toEqual([]);
    expect(make([]).platform.commandLine(4242)).toBeNull();
  });

  test('no ps: null (callers fall back to kill(0))', () => {
    expect(make([]).platform.processes([{ pid: 1, start: null }])).toBeNull();
  });
});
