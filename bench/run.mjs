#!/usr/bin/env node
/**
 * Benchmark driver behind `npm run bench` (which builds dist/ first).
 *
 * Runs every bench/*.mjs module that exports `run(ctx)` — core first, then cli-startup and
 * testing-setup when present, then any others by name — each with a fresh temp registry
 * home, and writes bench/RESULTS.md: the command, date, machine facts and each module's
 * markdown section. A module that throws gets a section saying so; the others still run.
 *
 * ctx passed to modules:
 *   home  — a fresh temp directory for this module (PORTLEASE_HOME points there too, so
 *           every child process inherits it and nothing touches the real ~/.portlease)
 *   root  — the repository root
 *   dist  — a private copy of dist/ taken at start (import the build from here, e.g.
 *           `${ctx.dist}/index.js`, `${ctx.dist}/cli/bin.js`): a concurrent `npm run build`
 *           (tsup cleans dist/) cannot pull it away mid-run. It sits under
 *           node_modules/.cache/ with a copy of package.json, so bare imports still resolve.
 *   runs  — iteration scale: 30 in a full run, 5 with BENCH_QUICK=1 (BENCH_RUNS overrides)
 *   quick — true with BENCH_QUICK=1 (a smoke test: small counts, minutes → seconds)
 *   headline — an object shared by all modules: core and recovery leave their headline
 *           numbers in it, for the "Before / after" section (lib/before-after.mjs)
 *
 * Environment: BENCH_QUICK=1, BENCH_RUNS=<n>, BENCH_ONLY=core,cli-startup (a subset),
 * BENCH_OUT=<file> (default bench/RESULTS.md; bench/RESULTS.quick.md when quick, so a
 * smoke test never overwrites the full results), BENCH_KEEP=1 (keep the temp homes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAfterSection } from './lib/before-after.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
/** Modules that run first, in this order; any other bench/*.mjs follows by name. */
const ORDER = ['core', 'cli-startup', 'testing-setup'];

const quick = process.env.BENCH_QUICK === '1';
const runs = Number(process.env.BENCH_RUNS) > 0 ? Number(process.env.BENCH_RUNS) : quick ? 5 : 30;
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((name) => name.trim())) : null;
const out = process.env.BENCH_OUT ?? join(BENCH_DIR, quick ? 'RESULTS.quick.md' : 'RESULTS.md');

/** bench/*.mjs modules in run order (this driver excluded). */
async function discover() {
  const names = (await fs.readdir(BENCH_DIR))
    .filter((file) => file.endsWith('.mjs') && file !== 'run.mjs')
    .map((file) => basename(file, '.mjs'))
    .filter((name) => !only || only.has(name));
  const rank = (name) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The command as the user typed it, as far as we can tell. */
function commandLine() {
  const envs = ['BENCH_QUICK', 'BENCH_RUNS', 'BENCH_ONLY'].filter((name) => process.env[name]).map((name) => `${name}=${process.env[name]}`);
  const event = process.env.npm_lifecycle_event;
  const command = event ? `npm run ${event}` : `node ${relative(process.cwd(), fileURLToPath(import.meta.url)) || 'bench/run.mjs'}`;
  return [...envs, command].join(' ');
}

/** Filesystem type, device and options of the mount holding `path`, from /proc/mounts. */
function filesystemOf(path) {
  try {
    const real = realpathSync(path);
    let best = null;
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [device, mount, type, options] = line.split(' ');
      if (!mount) continue;
      const point = mount.replace(/\\040/g, ' ');
      const inside = real === point || real.startsWith(point.endsWith('/') ? point : `${point}/`);
      if (inside && (!best || point.length >= best.point.length)) best = { device, point, type, options };
    }
    if (best) return `${best.type} (${best.device} on ${best.point}, ${best.options})`;
  } catch {
    // not Linux: fall through
  }
  try {
    return execFileSync('df', ['-T', path], { encoding: 'utf8' }).trim().split('\n').pop();
  } catch {
    return 'unknown';
  }
}

function osName() {
  try {
    const match = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (match) return `${match[1]}, ${os.type()} ${os.release()} ${os.arch()}`;
  } catch {
    // not Linux
  }
  return `${os.type()} ${os.release()} ${os.arch()}`;
}

function machineFacts(tempRoot) {
  const cpus = os.cpus();
  return [
    ['CPU', `${cpus[0]?.model ?? 'unknown'}${cpus[0]?.speed ? ` (${cpus[0].speed} MHz)` : ''}`],
    ['Cores (logical)', String(os.availableParallelism?.() ?? cpus.length)],
    ['Memory', `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB (${(os.freemem() / 1024 ** 3).toFixed(1)} GiB free at start)`],
    ['Node', process.version],
    ['OS / kernel', osName()],
    ['Temp dir and its filesystem', `${tempRoot}: ${filesystemOf(tempRoot)}`],
    [
      'Load average at start (1/5/15 min)',
      os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' / '),
    ],
  ];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Copies dist/ and package.json to node_modules/.cache/portlease-bench/<pid>/ (inside the
 * repo so that bare imports resolve from its node_modules). Waits out a build in progress.
 */
