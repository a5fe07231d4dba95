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
