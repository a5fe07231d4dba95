import { existsSync, mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { holderEntry } from '../src/lock-holder.js';
import { ownerOf } from '../src/owner.js';
import { describe, expect, it } from 'vitest';
import { openRegistry, type Lease } from '../src/index.js';
import { FIXTURES, sleep, startNode, tempHome, waitForLine } from './helpers.js';

const scope = { app: 'crash', instance: 'i' };

describe('a process holding leases is SIGKILLed (tagged: crash)', () => {
  it('its leases are reclaimed by the next writer', async () => {
    const home = tempHome();
    const child = startNode(`${FIXTURES}/hold.mjs`, [home, '-', '3']);
    const leases = JSON.parse(await waitForLine(child, /^\[/)) as Lease[];
    const registry = openRegistry({ home });
    expect(await registry.list()).toHaveLength(3);
    child.kill('SIGKILL');
    await child.done;
    const reclaimed = await registry.prune();
    expect(reclaimed.map((lease) => lease.id).sort()).toEqual(leases.map((lease) => lease.id).sort());
    expect(await registry.list()).toEqual([]);
  });

  it('but not while a surviving child still listens on the port', async () => {
    const home = tempHome();
    const child = startNode(`${FIXTURES}/hold.mjs`, [home, 'api', '1'], { HOLD_BIND: '1', PORTLEASE_APP: 'crash', PORTLEASE_INSTANCE: 'i' });
    const [lease] = JSON.parse(await waitForLine(child, /^\[/)) as Lease[];
    const grandchild = Number((await waitForLine(child, /^BOUND /)).split(' ')[1]);
    try {
      child.kill('SIGKILL');
      await child.done;
      const registry = openRegistry({ home });
      expect(await registry.prune()).toEqual([]);
      const report = await registry.inspect();
      expect(report.dead.map((entry) => entry.id)).toEqual([lease!.id]);
      // Nobody else is handed the port the orphan still serves on, nor the name.
      await expect(registry.reserve('other', { ...scope, port: lease!.port })).rejects.toMatchObject({ code: 'E_PORT_BUSY' });
      await expect(registry.reserve('api', scope)).rejects.toMatchObject({
        code: 'E_SERVICE_LEASED',
        message: expect.stringContaining('died while something it started still listens'),
      });
      process.kill(grandchild, 'SIGKILL');
      await sleep(100);
      expect((await registry.prune()).map((entry) => entry.id)).toEqual([lease!.id]);
    } finally {
      try {
        process.kill(grandchild, 'SIGKILL');
      } catch {}
    }
  });
});

describe('a process is SIGKILLed while it may hold the lock (tagged: crash)', () => {
  it('the others carry on at once: a dead holder is passed over without waiting for the stale time', async () => {
    const recoveries: Array<{ case: string; ms: number }> = [];
    for (let run = 0; run < 12; run++) {
      const home = tempHome();
      const child = startNode(`${FIXTURES}/loop.mjs`, [home]);
      await waitForLine(child, /READY/);
      await sleep(20 + Math.random() * 150);
      child.kill('SIGKILL');
      await child.done;
      const held = existsSync(`${home}/registry.lock`) && readdirSync(`${home}/registry.lock`).length > 0;
      // Production stale time (10 s): the deadline fails the test if the holder had to
      // be waited out instead of being recognised as dead.
      const registry = openRegistry({ home, lock: { deadline: 3000 } });
      const started = performance.now();
      const lease = await registry.reserve({ label: 'after-crash' });
      recoveries.push({ case: held ? 'dead holder' : 'no lock left', ms: Math.round(performance.now() - started) });
      expect(lease.port).toBeGreaterThan(0);
      expect((await registry.list()).map((entry) => entry.id)).toContain(lease.id);
    }
    console.log('recovery after SIGKILL (ms):', JSON.stringify(recoveries));
    expect(recoveries.some((entry) => entry.case === 'dead holder')).toBe(true);
  });
});

describe('a lock holder stalls past the stale time (tagged: crash)', () => {
  it('is passed over; when it resumes, its commit loses the race and is retried: both leases are kept, no error', async () => {
    const home = tempHome();
    // A lease whose owner is dead makes the next writer probe its port under the lock.
    const dead = startNode(`${FIXTURES}/hold.mjs`, [home, 'ghost', '1'], { PORTLEASE_APP: 'crash', PORTLEASE_INSTANCE: 'i' });
    await waitForLine(dead, /^\[/);
    dead.kill('SIGKILL');
    await dead.done;

    const stalled = startNode(`${FIXTURES}/stall.mjs`, [home, '3500']);
    await waitForLine(stalled, /STALLING/);
    const registry = openRegistry({ home, lock: { stale: 2000 } });
    const other = await registry.reserve('other', scope);
    const result = await stalled.done;
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { lease?: Lease; code?: string; uncaught?: string };
    expect(outcome.lease?.service).toBe('stalled');
    const live = await registry.list();
    expect(live.map((lease) => lease.service).sort()).toEqual(['other', 'stalled']);
    expect(live.find((lease) => lease.service === 'stalled')?.port).toBe(outcome.lease?.port);
    expect(other.port).not.toBe(outcome.lease?.port);
  });
});

describe('a lock nobody can vouch for (tagged: crash)', () => {
  const entryIn = (home: string, entry: string) => mkdirSync(`${home}/registry.lock/${entry}`, { recursive: true });

  it('left empty (as every release leaves it) is free at once', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { deadline: 1000 } });
    await registry.reserve('seed', scope);
    // A release removes its entry only: the next taker's rename replaces the empty directory.
    expect(readdirSync(`${home}/registry.lock`)).toEqual([]);
    expect((await registry.reserve('next', scope)).service).toBe('next');
    expect(readdirSync(`${home}/registry.lock`)).toEqual([]);
  });

  it('held by a process of a previous boot is passed over at once', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { deadline: 1000 } });
    await registry.reserve('seed', scope);
    entryIn(home, holderEntry({ ...ownerOf(), boot: 'a-boot-before-the-power-cut' }, Date.now(), 'abc'));
    expect((await registry.reserve('next', scope)).service).toBe('next');
  });

  it('with an entry portlease did not write is passed over once it shows no sign of life for the stale time', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { stale: 1000, deadline: 5000 } });
    await registry.reserve('seed', scope);
    entryIn(home, 'junk');
    const started = performance.now();
    await registry.reserve('next', scope);
    expect(performance.now() - started).toBeGreaterThan(900);
  });

  it('held by a live process whose clock is an hour off is not passed over while it shows signs of life', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { stale: 1000, deadline: 2500 } });
    await registry.reserve('seed', scope);
    const entry = holderEntry(ownerOf(), Date.now() + 3_600_000, 'skew');
    entryIn(home, entry);
    // The holder's heartbeat, with its clock an hour ahead: mtimes in the future that change.
    let beat = 0;
    const heartbeat = setInterval(() => {
      const future = new Date(Date.now() + 3_600_000 + ++beat * 1000);
      utimesSync(`${home}/registry.lock/${entry}`, future, future);
    }, 300);
    try {
      await expect(registry.reserve('next', scope)).rejects.toMatchObject({ code: 'E_LOCK_TIMEOUT', message: expect.stringContaining(`pid ${process.pid}`) });
      expect(readdirSync(`${home}/registry.lock`)).toEqual([entry]);
    } finally {
      clearInterval(heartbeat);
    }
  });
});
