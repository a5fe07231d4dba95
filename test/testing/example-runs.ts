/**
 * Runs the example projects (examples/vitest-project, examples/jest-project) as real
 * child processes against the build in dist/, and reads back the ports they used.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeRun, makeTempDir, ROOT } from '../helpers.js';

export { ROOT };

const RUNNERS = {
  vitest: { cwd: 'examples/vitest-project', bin: 'node_modules/vitest/vitest.mjs', args: ['run', '--no-cache'] },
  // Needs PORTLEASE_VITEST3_MODULES: a node_modules with vitest 3 and portlease's runtime
  // dependencies (vitest 3 cannot be installed next to vitest 4 in the repository).
  vitest3: { cwd: 'examples/vitest-project', bin: 'node_modules/vitest/vitest.mjs', args: ['run', '--no-cache'] },
  jest30: { cwd: 'examples/jest-project', bin: 'node_modules/jest/bin/jest.js', args: ['--ci'] },
  jest29: { cwd: 'examples/jest-project', bin: 'node_modules/jest29/bin/jest.js', args: ['--ci'] },
} as const;

export type Runner = keyof typeof RUNNERS;

/** One line the example writes when PORTLEASE_EXAMPLE_OUT is set. */
export interface Mark {
  kind: 'global' | 'global-end' | 'worker' | 'worker-end';
  port: number;
  pid: number;
  t: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  marks: Mark[];
}

export interface Run {
  child: ChildProcess;
  out: string;
  done: Promise<RunResult>;
  marks(): Mark[];
}

/** The environment of a child runner: ours minus whatever the outer vitest set for its own workers. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|__VITEST|JEST_WORKER_ID|PORTLEASE_|TINYPOOL)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

export function readMarks(file: string): Mark[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Mark);
}

const NEEDED = [
  'dist/index.js',
  'dist/testing/vitest.js',
  'dist/testing/vitest-setup.js',
  'dist/testing/jest.cjs',
  'dist/testing/jest-setup.cjs',
  'dist/testing/jest-teardown.cjs',
];
const sandboxes = new Map<string, Promise<string>>();

/**
 * A private copy of dist/ and the examples, laid out as in the repository (so the
 * examples' `../../dist` paths hold) with node_modules linked to the repository's. Other
 * work may rebuild dist/ at any moment (tsup empties it first); a copy taken once keeps
 * these runs on one consistent build. It also keeps runner caches out of examples/.
 */
