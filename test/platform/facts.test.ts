import { describe, expect, test } from 'vitest';
import { describeOwnerCheck, platformFacts } from '../../src/cli/platform-facts.js';
import { genericPlatform } from '../../src/platform/generic.js';
import { win32Platform } from '../../src/platform/win32.js';
import { cli, tempDir } from '../cli/helpers.js';
import { fakeClocks, fixture, scriptedRunner } from './fakes.js';

describe('what doctor says about the owner check', () => {
  const stable = { id: 'b', stable: true, source: 's' };
  const moving = { id: 'b', stable: false, source: 's' };
  test.each([
    ['linux', '210004', stable, 'pid + start time (/proc/<pid>/stat) + boot id'],
    ['linux', '210004', { ...stable, id: null }, 'no boot id, so a pid reused after a reboot may look alive'],
    ['darwin', '1700000100', moving, 'absolute: a process of a previous boot cannot match'],
    ['win32', '133444737001234567', moving, 'Win32_Process.CreationDate'],
    ['generic', null, moving, 'pid only (kill(pid, 0))'],
  ])('%s, start %s', (name, start, boot, expected) => {
    expect(describeOwnerCheck(name, start, boot)).toContain(expected);
  });

  test('facts of a platform: reserved ranges and warnings', () => {
    const platform = win32Platform({
      run: scriptedRunner([[/excludedportrange/, [fixture('win32/netsh-excluded.txt')]]]),
      clocks: fakeClocks(0),
      warn: () => {},
    });
    const facts = platformFacts(platform);
    expect(facts.name).toBe('win32');
    expect(facts.reserved).toHaveLength(4);
    expect(facts.owners).toContain('pid only'); // no PowerShell answered: no start time
    const generic = genericPlatform('aix', () => {});
    generic.processes([]);
    expect(platformFacts(generic).warnings[0]).toContain('no process table on aix');
  });
});

test('doctor prints the platform facts it used', async () => {
  const home = await tempDir();
  const result = await cli(['doctor'], { home });
  expect(result.stdout).toMatch(/^reserved {3}/m);
  expect(result.stdout).toMatch(/^platform {3}(linux|darwin|win32|generic): boot /m);
  expect(result.stdout).toMatch(/^owners {5}pid/m);
  const json = JSON.parse((await cli(['doctor', '--json'], { home })).stdout) as { platform: { name: string; owners: string } };
  expect(json.platform.name).toBe({ linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform as string] ?? 'generic');
});

test('one module per OS; the BSDs share macOS tools; anything else is generic (creating one spawns nothing)', async () => {
  const { platformFor } = await import('../../src/platform/index.js');
  expect(['linux', 'darwin', 'freebsd', 'win32', 'aix', 'sunos'].map((os) => platformFor(os).name)).toEqual([
    'linux',
    'darwin',
    'darwin',
    'win32',
    'generic',
    'generic',
  ]);
});
