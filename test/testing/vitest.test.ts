/**
 * End to end: the vitest example (global server + one server per worker) run twice at
 * the same moment against one registry, with the forks and the threads pool, and a run
 * killed with SIGKILL followed by a run that must not notice.
 */
import { describe, expect, test } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { killMidRun, narrowRange, overlapped, sharedAtOnce, startRun, type RunResult } from './example-runs.js';
import { NEEDS } from '../os.js';
import { tempHome } from '../helpers.js';

function expectPassed(result: RunResult): void {
  expect(result.output, result.output).toMatch(/Tests\s+9 passed/);
  expect(result.output).not.toMatch(/EADDRINUSE/);
  expect(result.code, result.output).toBe(0);
}

function portsOf(result: RunResult, kind: 'global' | 'worker'): number[] {
  return result.marks.filter((mark) => mark.kind === kind).map((mark) => mark.port);
}

describe('portlease/vitest on the example project', () => {
  test('two concurrent runs (forks and threads) never share a port, and leave no lease behind', async () => {
    const home = tempHome();
    // A narrow window makes the runs compete for the same few ports; the hold keeps every
    // server up long enough for the two runs to overlap.
    const env = { PORTLEASE_RANGE: await narrowRange(24), PORTLEASE_EXAMPLE_HOLD: '1500' };
    const forks = await startRun('vitest', home, { args: ['--pool=forks', '--maxWorkers=3'], env });
    const threads = await startRun('vitest', home, { args: ['--pool=threads', '--maxWorkers=3'], env });
    const [a, b] = await Promise.all([forks.done, threads.done]);
    expectPassed(a);
    expectPassed(b);

    // Both runs were up at the same time, so their global ports must differ ...
    const [globalA] = portsOf(a, 'global');
    const [globalB] = portsOf(b, 'global');
    expect(globalA).toBeTypeOf('number');
    expect(globalB).not.toBe(globalA);
    // ... and no port served two servers at once, across runs or inside one.
    expect(overlapped(a, b)).toBe(true);
    expect(sharedAtOnce(a, b)).toEqual([]);
    expect(portsOf(a, 'worker')).toHaveLength(3);
    expect(portsOf(b, 'worker')).toHaveLength(3);
    expect(portsOf(a, 'worker')).not.toContain(globalA);
    expect(portsOf(b, 'worker')).not.toContain(globalB);

    // Teardown released the global leases and vitest's worker cleanup the worker leases
    // (threads share the main pid, so only an explicit release removes theirs).
    expect(await openRegistry({ home }).list()).toEqual([]);
    const report = await openRegistry({ home }).inspect();
    expect(report.dead).toEqual([]);
    expect(report.leases).toBe(0);
  });

  // vitest 3 cannot be installed next to vitest 4 in this repository; given a node_modules
  // that holds it (npm i vitest@3 lowdb get-port yaml in a temp dir),
  // the same check runs against it.
  test.skipIf(!process.env['PORTLEASE_VITEST3_MODULES'])('vitest 3: concurrent forks and threads runs', async () => {
    const home = tempHome();
    const env = { PORTLEASE_RANGE: await narrowRange(24), PORTLEASE_EXAMPLE_HOLD: '1500' };
    const forks = await startRun('vitest3', home, { args: ['--pool=forks', '--maxWorkers=3'], env });
    const threads = await startRun('vitest3', home, { args: ['--pool=threads', '--maxWorkers=3'], env });
    const [a, b] = await Promise.all([forks.done, threads.done]);
    expect(a.output).toMatch(/RUN\s+v3\./);
    expectPassed(a);
    expectPassed(b);
    expect(overlapped(a, b)).toBe(true);
    expect(sharedAtOnce(a, b)).toEqual([]);
    expect((await openRegistry({ home }).inspect()).leases).toBe(0);
  });

  // Kills the run's whole process group: POSIX only.
  test.skipIf(NEEDS.signals)('a run killed with SIGKILL leaves nothing that blocks the next run', async () => {
    const home = tempHome();
    // 5 ports: the killed run leaves 3 leases behind and the next run needs up to 3 at
    // once, so it passes only if the registry reclaims the dead ones.
    const range = await narrowRange(5);
    await killMidRun('vitest', home, range);

    // Its leases are still on file (nobody wrote since) but no longer live.
    const before = await openRegistry({ home }).inspect();
    expect(before.dead.length).toBeGreaterThanOrEqual(3);
    expect(before.live).toEqual([]);

    const next = await (await startRun('vitest', home, { args: ['--maxWorkers=1'], env: { PORTLEASE_RANGE: range } })).done;
    expectPassed(next);
    const after = await openRegistry({ home }).inspect();
    expect(after.leases).toBe(0);
  });
});