function prepareSandbox(modules: string): Promise<string> {
  let sandbox = sandboxes.get(modules);
  if (sandbox) return sandbox;
  sandbox = (async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const missing = NEEDED.filter((file) => !existsSync(join(ROOT, file)));
      if (missing.length === 0) {
        const dir = makeTempDir('portlease-examples-');
        cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
        if (NEEDED.every((file) => existsSync(join(dir, file)))) {
          for (const example of ['vitest-project', 'jest-project']) {
            cpSync(join(ROOT, 'examples', example), join(dir, 'examples', example), {
              recursive: true,
              filter: (source) => !source.includes('node_modules'),
            });
          }
          cpSync(join(ROOT, 'package.json'), join(dir, 'package.json')); // "type": "module" for dist/*.js
          symlinkSync(modules, join(dir, 'node_modules'), 'dir');
          return dir;
        }
      } else if (Date.now() > deadline) {
        throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first (npm test does)`);
      }
      // A build is under way: wait for it to finish.
      await sleep(500);
    }
  })();
  sandboxes.set(modules, sandbox);
  return sandbox;
}

/** dist/ of the private copy the example runs use (steady while others rebuild). */
export async function sandboxDist(): Promise<string> {
  return join(await prepareSandbox(join(ROOT, 'node_modules')), 'dist');
}

/**
 * Starts one run of an example in its own process group (so a test can kill the whole
 * run, workers included, as CI does on a timeout). `home` is the registry directory.
 */
export async function startRun(runner: Runner, home: string, options: { args?: string[]; env?: Record<string, string> } = {}): Promise<Run> {
  const modules = runner === 'vitest3' ? process.env['PORTLEASE_VITEST3_MODULES'] : join(ROOT, 'node_modules');
  if (!modules) throw new Error('set PORTLEASE_VITEST3_MODULES to a node_modules holding vitest 3');
  const base = await prepareSandbox(modules);
  const spec = RUNNERS[runner];
  const scratch = makeTempDir(`portlease-${runner}-`);
  const out = join(scratch, 'marks.jsonl');
  const extraArgs = runner.startsWith('vitest') ? [] : [`--cacheDirectory=${join(scratch, 'cache')}`];
  const child = spawn(process.execPath, [join(base, spec.bin), ...spec.args, ...extraArgs, ...(options.args ?? [])], {
    cwd: join(base, spec.cwd),
    env: childEnv({ PORTLEASE_HOME: home, PORTLEASE_EXAMPLE_OUT: out, ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<RunResult>((resolveDone, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolveDone({ code, signal, output, marks: readMarks(out) }));
  });
  return { child, out, done, marks: () => readMarks(out) };
}

/** Waits until `predicate` holds, polling. */
export async function waitUntil(predicate: () => boolean, what: string, timeout = 60_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Starts a run whose servers hold on, waits until two workers serve, then SIGKILLs the
 * whole process group (runner and workers, as CI does on a timeout) and waits until it is
 * gone: the leases it held stay on file with dead owners.
 */
export async function killMidRun(runner: Runner, home: string, range: string): Promise<void> {
  const killed = await startRun(runner, home, {
    args: ['--maxWorkers=2'],
    env: { PORTLEASE_RANGE: range, PORTLEASE_EXAMPLE_HOLD: '600000' },
  });
  await waitUntil(() => killed.marks().filter((mark) => mark.kind === 'worker').length >= 2, 'the run to start its servers');
  const pgid = killed.child.pid!;
  process.kill(-pgid, 'SIGKILL');
  await killed.done;
  await waitUntil(() => !groupAlive(pgid), 'the killed run to be gone', 30_000);
}

/** True while any process of the group `pgid` exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A window of `size` ports that are all free right now, as `PORTLEASE_RANGE` text: taken
 * from the OS (see freeRun), outside the default range where every other test file running
 * at the same time leases ports in registries of its own.
 */
export async function narrowRange(size: number): Promise<string> {
  const from = await freeRun(size);
  return `${from}-${from + size - 1}`;
}

/** Lifetime of each server a run started: [port, start, end]. A missing end means "until the run ended". */
export function serverIntervals(result: RunResult): Array<{ port: number; start: number; end: number }> {
  const open = new Map<string, Mark>();
  const intervals: Array<{ port: number; start: number; end: number }> = [];
  let last = 0;
  for (const mark of result.marks) last = Math.max(last, mark.t);
  for (const mark of result.marks) {
    const key = `${mark.kind.replace('-end', '')}:${mark.pid}:${mark.port}`;
    if (mark.kind.endsWith('-end')) {
      const start = open.get(key);
      if (start) intervals.push({ port: mark.port, start: start.t, end: mark.t });
      open.delete(key);
    } else {
      open.set(key, mark);
    }
  }
  for (const mark of open.values()) intervals.push({ port: mark.port, start: mark.t, end: last });
  return intervals;
}

/** Pairs of servers of two runs that had the same port at the same time. */
export function sharedAtOnce(a: RunResult, b: RunResult): string[] {
  const clashes: string[] = [];
  for (const x of serverIntervals(a)) {
    for (const y of serverIntervals(b)) {
      if (x.port === y.port && x.start <= y.end && y.start <= x.end) clashes.push(`port ${x.port}`);
    }
  }
  return clashes;
}

/** True when the two runs' global servers were up at the same time (the runs really overlapped). */
export function overlapped(a: RunResult, b: RunResult): boolean {
  const global = (run: RunResult) => serverIntervals(run).find((interval) => interval.port === run.marks.find((mark) => mark.kind === 'global')?.port);
  const x = global(a);
  const y = global(b);
  return x !== undefined && y !== undefined && x.start <= y.end && y.start <= x.end;
}
