/**
 * The case that broke the first lock design: a lock holder SIGKILLed at a random point of
 * its transaction, then many processes wanting the lock at that moment (a test runner
 * killed with Ctrl-C while its workers start). Every grant returned must be in the
 * registry, no id or port granted twice, and no error returned to any caller.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
import { FIXTURES, sleep, startNode, tempHome, waitForLine } from './helpers.js';

const TRIALS = Number(process.env['PORTLEASE_RUSH_TRIALS'] ?? 30);
const WAITERS = 16;
const EACH = 3;

interface Grab {
  pid: number;
  granted: Array<{ id: number; port: number; service: string | null }>;
  errors: string[];
}

describe('a lock holder is SIGKILLed while many processes rush for the lock (tagged: crash)', () => {
  it(`${TRIALS} trials × ${WAITERS} processes × ${EACH} leases: every grant is kept, none twice, no error`, async () => {
    const summary = { trials: 0, grants: 0, lockLeftByKill: 0, errors: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const home = tempHome();
      const victim = startNode(`${FIXTURES}/loop.mjs`, [home]);
      await waitForLine(victim, /READY/);
      await sleep(Math.random() * 40);
      victim.kill('SIGKILL');
      await victim.done;
      if (readdirSync(home).includes('registry.lock') && readdirSync(`${home}/registry.lock`).length > 0) summary.lockLeftByKill += 1;
      // Half the processes ask for named leases, half for anonymous ones.
      const waiters = Array.from({ length: WAITERS }, (_, index) =>
        startNode(`${FIXTURES}/grab.mjs`, [home, String(EACH), index % 2 === 0 ? 'svc' : '-'], { GRAB_HOLD: '1' }),
      );
      const grabs = await Promise.all(waiters.map(async (child) => JSON.parse(await waitForLine(child, /^\{"pid"/)) as Grab));
      const granted = grabs.flatMap((grab) => grab.granted);
      const errors = grabs.flatMap((grab) => grab.errors);
      const live = await openRegistry({ home }).list();
      summary.trials += 1;
      summary.grants += granted.length;
      summary.errors += errors.length;
      expect(errors, `trial ${trial}`).toEqual([]);
      expect(granted).toHaveLength(WAITERS * EACH);
      expect(new Set(granted.map((grant) => grant.id)).size, `trial ${trial}: an id granted twice`).toBe(granted.length);
      expect(new Set(granted.map((grant) => grant.port)).size, `trial ${trial}: a port granted twice`).toBe(granted.length);
      const inRegistry = new Map(live.map((lease) => [lease.id, lease.port]));
      const lost = granted.filter((grant) => inRegistry.get(grant.id) !== grant.port);
      expect(lost, `trial ${trial}: grants missing from the registry`).toEqual([]);
      for (const child of waiters) child.kill('SIGKILL');
      await Promise.all(waiters.map((child) => child.done));
    }
    console.log('rush after SIGKILL:', JSON.stringify(summary));
    expect(summary.lockLeftByKill).toBeGreaterThan(0); // the kill did land inside the lock
  }, 600_000);
});

describe('a process whose clock is an hour off among five others (tagged: crash)', () => {
  it.each([3_600_000, -3_600_000])(
    'skew %d ms, 5 trials × 6 processes × 5 leases: every grant is kept, none twice, no error',
    async (skew) => {
      for (let trial = 0; trial < 5; trial++) {
        const home = tempHome();
        // A holder killed first, so that the lock is taken over while the skewed one waits too.
        const victim = startNode(`${FIXTURES}/loop.mjs`, [home]);
        await waitForLine(victim, /READY/);
        victim.kill('SIGKILL');
        await victim.done;
        const children = Array.from({ length: 6 }, (_, index) =>
          index === 0
            ? startNode('--import', [`${FIXTURES}/skew.mjs`, `${FIXTURES}/grab.mjs`, home, '5', 'skew'], { SKEW_MS: String(skew), GRAB_HOLD: '1' })
            : startNode(`${FIXTURES}/grab.mjs`, [home, '5', index % 2 === 0 ? 'svc' : '-'], { GRAB_HOLD: '1' }),
        );
        const grabs = await Promise.all(children.map(async (child) => JSON.parse(await waitForLine(child, /^\{"pid"/)) as Grab));
        const granted = grabs.flatMap((grab) => grab.granted);
        expect(
          grabs.flatMap((grab) => grab.errors),
          `trial ${trial}`,
        ).toEqual([]);
        expect(granted).toHaveLength(30);
        expect(new Set(granted.map((grant) => grant.id)).size).toBe(30);
        expect(new Set(granted.map((grant) => grant.port)).size).toBe(30);
        const live = new Map((await openRegistry({ home }).list()).map((lease) => [lease.id, lease.port]));
        expect(
          granted.filter((grant) => live.get(grant.id) !== grant.port),
          `trial ${trial}: grants missing`,
        ).toEqual([]);
        for (const child of children) child.kill('SIGKILL');
        await Promise.all(children.map((child) => child.done));
      }
    },
    300_000,
  );
});
