import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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
  it('the others carry on: at once when the holder is provably dead, within the stale time otherwise', async () => {
    const recoveries: Array<{ case: string; ms: number }> = [];
    for (let run = 0; run < 12; run++) {
      const home = tempHome();
      const child = startNode(`${FIXTURES}/loop.mjs`, [home]);
      await waitForLine(child, /READY/);
      await sleep(20 + Math.random() * 150);
      child.kill('SIGKILL');
      await child.done;
      const lockLeft = existsSync(`${home}/registry.lock`);
      const holderKnown = lockLeft && existsSync(`${home}/registry.lock.owner`);
      const kind = !lockLeft ? 'no lock left' : holderKnown ? 'dead holder recorded' : 'holder unknown';
      // The deadline makes the guarantee the assertion: a recorded dead holder must be
      // taken over well before the (production, 10 s) stale time; an unknown one within
      // the stale time (2 s here) plus a margin.
      const registry = openRegistry({ home, lock: holderKnown ? { deadline: 3000 } : { stale: 2000, deadline: 6000 } });
      const started = performance.now();
      const lease = await registry.reserve({ label: 'after-crash' });
      recoveries.push({ case: kind, ms: Math.round(performance.now() - started) });
      expect(lease.port).toBeGreaterThan(0);
      JSON.parse(readFileSync(registry.file, 'utf8'));
    }
    console.log('recovery after SIGKILL (ms):', JSON.stringify(recoveries));
    expect(recoveries.some((entry) => entry.case !== 'no lock left')).toBe(true);
  });
});

describe('a lock holder stalls past the stale time (tagged: crash)', () => {
  it('no uncaught exception, the stalled write is refused, only the other writer’s change is kept', async () => {
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
    const outcome = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { code?: string; uncaught?: string };
    expect(outcome).toMatchObject({ code: 'E_LOCK_COMPROMISED' });
    const services = (await registry.list()).map((lease) => lease.service);
    expect(services).toEqual(['other']);
    expect(other.service).toBe('other');
  });
});

describe('a lock nobody can vouch for (tagged: crash)', () => {
  it('with no holder record is taken over after 2 s, well before the stale time', async () => {
    const home = tempHome();
    // Production stale time (10 s); the deadline fails the test if the 2 s rule did not apply.
    const registry = openRegistry({ home, lock: { deadline: 6000 } });
    await registry.reserve('seed', scope);
    mkdirSync(`${home}/registry.lock`);
    const started = performance.now();
    await registry.reserve('next', scope);
    const waited = performance.now() - started;
    console.log(`lock without holder record taken over after ${Math.round(waited)} ms (stale 10000 ms)`);
    expect(waited).toBeGreaterThan(1000);
  });

  it('with an mtime in the future (clock set back) is taken over at once', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { deadline: 3000 } });
    await registry.reserve('seed', scope);
    mkdirSync(`${home}/registry.lock`);
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(`${home}/registry.lock`, future, future);
    expect((await registry.reserve('next', scope)).service).toBe('next');
  });

  it('held by a live process times out with E_LOCK_TIMEOUT naming the holder', async () => {
    const home = tempHome();
    const registry = openRegistry({ home, lock: { deadline: 300 } });
    await registry.reserve('seed', scope);
    mkdirSync(`${home}/registry.lock`);
    const ino = String(statSync(`${home}/registry.lock`, { bigint: true }).ino);
    const owner = { pid: process.pid, start: null, boot: null, ns: null, host: 'here' };
    writeFileSync(`${home}/registry.lock.owner`, JSON.stringify({ owner, token: 't', lockIno: ino, since: new Date().toISOString() }));
    await expect(registry.reserve('next', scope)).rejects.toMatchObject({ code: 'E_LOCK_TIMEOUT', message: expect.stringContaining(`pid ${process.pid}`) });
  });
});
