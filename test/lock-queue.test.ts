/**
 * The waiters' queue of the lock (src/lock-queue.ts): waiters take turns in the order they
 * came, and nobody waits on a waiter that does not come (stopped, killed). Real processes;
 * the order is counted from lease ids (each grant is one commit, and ids rise by commit),
 * never timed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
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
