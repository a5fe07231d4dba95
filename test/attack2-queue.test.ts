/**
 * ATTACK (branch attack2): the waiters' queue (src/lock-queue.ts) against markers it cannot
 * judge and against waiters that are passed over. Real processes; outcomes, never timings.
 */
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, startNode, tempHome, waitForLine } from './helpers.js';

const markers = (home: string) => (existsSync(join(home, 'registry.wait')) ? readdirSync(join(home, 'registry.wait')) : []);
const reserveOnce = async (home: string) => {
  const child = startNode(`${FIXTURES}/grab.mjs`, [home, '1', '-']);
  return JSON.parse(await waitForLine(child, /^\{"pid"/)) as { granted: Array<{ id: number }>; errors: string[] };
};

describe('ATTACK: markers the queue cannot judge', () => {
  it('a marker left by a waiter of another host or pid namespace (its pid means nothing here) does not stay in the queue forever', async () => {
    const home = tempHome();
    expect((await reserveOnce(home)).errors).toEqual([]);
    // A waiter in a container that shares this home, SIGKILLed (or its container stopped)
    // while it was queued: its place tag is not this one, so isAlive cannot judge it and
    // calls it alive. Its marker is an hour old: no waiter waits that long (deadline 30 s).
    mkdirSync(join(home, 'registry.wait'), { mode: 0o700 });
    const foreign = 'w.4242.-.deadbeef.cafebabe.abc.0123456789ab';
    writeFileSync(join(home, 'registry.wait', foreign), '', { mode: 0o600 });
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(home, 'registry.wait', foreign), hourAgo, hourAgo);
    // Every new process meets it: its first try is given up (look() sees a queue), and it
    // yields to the marker for a whole handoff window before it takes a free lock.
    for (let i = 0; i < 5; i++) expect((await reserveOnce(home)).granted).toHaveLength(1);
    expect(markers(home)).toEqual([]);
  });
});
