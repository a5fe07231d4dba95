/**
 * The waiters' queue of the lock (src/lock-queue.ts): waiters take turns in the order they
 * came, and nobody waits on a waiter that does not come (stopped, killed). Real processes;
 * the order is counted from lease ids (each grant is one commit, and ids rise by commit),
 * never timed. The later blocks are what an adversarial run found: markers the queue cannot
 * judge, a waiter passed over by running writers, a suspend during the wait, fractional
 * clocks.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
import { holderEntry, whoAmI } from '../src/lock-holder.js';
import { pause, turn } from '../src/lock-queue.js';
import { eventually, FIXTURES, lockLeftovers, startNode, stopped, tempHome, waitForLine } from './helpers.js';
import { NEEDS } from './os.js';

interface Grab {
  pid: number;
  granted: Array<{ id: number; port: number }>;
  errors: string[];
}

const grab = (home: string, count: number, env: Record<string, string> = {}) =>
  startNode(`${FIXTURES}/grab.mjs`, [home, String(count), '-'], { GRAB_HOLD: '1', ...env });
const reportOf = async (child: ReturnType<typeof grab>) => JSON.parse(await waitForLine(child, /^\{"pid"/)) as Grab;
const markers = (home: string) => (existsSync(join(home, 'registry.wait')) ? readdirSync(join(home, 'registry.wait')) : []);
const queued = (home: string, pid: number) => eventually(() => markers(home).some((name) => name.startsWith(`w.${pid}.`)));
/** One reserve from a fresh process (it releases and exits). */
const reserveOnce = async (home: string) => reportOf(startNode(`${FIXTURES}/grab.mjs`, [home, '1', '-']));
const isStopped = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
};

/** A holder stopped inside the lock (just before its commit), and the registry seeded. */
async function heldLock(home: string, count = 1, env: Record<string, string> = {}) {
  await openRegistry({ home }).reserve('seed', { app: 'q', instance: 'q', durable: true });
  const holder = grab(home, count, { PORTLEASE_FAULT: 'link#1:stop', ...env });
  await stopped(holder.pid!);
  return holder;
}

describe('turn and pause (pure)', () => {
  it('takes the lock when nobody is queued ahead, yields for the handoff window, then takes over', () => {
    expect(turn(0, 0, 8)).toBe('take');
    expect(turn(3, 7.9, 8)).toBe('yield');
    expect(turn(3, 8, 8)).toBe('take-over');
  });

  it('the head looks again after 1 ms; further back, longer and jittered, up to the cap', () => {
    expect(pause(0, 0.99)).toBe(1);
    expect(pause(2, 0)).toBe(1);
    expect(pause(2, 0.5)).toBe(2.5);
    expect(pause(100, 0.999, 12)).toBeLessThan(13);
  });
});

// SIGSTOP and /proc/<pid>/stat to see the stop.
describe.skipIf(NEEDS.proc ?? NEEDS.signals)('the waiters queue (tagged: crash)', () => {
  it('waiters are served in the order they queued: a holder that keeps writing does not take the lock again ahead of them', async () => {
    const home = tempHome();
    // A long handoff window: here every waiter is live, so the order is the queue's alone.
    const env = { GRAB_HANDOFF: '30000' };
    const holder = await heldLock(home, 6, env);
    // Reports are listened for from the start: a line printed before would be missed.
    const reports = [reportOf(holder)];
    for (let i = 0; i < 4; i++) {
      const waiter = grab(home, 1, env);
      reports.push(reportOf(waiter));
      await queued(home, waiter.pid!);
    }
    process.kill(holder.pid!, 'SIGCONT');
    const [first, ...rest] = await Promise.all(reports);
    expect([first!, ...rest].flatMap((report) => report.errors)).toEqual([]);
    const mine = first!.granted.map((grant) => grant.id);
    const start = mine[0]!;
    // Rounds each waiter lost: grants made after it queued and before its own, beyond the
    // waiters queued ahead of it. Polling alone let the holder take most of them.
    const lost = rest.map((report, position) => report.granted[0]!.id - start - 1 - position);
    expect(lost).toEqual([0, 0, 0, 0]);
    // The holder's next five writes came after every waiter.
    expect(Math.min(...mine.slice(1))).toBeGreaterThan(Math.max(...rest.map((report) => report.granted[0]!.id)));
    expect(markers(home)).toEqual([]);
  });

  it('a stopped waiter at the head of the queue does not block the waiters behind it', async () => {
    const home = tempHome();
    const holder = await heldLock(home);
    // Reports are listened for from the start: a line printed before would be missed.
    const held = reportOf(holder);
    const oldest = grab(home, 1);
    const oldestReport = reportOf(oldest);
    await queued(home, oldest.pid!);
    process.kill(oldest.pid!, 'SIGSTOP');
    await stopped(oldest.pid!);
    const next = grab(home, 1);
    const nextReport = reportOf(next);
    await queued(home, next.pid!);
    process.kill(holder.pid!, 'SIGCONT');
    // The one behind is served while the oldest is still stopped.
    const served = await nextReport;
    expect(served.granted).toHaveLength(1);
    expect(isStopped(oldest.pid!)).toBe(true);
    // And a newcomer too (it finds the stopped waiter's marker, waits one handoff window).
    const late = await reportOf(grab(home, 1));
    expect(late.granted).toHaveLength(1);
    expect(isStopped(oldest.pid!)).toBe(true);
    process.kill(oldest.pid!, 'SIGCONT');
    const resumed = await oldestReport;
    expect(resumed.granted).toHaveLength(1);
    expect([served, late, resumed, await held].flatMap((report) => report.errors)).toEqual([]);
    expect(lockLeftovers(home)).toEqual([]);
  });

  it('a waiter SIGKILLed in the queue: the next waiter removes its marker and its stage, and is served', async () => {
    const home = tempHome();
    const holder = await heldLock(home);
    const held = reportOf(holder);
    const killed = grab(home, 1);
    await queued(home, killed.pid!);
    killed.kill('SIGKILL');
    await killed.done;
    expect(markers(home).some((name) => name.startsWith(`w.${killed.pid}.`))).toBe(true);
    const next = grab(home, 1);
    const nextReport = reportOf(next);
    await queued(home, next.pid!);
    // `doctor` counts the live waiter, not the dead one's marker.
    expect((await openRegistry({ home }).inspect()).lock).toMatchObject({ held: true, waiting: 1 });
    process.kill(holder.pid!, 'SIGCONT');
    expect((await nextReport).granted).toHaveLength(1);
    expect((await held).granted).toHaveLength(1);
    expect(lockLeftovers(home)).toEqual([]);
  });
});

