/**
 * Interleavings of the lock and the commit, replayed step by step: a process stops itself
 * (SIGSTOP, through the PORTLEASE_FAULT seam of src/fsio.ts) just before a chosen
 * file-system call, the test arranges what the others do meanwhile, then resumes it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { holderEntry } from '../src/lock-holder.js';
import { ownerOf } from '../src/owner.js';
import { openRegistry } from '../src/index.js';
import { FIXTURES, registryFile, sleep, startNode, tempHome, waitForLine, stopped } from './helpers.js';
import { NEEDS } from './os.js';

interface Grab {
  pid: number;
  granted: Array<{ id: number; port: number }>;
  errors: string[];
}

const grab = (home: string, fault: string, env: Record<string, string> = {}) =>
  startNode(`${FIXTURES}/grab.mjs`, [home, '1', '-'], { PORTLEASE_FAULT: fault, GRAB_HOLD: '1', ...env });
const reportOf = async (child: ReturnType<typeof grab>) => JSON.parse(await waitForLine(child, /^\{"pid"/)) as Grab;
const lockEntries = (home: string) => (existsSync(join(home, 'registry.lock')) ? readdirSync(join(home, 'registry.lock')) : []);

/** Every grant is live in the registry, and no port is granted twice. */
async function expectKept(home: string, grants: Grab[]): Promise<void> {
  const live = new Map((await openRegistry({ home }).list()).map((lease) => [lease.id, lease.port]));
  const granted = grants.flatMap((report) => report.granted);
  expect(grants.flatMap((report) => report.errors)).toEqual([]);
  expect(granted.filter((grant) => live.get(grant.id) !== grant.port)).toEqual([]);
  expect(new Set(granted.map((grant) => grant.port)).size).toBe(granted.length);
}

