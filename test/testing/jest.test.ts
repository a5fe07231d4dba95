/**
 * End to end: the jest example (global server + one server per worker) run by jest 30 and
 * jest 29 at the same moment against one registry, and a run killed with SIGKILL followed
 * by a run that must not notice. Proves that `portlease/jest` loads in jest's CommonJS
 * sandbox (it bundles the ESM-only dependencies) on both majors, with NODE_ENV=test.
 */
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { killMidRun, ROOT, sandboxDist, narrowRange, overlapped, sharedAtOnce, startRun, type RunResult } from './example-runs.js';
import { NEEDS } from '../os.js';
import { tempHome } from '../helpers.js';

function expectPassed(result: RunResult): void {
  expect(result.output, result.output).toMatch(/Tests:\s+9 passed, 9 total/);
  expect(result.output).not.toMatch(/EADDRINUSE/);
  expect(result.code, result.output).toBe(0);
}

function portsOf(result: RunResult, kind: 'global' | 'worker'): number[] {
  return result.marks.filter((mark) => mark.kind === kind).map((mark) => mark.port);
}

/** Bare specifiers `require`d by a CJS file of dist/ and, transitively, by its dist/ chunks. */
function requiredPackages(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/require\((?:"|')([^"']+)(?:"|')\)/g)) {
    if (specifier!.startsWith('.')) {
      for (const name of requiredPackages(join(file, '..', specifier!), seen)) packages.add(name);
    } else if (!builtinModules.includes(specifier!.replace(/^node:/, ''))) {
      packages.add(specifier!);
    }
  }
  return packages;
}

describe('portlease/jest build', () => {
  test.each(['jest', 'jest-setup', 'jest-teardown'])('dist/testing/%s.cjs requires no ESM-only package', async (entry) => {
    const packages = requiredPackages(join(await sandboxDist(), 'testing', `${entry}.cjs`));
    const require = createRequire(join(ROOT, 'package.json'));
    for (const name of packages) {
      const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { type?: string };
      expect(manifest.type, `${name} is ESM-only: jest's sandbox cannot require it`).not.toBe('module');
    }
    expect([...packages]).not.toContain('lowdb');
    expect([...packages]).not.toContain('get-port');
  });
});

describe('portlease/jest on the example project', () => {
  test('jest 30 and jest 29 at once never share a port, and leave no lease behind', async () => {
    const home = tempHome();
    const env = { PORTLEASE_RANGE: await narrowRange(24), PORTLEASE_EXAMPLE_HOLD: '1500' };
    const jest30 = await startRun('jest30', home, { args: ['--maxWorkers=2'], env });
    const jest29 = await startRun('jest29', home, { args: ['--maxWorkers=2'], env });
    const [a, b] = await Promise.all([jest30.done, jest29.done]);
    expectPassed(a);
    expectPassed(b);

    const [globalA] = portsOf(a, 'global');
    const [globalB] = portsOf(b, 'global');
    expect(globalA).toBeTypeOf('number');
    expect(globalB).not.toBe(globalA);
    expect(overlapped(a, b)).toBe(true);
    expect(sharedAtOnce(a, b)).toEqual([]);
    for (const run of [a, b]) {
      const workers = run.marks.filter((mark) => mark.kind === 'worker');
      expect(workers).toHaveLength(3);
      // Two worker processes; a worker keeps its port across the files it runs.
      const byPid = new Map<number, Set<number>>();
      for (const mark of workers) byPid.set(mark.pid, (byPid.get(mark.pid) ?? new Set()).add(mark.port));
      for (const ports of byPid.values()) expect(ports.size).toBe(1);
      const distinct = new Set(workers.map((mark) => mark.port));
      expect(distinct.size).toBe(byPid.size);
      expect(distinct.has(run === a ? globalA! : globalB!)).toBe(false);
    }

    // The teardown released the global leases and swept the ended workers' leases.
    expect(await openRegistry({ home }).list()).toEqual([]);
    const report = await openRegistry({ home }).inspect();
    expect(report.dead).toEqual([]);
    expect(report.leases).toBe(0);
  });

  test('an in-band run releases its worker lease at teardown', async () => {
    const home = tempHome();
    const result = await (await startRun('jest30', home, { args: ['--runInBand'] })).done;
    expectPassed(result);
    expect(new Set(portsOf(result, 'worker')).size).toBe(1);
    expect((await openRegistry({ home }).inspect()).leases).toBe(0);
  });

  // Kills the run's whole process group: POSIX only.
  test.skipIf(NEEDS.signals)('a run killed with SIGKILL leaves nothing that blocks the next run', async () => {
    const home = tempHome();
    const range = await narrowRange(5);
    await killMidRun('jest30', home, range);

    const before = await openRegistry({ home }).inspect();
    expect(before.dead.length).toBeGreaterThanOrEqual(3);
    expect(before.live).toEqual([]);

    const next = await (await startRun('jest29', home, { args: ['--maxWorkers=2'], env: { PORTLEASE_RANGE: range } })).done;
    expectPassed(next);
    expect((await openRegistry({ home }).inspect()).leases).toBe(0);
  });
});
