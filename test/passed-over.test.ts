/**
 * Writers that were passed over (stalled past the stale time while holding the lock) commit
 * without the lock. These tests stop such writers at chosen points and resume them one by
 * one between another writer's read and its link, and check that no writer reports a
 * lease that is not in the registry (see the ABA paragraph of src/commit.ts's header).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
import { FIXTURES, registryFile, sleep, startNode, stopped, tempHome, waitForLine } from './helpers.js';
import { NEEDS } from './os.js';

interface Grab {
  pid: number;
  granted: Array<{ id: number; port: number }>;
  errors: string[];
}

const STALE = '1000';
/** A grab.mjs that stops itself right after it takes the lock, before it reads under it. */
const grabStoppedHolding = (home: string, env: Record<string, string> = {}) =>
  startNode('--import', [`${FIXTURES}/stop-held.mjs`, `${FIXTURES}/grab.mjs`, home, '1', '-'], { GRAB_HOLD: '1', GRAB_STALE: STALE, ...env });
const grab = (home: string, fault: string, env: Record<string, string> = {}) =>
  startNode(`${FIXTURES}/grab.mjs`, [home, '1', '-'], { PORTLEASE_FAULT: fault, GRAB_HOLD: '1', GRAB_STALE: STALE, ...env });
const reportOf = async (child: ReturnType<typeof grab>) => JSON.parse(await waitForLine(child, /^\{"pid"/)) as Grab;
const lockEntries = (home: string) => (existsSync(join(home, 'registry.lock')) ? readdirSync(join(home, 'registry.lock')) : []);
const revName = (rev: number) => `rev-${String(rev).padStart(12, '0')}.json`;
const holding = async (home: string, pid: number) => {
  for (let i = 0; i < 300 && !lockEntries(home).some((entry) => entry.startsWith(`h.${pid}.`)); i++) await sleep(20);
  expect(lockEntries(home).some((entry) => entry.startsWith(`h.${pid}.`))).toBe(true);
};

/** Every grant is live in the registry, and no port is granted twice. */
async function expectKept(home: string, grants: Grab[]): Promise<void> {
  const live = new Map((await openRegistry({ home }).list()).map((lease) => [lease.id, lease.port]));
  const granted = grants.flatMap((report) => report.granted);
  expect(granted.filter((grant) => live.get(grant.id) !== grant.port)).toEqual([]);
  expect(new Set(granted.map((grant) => grant.port)).size).toBe(granted.length);
}

describe.skipIf(NEEDS.proc ?? NEEDS.signals)("passed-over writers between a holder's read and its link (tagged: crash)", () => {
  // commit.ts used to trust `held()` (its lock entry still exists) to mean "nobody can
  // have made and pruned the name I just linked". False: writers that were passed over
  // *earlier* (stalled right after taking the lock, before reading) do not need the lock to
  // commit. Three of them, resumed while A holds the lock between its read and its link,
  // commit B+1, B+2, B+3; the third (passed over, so it always lists and tidies) prunes
  // B+1. A then links B+1 — a re-created pruned name, never the newest — and, since its
  // entry is still there, reported success without looking. Its lease was in no revision
  // that anyone would ever read: a granted lease lost.
  it('a lock holder whose linked name was made and pruned by three passed-over writers does not report success', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    await registry.reserve('seed', { app: 'i', instance: 'i', durable: true });
    const base = Number(/rev-(\d+)/.exec(registryFile(home))![1]);
    // X1 takes the lock and stops before its read; X2 passes it over (1 s silent) and does
    // the same; X3 passes X2 over; A passes X3 over, reads B and stops before its link.
    const xs: Array<ReturnType<typeof grab>> = [];
    for (let i = 0; i < 3; i++) {
      const x = grabStoppedHolding(home);
      await stopped(x.pid!);
      await holding(home, x.pid!);
      xs.push(x);
    }
    const a = grab(home, 'link#1:stop');
    await stopped(a.pid!);
    await holding(home, a.pid!);
    // The passed-over writers resume one by one: each reads the newest and commits on it.
    const reports: Grab[] = [];
    for (const x of xs) {
      process.kill(x.pid!, 'SIGCONT');
      reports.push(await reportOf(x));
    }
    expect(reports.flatMap((report) => report.errors)).toEqual([]);
    expect(existsSync(join(home, 'registry', revName(base + 3)))).toBe(true);
    expect(existsSync(join(home, 'registry', revName(base + 1)))).toBe(false); // pruned by X3
    expect(lockEntries(home).some((entry) => entry.startsWith(`h.${a.pid}.`))).toBe(true); // A still holds
    process.kill(a.pid!, 'SIGCONT');
    const report = await reportOf(a);
    reports.push(report);
    // A may fail or retry, but whatever it reports granted must be in the registry.
    await expectKept(home, reports);
  });
});
