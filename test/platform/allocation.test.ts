/**
 * Allocation respects the OS: reserved ranges are never handed out, the default range
 * skips the ephemeral range, a range the user chose is theirs. The platform is a Windows
 * one over recorded netsh outputs (20000-20099 excluded, dynamic ports from 25000).
 */
import { describe, expect, test, vi } from 'vitest';
import { osBlockedPorts } from '../../src/choose.js';
import { probePort } from '../../src/probe.js';
import { win32Platform } from '../../src/platform/win32.js';
import { fakeClocks, fixture, scriptedRunner } from './fakes.js';
import { tempHome } from '../helpers.js';

const fake = win32Platform({
  run: scriptedRunner([
    [/dynamicport/, ['Start Port      : 25000\r\nNumber of Ports : 40536\r\n']],
    [/excludedportrange/, [fixture('win32/netsh-excluded-de.txt')]],
  ]),
  clocks: fakeClocks(0),
  warn: () => {},
});

vi.mock('../../src/platform/index.js', async (original) => ({
  ...(await original<typeof import('../../src/platform/index.js')>()),
  currentPlatform: () => fake,
}));

const { toRequest } = await import('../../src/request.js');
const { openRegistry } = await import('../../src/index.js');

describe('osBlockedPorts (pure)', () => {
  const facts = {
    ephemeral: { from: 28_000, to: 60_999 },
    reserved: [
      { from: 20_010, to: 20_012 },
      { from: 40_000, to: 40_000 },
    ],
  };

  test('reserved ports always; the ephemeral range only for the default range', () => {
    expect(osBlockedPorts([20_000, 20_020], facts, false)).toEqual([20_010, 20_011, 20_012]);
    expect(osBlockedPorts([27_998, 28_001], facts, true)).toEqual([28_000, 28_001]);
    expect(osBlockedPorts([27_998, 28_001], facts, false)).toEqual([]);
  });

  test('an ephemeral range covering the whole default range is not skipped (doctor warns)', () => {
    expect(osBlockedPorts([30_000, 30_010], facts, true)).toEqual([]);
  });
});

describe('reserve requests on a platform with excluded and ephemeral ranges', () => {
  test('the default range skips both', () => {
    const exclude = toRequest('web', {}, {}).exclude();
    expect(exclude.has(20_050)).toBe(true); // excluded (Hyper-V)
    expect(exclude.has(5357)).toBe(false); // excluded but outside the range: nothing to skip
    expect(exclude.has(25_500)).toBe(true); // ephemeral
    expect(exclude.has(24_999)).toBe(false);
  });

  test("a user's range skips excluded ports but keeps its ephemeral ones", () => {
    const exclude = toRequest('web', { range: '20090-25010' }, {}).exclude();
    expect(exclude.has(20_095)).toBe(true);
    expect(exclude.has(25_005)).toBe(false);
    expect(toRequest('web', {}, { PORTLEASE_RANGE: '25000-25010' }).exclude().has(25_005)).toBe(false);
  });

  test('an exact port is tried as asked', () => {
    expect(toRequest('web', { port: 20_050 }, {}).exclude().has(20_050)).toBe(false);
  });

  test('reserve never hands out an excluded port', async () => {
    // A range the OS excludes entirely: nothing to probe, nothing to hand out (a range that
    // needs some of its ports free would depend on this machine's sockets).
    const registry = openRegistry({ home: tempHome() });
    await expect(registry.reserve('web', { range: '20095-20099' })).rejects.toMatchObject({
      code: 'E_NO_PORT',
      message: expect.stringContaining('No free port in 20095-20099 (0 leased, 0 busy on this machine)'),
    });
  });
});

// A bind refused with EACCES (Windows' excluded ranges, Linux's ports below 1024 for a
// user) must count as busy: the port cannot be served on.
test.skipIf(process.getuid?.() === 0)('a port the OS refuses (EACCES) is busy (skipped as root: root may bind port 1)', async () => {
  const result = await probePort(1);
  expect(result.free).toBe(false);
  expect(result.busyOn.join(' ')).toContain('EACCES');
});