describe('markers the queue cannot judge', () => {
  /** A queue marker named `name`, made an hour ago (no waiter waits that long: deadline 30 s). */
  const plantHourOld = (home: string, name: string) => {
    mkdirSync(join(home, 'registry.wait'), { mode: 0o700 });
    writeFileSync(join(home, 'registry.wait', name), '', { mode: 0o600 });
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(home, 'registry.wait', name), hourAgo, hourAgo);
  };
  /** doctor does not count it, five new processes each get their lease, and it is removed. */
  const expectPassedOver = async (home: string) => {
    expect((await openRegistry({ home }).inspect()).lock.waiting).toBe(0);
    for (let i = 0; i < 5; i++) expect((await reserveOnce(home)).granted).toHaveLength(1);
    expect(markers(home)).toEqual([]);
  };

  it('a marker left by a waiter of another host or pid namespace (its pid means nothing here) does not stay in the queue forever', async () => {
    const home = tempHome();
    expect((await reserveOnce(home)).errors).toEqual([]);
    // A waiter in a container that shares this home, SIGKILLed (or its container stopped)
    // while it was queued: its place tag is not this one, so isAlive cannot judge it and
    // calls it alive. Its marker is an hour old: no waiter waits that long (deadline 30 s).
    plantHourOld(home, 'w.4242.-.deadbeef.cafebabe.abc.0123456789ab');
    // doctor counts it as a waiter does: not at all. Every new process meets it: its first
    // try is given up (look() sees a queue), and it yields to the marker for a whole
    // handoff window before it takes a free lock.
    await expectPassedOver(home);
  });

  it('a marker of this place whose start time is unknown, its pid now used by a live process, does not stay forever either', async () => {
    const home = tempHome();
    expect((await reserveOnce(home)).errors).toEqual([]);
    // Where the platform cannot tell a process's start time ('-'), a dead waiter's pid
    // reused by a live process passes isAlive. This test's own pid stands for that process.
    const reused = `w${holderEntry({ ...whoAmI().owner, pid: process.pid, start: null }, Date.now(), 'feedfacecafe').slice(1)}`;
    expect(reused.split('.')[2]).toBe('-');
    plantHourOld(home, reused);
    await expectPassedOver(home);
  });
});