async function snapshotDist() {
  const target = join(ROOT, 'node_modules', '.cache', 'portlease-bench', String(process.pid));
  for (let attempt = 0; ; attempt++) {
    try {
      if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/index.js is missing');
      await fs.rm(target, { recursive: true, force: true });
      await fs.mkdir(target, { recursive: true });
      await fs.cp(join(ROOT, 'dist'), join(target, 'dist'), { recursive: true });
      await fs.copyFile(join(ROOT, 'package.json'), join(target, 'package.json'));
      if (!existsSync(join(target, 'dist', 'index.js'))) throw new Error('dist/index.js vanished while copying');
      return target;
    } catch (error) {
      if (attempt >= 30) throw new Error(`Cannot copy dist/ (${error.message}): run \`npm run build\` first (npm run bench does).`);
      await sleep(2000); // another build may be rewriting dist/ right now
    }
  }
}

async function main() {
  const snapshot = await snapshotDist();
  try {
    await runAll(join(snapshot, 'dist'));
  } finally {
    await fs.rm(snapshot, { recursive: true, force: true }).catch(() => {});
    await fs.rmdir(dirname(snapshot)).catch(() => {}); // only when no other run uses it
  }
}

async function runAll(dist) {
  const started = new Date();
  const tempRoot = os.tmpdir();
  const facts = machineFacts(tempRoot);
  const modules = await discover();
  process.stderr.write(`bench: ${quick ? 'quick' : 'full'} run (runs=${runs}) of ${modules.join(', ') || 'nothing'}\n`);

  const sections = [];
  const timings = [];
  const headline = {};
  let failed = 0;
  for (const name of modules) {
    const mod = await import(pathToFileURL(join(BENCH_DIR, `${name}.mjs`)).href);
    if (typeof mod.run !== 'function') continue;
    const home = await fs.mkdtemp(join(tempRoot, `portlease-bench-${name}-`));
    const previousHome = process.env.PORTLEASE_HOME;
    process.env.PORTLEASE_HOME = home;
    process.stderr.write(`bench: ${name} (home ${home})\n`);
    const t0 = performance.now();
    try {
      const section = await mod.run({ home, root: ROOT, dist, runs, quick, headline });
      sections.push(typeof section === 'string' ? section.trim() : `## ${name}\n\n(module returned no markdown)`);
    } catch (error) {
      failed += 1;
      process.stderr.write(`bench: ${name} failed: ${error?.stack ?? error}\n`);
      sections.push(`## ${name}\n\n**Failed**: \`${String(error?.message ?? error).split('\n')[0]}\` — see the run's stderr.`);
    } finally {
      if (previousHome === undefined) delete process.env.PORTLEASE_HOME;
      else process.env.PORTLEASE_HOME = previousHome;
      if (process.env.BENCH_KEEP !== '1') await fs.rm(home, { recursive: true, force: true }).catch(() => {});
    }
    const seconds = (performance.now() - t0) / 1000;
    timings.push([name, `${seconds.toFixed(1)} s`]);
    process.stderr.write(`bench: ${name} done in ${seconds.toFixed(1)} s\n`);
  }

  const total = (Date.now() - started.getTime()) / 1000;
  const table = (rows) => ['| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  const text = [
    '# portlease benchmark results',
    '',
    `- Command: \`${commandLine()}\` (run from the repository root; \`npm run bench\` builds dist/ first)`,
    `- Date: ${started.toISOString()}`,
    `- Mode: ${quick ? 'quick (BENCH_QUICK=1: a smoke test, not a measurement)' : 'full'}, runs=${runs}; total ${total.toFixed(0)} s`,
    '',
    '## Machine',
    '',
    table([
      ...facts,
      [
        'Load average at end (1/5/15 min)',
        os
          .loadavg()
          .map((x) => x.toFixed(2))
          .join(' / '),
      ],
    ]),
    '',
    'Timings are wall-clock on a shared machine: other processes (test suites, builds) may have been running.',
    '',
    beforeAfterSection(headline, { quick }),
    '',
    ...sections.flatMap((section) => [section, '']),
    '## Module run times',
    '',
    table(timings),
    '',
  ].join('\n');
  await fs.writeFile(out, text);
  process.stderr.write(`bench: wrote ${relative(process.cwd(), out) || out} in ${total.toFixed(0)} s${failed ? ` (${failed} module(s) failed)` : ''}\n`);
  if (failed) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`bench: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
