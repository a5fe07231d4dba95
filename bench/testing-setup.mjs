/**
 * Test-runner benchmark (issue 4, item 5): what a portlease global setup adds to a test
 * run. One iteration = the globalSetup reserving and providing 5 ports, then its teardown
 * releasing them, exactly as vitest and jest call them. Baseline: 5 get-port calls, the
 * usual way to find 5 ports (which promises nothing across processes), measured in the
 * same run on the same machine.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ms, ratio, summarize, table } from './lib/stats.mjs';

const SERVICES = ['db', 'api', 'cache', 'queue', 'search'];

const log = (message) => process.stderr.write(`  [testing-setup] ${message}\n`);

/**
 * Runs each named case `count` times after `warmup` untimed rounds, interleaved (one of
 * each per round, in rotating order), so that load changes on a shared machine hit every
 * case alike. Each case returns its phases in ms; returns their summaries per case.
 */
async function measure(count, warmup, cases) {
  const names = Object.keys(cases);
  const samples = Object.fromEntries(names.map((name) => [name, {}]));
  for (let round = 0; round < warmup + count; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length];
      const phases = await cases[name]();
      if (round < warmup) continue;
      for (const [phase, value] of Object.entries(phases)) {
        samples[name][phase] ??= [];
        samples[name][phase].push(value);
      }
    }
  }
  const summary = (phases) => Object.fromEntries(Object.entries(phases).map(([phase, values]) => [phase, summarize(values)]));
  return Object.fromEntries(names.map((name) => [name, summary(samples[name])]));
}

export async function run(ctx) {
  const dist = ctx.dist ?? join(ctx.root, 'dist');
  const quick = ctx.quick ?? process.env.BENCH_QUICK === '1';
  const count = Math.max(5, ctx.runs ?? 30);
  const warmup = quick ? 2 : 5;
  const load = (file) => import(pathToFileURL(join(dist, file)).href);
  const vitestSide = await load('testing/vitest-setup.js');
  const jestSide = await load('testing/jest-setup.js');
  const { default: getPort } = await import('get-port');

  // env: false keeps this process's environment clean between iterations; publishing is
  // a handful of assignments and does not change the picture.
  const home = join(ctx.home, 'vitest');
  const jestHome = join(ctx.home, 'jest');
  log(`${count} rounds of: vitest setupPorts, jest setupPorts, 5x get-port`);
  const { vitest, jest, baseline } = await measure(count, warmup, {
    async vitest() {
      const setup = vitestSide.setupPorts(SERVICES, { home, env: false });
      const t0 = performance.now();
      const teardown = await setup({ provide: (_key, value) => structuredClone(value) });
      const t1 = performance.now();
      await teardown();
      const t2 = performance.now();
      return { setup: t1 - t0, teardown: t2 - t1, total: t2 - t0 };
    },
    async jest() {
      const setup = jestSide.setupPorts(SERVICES, { home: jestHome });
      const t0 = performance.now();
      await setup({}, {});
      const t1 = performance.now();
      await jestSide.teardownPorts();
      const t2 = performance.now();
      return { setup: t1 - t0, teardown: t2 - t1, total: t2 - t0 };
    },
    async baseline() {
      const t0 = performance.now();
      for (let i = 0; i < SERVICES.length; i++) await getPort();
      return { total: performance.now() - t0 };
    },
  });

  const row = (name, s, base) => [name, ms(s.median), ms(s.p99), base ? ratio(s.median, base.median) : ''];
  const b = baseline.total;
  return [
    '## Test-runner global setup (5 ports)',
    '',
    `One iteration: the globalSetup reserves 5 ports (one anonymous lease each, owned by the runner process) and hands them over (vitest: \`project.provide\`, structured-cloned here; jest: \`process.env\`), then the teardown releases them (jest's teardown also prunes the registry once, to sweep ended workers). ${count} rounds after ${warmup} warm-up rounds, the three cases interleaved so that load on the machine hits them alike; fsync'd writes in a temp home. Baseline in the same run: 5 sequential \`getPort()\` calls (get-port 7), which reserve nothing across processes.`,
    '',
    table(
      ['measure', 'median ms', 'p99 ms', 'vs 5× get-port (median)'],
      [
        row('vitest setup (reserve + provide 5)', vitest.setup, b),
        row('vitest teardown (release 5)', vitest.teardown, b),
        row('**vitest setup + teardown**', vitest.total, b),
        row('jest setup (reserve + publish 5)', jest.setup, b),
        row('jest teardown (release 5 + prune)', jest.teardown, b),
        row('**jest setup + teardown**', jest.total, b),
        row('baseline: 5× get-port', b, null),
      ],
    ),
    '',
    `Per test run this is paid once, in the runner's main process, not per test file. A \`workerPort()\` costs one reserve per worker (about a fifth of the setup row) plus one release when the worker stops.`,
    '',
  ].join('\n');
}
