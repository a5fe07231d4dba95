/**
 * ttl expiry is judged by the kernel's clock, not by the clock of the process that writes
 * (DESIGN §3.1: "with a process whose clock is off"). A writer takes its time from the
 * ctime the kernel stamped on its lock entry (lock.ts, Held.now); a process whose `Date`
 * lies — libfaketime, a wrong TZ hack, fake timers in a test — judges and writes ttl
 * leases like every other.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openRegistry } from '../src/index.js';
import { FIXTURES, startNode, tempHome } from './helpers.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Runs a fixture under a wall clock `skew` ms off (test/fixtures/skew.mjs) and parses its one line of JSON. */
async function skewed(skew: number, fixture: string, args: string[]): Promise<Record<string, unknown>> {
  const child = startNode('--import', [`${FIXTURES}/skew.mjs`, `${FIXTURES}/${fixture}`, ...args], { SKEW_MS: String(skew) });
  const { stdout } = await child.done;
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('a writer whose clock is off', () => {
  it('an hour ahead, does not reclaim a live ttl lease with 30 minutes left, nor grant its port again', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    const mine = await registry.reserve('api', { app: 'a', instance: 'i', ttl: '30m' });
    const outcome = await skewed(HOUR, 'want-port.mjs', [home, String(mine.port)]);
    expect(outcome.ok).toBeUndefined();
    expect(outcome.code).toMatch(/^E_/);
    expect((await registry.list()).map((lease) => lease.id)).toContain(mine.id);
  });

  it.each([HOUR, -HOUR])('%d ms off, writes a 30-minute ttl lease that expires 30 minutes from now by the true clock', async (skew) => {
    const home = tempHome();
    const before = Date.now();
    const lease = await skewed(skew, 'reserve-ttl.mjs', [home, 'web', '30m']);
    const after = Date.now();
    const expiresAt = Date.parse(String(lease.expiresAt));
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * MINUTE - 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + 30 * MINUTE + 1000);
    // Another process (this one, clock right) finds it live.
    expect((await openRegistry({ home }).list()).map((found) => found.service)).toEqual(['web']);
  });
});

describe('fake timers in the calling process', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("Date two hours ahead (vi.setSystemTime): another lease's 30-minute ttl still holds its port", async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    const held = await registry.reserve('db', { app: 'a', instance: 'i', ttl: '30m', owner: false });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * HOUR);
    await expect(registry.reserve('other', { app: 'a', instance: 'i', port: held.port })).rejects.toMatchObject({ code: expect.stringMatching(/^E_/) });
    // A ttl lease written now expires by the true clock, not the faked one.
    const fresh = await registry.reserve('cache', { app: 'a', instance: 'i', ttl: '30m', owner: false });
    vi.useRealTimers();
    expect(Date.parse(fresh.expiresAt!) - Date.now()).toBeLessThanOrEqual(30 * MINUTE + 1000);
    expect((await registry.list()).map((lease) => lease.service).sort()).toEqual(['cache', 'db']);
  });
});