// SIGSTOP at an fs call, and /proc/<pid>/stat to see the stop.
describe.skipIf(NEEDS.proc ?? NEEDS.signals)('interleavings, step by step (tagged: crash)', () => {
  // A holder's entry is an empty file; a directory is what a hand (or an older portlease) may leave.
  it.each([
    ['a file', 'unlink#1'],
    ['a directory', 'rmdir#1'],
  ])('two waiters judge one dead holder (its entry %s): the slower one never removes the lock the faster one took', async (kind, removal) => {
    const home = tempHome();
    await openRegistry({ home }).reserve('seed', { app: 'i', instance: 'i', durable: true });
    const deadPid = Number(execFileSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' }));
    const dead = join(home, 'registry.lock', holderEntry({ ...ownerOf(), pid: deadPid, start: '1' }, Date.now(), 'dead'));
    if (kind === 'a file') writeFileSync(dead, '');
    else mkdirSync(dead, { recursive: true });
    // A stops just before it removes the dead holder's entry.
    const a = grab(home, `${removal}:stop`);
    await stopped(a.pid!);
    // B passes over the dead holder, takes the lock, and stops just before its commit.
    const b = grab(home, 'link#1:stop');
    await stopped(b.pid!);
    const held = lockEntries(home);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatch(new RegExp(`^h\\.${b.pid}\\.`));
    process.kill(a.pid!, 'SIGCONT');
    await sleep(300);
    expect(lockEntries(home)).toEqual(held); // A removed nothing of B's and waits its turn
    process.kill(b.pid!, 'SIGCONT');
    await expectKept(home, await Promise.all([reportOf(a), reportOf(b)]));
  });

  it('a reserve whose lock-free read is overtaken by a commit before it locks reads again under the lock', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    await registry.reserve('seed', { app: 'i', instance: 'i', durable: true });
    // Stopped at its first mkdir (the lock's stage): it has read and probed, not yet locked.
    const b = grab(home, 'mkdir#1:stop');
    await stopped(b.pid!);
    const other = await registry.reserve({ label: 'other', owner: false, durable: true });
    process.kill(b.pid!, 'SIGCONT');
    const report = await reportOf(b);
    // Had it committed on its stale read, its link would lose every time (E_LOCK_TIMEOUT).
    await expectKept(home, [report, { pid: process.pid, granted: [{ id: other.id, port: other.port }], errors: [] }]);
    expect(report.granted).toHaveLength(1);
  });

  it('a holder that stalls past the stale time is passed over; resumed, its commit loses the race and is retried', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { stale: 1000 } });
    await registry.reserve('seed', { app: 'i', instance: 'i', durable: true });
    const b = grab(home, 'link#1:stop');
    await stopped(b.pid!);
    const other = await registry.reserve({ label: 'other', owner: false, durable: true });
    expect(lockEntries(home).some((entry) => entry.startsWith(`h.${b.pid}.`))).toBe(false);
    process.kill(b.pid!, 'SIGCONT');
    const report = await reportOf(b);
    await expectKept(home, [report, { pid: process.pid, granted: [{ id: other.id, port: other.port }], errors: [] }]);
  });

  it('a writer stalled while others commit and prune its revision name re-creates it, sees it is not an ancestor, and retries', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { stale: 1000 } });
    await registry.reserve('seed', { app: 'i', instance: 'i', durable: true });
    const base = Number(/rev-(\d+)/.exec(registryFile(home))![1]);
    const b = grab(home, 'link#1:stop');
    await stopped(b.pid!);
    // Enough commits that the name B is about to create, rev base+1, is made and pruned.
    for (let i = 0; i < 8; i++) await (await registry.reserve({ label: `c${i}` })).release();
    const target = join(registry.file, `rev-${String(base + 1).padStart(12, '0')}.json`);
    expect(existsSync(target)).toBe(false);
    process.kill(b.pid!, 'SIGCONT');
    const report = await reportOf(b);
    await expectKept(home, [report]);
    expect(existsSync(target)).toBe(false); // its orphan removed
  });

  it('the same, when the passed-over writer then cannot list the directory: an error that says so, never a success', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { stale: 1000 } });
    await registry.reserve('seed', { app: 'i', instance: 'i', durable: true });
    // Its reads list the directory twice (once for the lock-free view, once under the lock:
    // the lock-free read is confirmed by that second listing); every listing after its link fails.
    const b = grab(home, 'link#1:stop,readdir#3+:EIO');
    await stopped(b.pid!);
    for (let i = 0; i < 8; i++) await (await registry.reserve({ label: `c${i}` })).release();
    process.kill(b.pid!, 'SIGCONT');
    const report = await reportOf(b);
    expect(report.granted).toEqual([]);
    expect(report.errors).toEqual([expect.stringMatching(/^E_STORAGE: .*may or may not be in the registry/)]);
    expect((await registry.list()).filter((lease) => lease.owner?.pid === b.pid)).toEqual([]);
  });

  it('a writer stalled right after its commit, while others pass it over and commit 30 times, still reports its one lease', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { stale: 1000 } });
    await registry.reserve('seed', { app: 'i', instance: 'i', durable: true });
    // The first unlink of a write is its temp file's, after the link and the directory fsync.
    const b = grab(home, 'unlink#1:stop');
    await stopped(b.pid!);
    for (let i = 0; i < 30; i++) await (await registry.reserve({ label: `c${i}` })).release();
    process.kill(b.pid!, 'SIGCONT');
    const report = await reportOf(b);
    await expectKept(home, [report]);
    const mine = (await registry.list()).filter((lease) => lease.owner?.pid === b.pid);
    expect(mine.map((lease) => lease.id)).toEqual(report.granted.map((grant) => grant.id));
  });

  it.each([3_600_000, -3_600_000])('a waiter whose clock is %d ms off never passes over a live holder that shows signs of life', async (skew) => {
    const home = tempHome();
    await openRegistry({ home }).reserve('seed', { app: 'i', instance: 'i', durable: true });
    const entry = holderEntry(ownerOf(), Date.now(), 'live');
    mkdirSync(join(home, 'registry.lock', entry), { recursive: true });
    // This process plays the live holder: its heartbeat touches its entry.
    const heartbeat = setInterval(() => {
      const now = new Date();
      execFileSync('touch', ['-d', now.toISOString(), join(home, 'registry.lock', entry)]);
    }, 250);
    try {
      const waiter = startNode('--import', [`${FIXTURES}/skew.mjs`, `${FIXTURES}/grab.mjs`, home, '1', '-'], {
        SKEW_MS: String(skew),
        GRAB_STALE: '1000',
        GRAB_DEADLINE: '3000',
      });
      const report = JSON.parse(await waitForLine(waiter, /^\{"pid"/)) as Grab;
      expect(report.granted).toEqual([]);
      expect(report.errors).toEqual([expect.stringMatching(/^E_LOCK_TIMEOUT/)]);
      expect(lockEntries(home)).toEqual([entry]);
    } finally {
      clearInterval(heartbeat);
    }
  });
});