describe.skipIf(NEEDS.proc ?? NEEDS.signals)('a waiter passed over by running writers (tagged: crash)', () => {
  it('a waiter queued behind a stopped waiter, itself stopped for a moment, is served while two writers keep writing', async () => {
    const home = tempHome();
    // A holder stopped inside the lock, so that the two waiters below queue.
    const holder = await heldLock(home);
    // S: queued, then stopped for good (a ^Z'd CLI call).
    const stuck = grab(home, 1);
    await queued(home, stuck.pid!);
    process.kill(stuck.pid!, 'SIGSTOP');
    // W: queued behind S (S is in the listing it made before its marker: it yields to S).
    const waiter = grab(home, 1, { GRAB_DEADLINE: '6000' });
    const waited = reportOf(waiter);
    await queued(home, waiter.pid!);
    // W misses one handoff window (stopped here; a blocked event loop or a busy CPU does
    // the same): the running writers take their turn over S and W, and from then on no
    // longer yield to either of them.
    process.kill(waiter.pid!, 'SIGSTOP');
    const loops = [0, 1].map(() => startNode(`${FIXTURES}/loop.mjs`, [home]));
    process.kill(holder.pid!, 'SIGCONT');
    await Promise.all(loops.map((loop) => waitForLine(loop, /READY/)));
    process.kill(waiter.pid!, 'SIGCONT');
    // W still yields to S until the lock stands free for a handoff window with the same
    // inode and mtime; the writers take it at once whenever it is free, so that never
    // happens: W times out (E_LOCK_TIMEOUT) while the lock changes hands hundreds of times.
    const report = await waited;
    for (const loop of loops) loop.kill('SIGKILL');
    process.kill(stuck.pid!, 'SIGCONT');
    expect(report.errors).toEqual([]);
    expect(report.granted).toHaveLength(1);
  }, 30_000);
});

describe.skipIf(NEEDS.proc ?? NEEDS.signals)('the kernel-clock time of a write across a suspend (tagged: crash)', () => {
  it('a ttl lease granted after a suspend during the lock wait is not written as created (and expiring) before the lock was even free', async () => {
    const home = tempHome();
    const holder = await heldLock(home);
    // A ttl reserve that waits for the lock: its stage entry, whose ctime Held.now starts
    // from, is made before the wait.
    const SUSPEND_MS = 3000;
    const waiter = startNode('--import', [`${FIXTURES}/suspend.mjs`, `${FIXTURES}/reserve-ttl.mjs`, home, 'web', '1s'], { SUSPEND_MS: String(SUSPEND_MS) });
    const line = waitForLine(waiter, /^\{/);
    await eventually(() => readdirSync(home).some((name) => name.startsWith(`.lock-${waiter.pid}-`)));
    // The machine sleeps SUSPEND_MS while it waits: wall time passes, CLOCK_MONOTONIC not.
    await new Promise((done) => setTimeout(done, SUSPEND_MS));
    process.kill(waiter.pid!, 'SIGUSR2');
    // Only now is the lock released: whatever the waiter writes is written after this.
    const released = Date.now();
    process.kill(holder.pid!, 'SIGCONT');
    const lease = JSON.parse(await line) as { createdAt: string; expiresAt: string };
    // Held.now = entry ctime + monotonic time since: SUSPEND_MS behind the kernel's clock.
    // The 1 s lease is written already expired, and the next writer reclaims it while its
    // caller holds it: its port can be granted to someone else (a double grant).
    expect(Date.parse(lease.createdAt)).toBeGreaterThanOrEqual(released - 100);
    expect(Date.parse(lease.expiresAt)).toBeGreaterThan(released);
  }, 30_000);
});

describe.skipIf(NEEDS.proc ?? NEEDS.signals)('a Date.now() that is not a whole number (tagged: crash)', () => {
  // Date.now() replaced by a fake that returns fractions (performance.timeOrigin +
  // performance.now(), some fake-timer setups; here skew.mjs with SKEW_MS=0.5): the holder
  // entry's and the marker's 'since' field, since.toString(36), gets a '.' of its own.
  const fractional = (home: string, env: Record<string, string> = {}) =>
    startNode('--import', [`${FIXTURES}/skew.mjs`, `${FIXTURES}/grab.mjs`, home, '1', '-'], { GRAB_HOLD: '1', SKEW_MS: '0.5', ...env });

  it('a holder SIGKILLed inside the lock is passed over at once (provably dead), not after the stale time', async () => {
    const home = tempHome();
    await openRegistry({ home }).reserve('seed', { app: 'q', instance: 'q', durable: true });
    const holder = fractional(home, { PORTLEASE_FAULT: 'link#1:kill' });
    await holder.done;
    expect(readdirSync(join(home, 'registry.lock'))).toHaveLength(1);
    // A stale time far beyond the deadline: only the dead-holder fast path can serve it.
    const next = await reportOf(grab(home, 1, { GRAB_STALE: '600000', GRAB_DEADLINE: '5000' }));
    expect(next.errors).toEqual([]);
    expect(next.granted).toHaveLength(1);
  });

  it('a waiter SIGKILLed in the queue leaves no marker and no stage behind once the next waiter is served', async () => {
    const home = tempHome();
    const holder = await heldLock(home);
    const killed = fractional(home);
    await queued(home, killed.pid!);
    killed.kill('SIGKILL');
    await killed.done;
    const next = grab(home, 1);
    const served = reportOf(next);
    await queued(home, next.pid!);
    process.kill(holder.pid!, 'SIGCONT');
    expect((await served).granted).toHaveLength(1);
    expect(markers(home)).toEqual([]);
    expect(readdirSync(home).filter((name) => name.startsWith(`.lock-${killed.pid}-`))).toEqual([]);
  });
});
