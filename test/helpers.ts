/**
 * The test helper core, for every test file: temp folders and homes that are removed
 * after the test, real child processes (node scripts and the built CLI) that are killed
 * after it, real sockets and ports taken from the OS, and the registry's files. The
 * CLI, HTTP and proxy helpers build on these and re-export them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, cp, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import type { Registry } from '../src/api.js';
import { isPortleaseError } from '../src/errors.js';
import { getOsFreePort } from '../src/probe.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
/** The built CLI (`npm run build`); spawned tests run a private copy, see {@link useBuiltBin}. */
export const BIN = join(ROOT, 'dist/cli/bin.js');

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Registers something to undo after the current test. */
export function onCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn);
}

/**
 * A fresh folder under the OS temp dir that nothing removes: for fixtures shared by a
 * whole file (made in `beforeAll`, removed in `afterAll` with {@link removeDir}).
 */
export function makeTempDir(prefix = 'portlease-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a folder, retried: a transaction still finishing (a release on 'close') may add a file meanwhile. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/** A fresh registry home, removed after the test. Never the real ~/.portlease. */
export function tempHome(prefix = 'portlease-test-'): string {
  const dir = makeTempDir(prefix);
  onCleanup(() => removeDir(dir));
  return dir;
}

/** A fresh temporary folder, removed after the test. */
export async function tempDir(prefix = 'portlease-test-'): Promise<string> {
  return tempHome(prefix);
}

/** A temporary folder holding `files` (name → text), removed after the test: a project to scan. */
export async function tempFiles(files: Record<string, string>, prefix = 'portlease-files-'): Promise<string> {
  const dir = await tempDir(prefix);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Output of a finished child. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A spawned process with its output collected as it comes. */
export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once the process has exited and its pipes closed. */
  finished: Promise<Finished>;
  /** Resolves with the exit code (128+n for signal n) once the process has exited and its pipes closed. */
  exited: Promise<number>;
  /** Resolves once stdout contains `text`. */
  waitForOutput(text: string): Promise<void>;
}

/** Spawns a command, collecting its output; killed after the test if still running. */
export function spawnCollect(file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Spawned {
  const child = spawn(file, args, { env: options.env, cwd: options.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of waiters.splice(0)) {
      if (out.includes(waiter.text)) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    check();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const finished = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  const exited = finished.then(({ code, signal }) => code ?? 128 + (signal === null ? 0 : signalNumber(signal)));
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await finished.catch(() => {});
    }
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    finished,
    exited,
    waitForOutput: (text) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        waiters.push({ text, resolve });
        exited.then(() => reject(new Error(`exited before printing ${JSON.stringify(text)}; stdout: ${out}; stderr: ${err}`)), reject);
      }),
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal as string] ?? 0;
}

/** Starts `node <script> ...args` with extra env; killed after the test if still running. */
export function startNode(script: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess & { done: Promise<Finished> } {
  const spawned = spawnCollect(process.execPath, [script, ...args], { env: { ...process.env, ...env }, cwd: process.cwd() });
  return Object.assign(spawned.child, { done: spawned.finished });
}

let snapshotBin: string | undefined;

/**
 * Spawned tests run a private copy of dist/ (under node_modules/.cache, so bare imports
 * still resolve): a concurrent `npm run build` (tsup cleans dist/) cannot pull the bin away
 * mid-test. Waits out a build in progress; fails with the fix when nothing was built.
 * Call once at the top of a test file; `bin()` is the path to spawn.
 */
export function useBuiltBin(): () => string {
  let target: string | undefined;
  beforeAll(async () => {
    target = join(ROOT, 'node_modules', '.cache', 'portlease-cli-test', String(process.pid));
    for (let attempt = 0; ; attempt++) {
      try {
        if (!existsSync(BIN)) throw new Error(`${BIN} is missing`);
        await rm(target, { recursive: true, force: true });
        await mkdir(target, { recursive: true });
        await cp(join(ROOT, 'dist'), join(target, 'dist'), { recursive: true });
        await copyFile(join(ROOT, 'package.json'), join(target, 'package.json'));
        const bin = join(target, 'dist', 'cli', 'bin.js');
        // --help loads every command module: proves the copy is whole.
        const check = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
        if (check.status !== 0) throw new Error(`the copied bin fails: ${check.stderr}`);
        snapshotBin = bin;
        return;
      } catch (error) {
        if (attempt >= 30) {
          throw new Error(`Cannot use dist/cli/bin.js (${(error as Error).message}): run \`npm run build\` first (npm test does).`);
        }
        await sleep(2000); // a build may be rewriting dist/
      }
    }
  }, 120_000);
  afterAll(async () => {
    snapshotBin = undefined;
    if (target !== undefined) await rm(target, { recursive: true, force: true });
  });
  return () => {
    if (snapshotBin === undefined) throw new Error('useBuiltBin(): beforeAll has not run');
    return snapshotBin;
  };
}

/** Environment for spawned bins: a temp home, a fixed app, no colours. */
export function binEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PORTLEASE_HOME: home, PORTLEASE_APP: 'testapp', NO_COLOR: '1', ...extra };
}

/** Exit code and output of a finished command. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built bin (the private copy when {@link useBuiltBin} is in use) to completion. */
export async function runBin(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<Result> {
  const spawned = spawnCollect(process.execPath, [snapshotBin ?? BIN, ...args], options);
  const code = await spawned.exited;
  return { code, stdout: spawned.stdout(), stderr: spawned.stderr() };
}

/** Resolves with the first stdout line of `child` that matches. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((candidate) => pattern.test(candidate));
      if (line !== undefined) {
        child.stdout!.off('data', onData);
        resolveLine(line);
      }
    };
    child.stdout!.on('data', onData);
    child.once('close', (code) => reject(new Error(`child exited (${code}) before printing ${pattern}`)));
  });
}

/** Listens on `host:port` (port 0 = any); closed after the test. Rejects with the bind error. */
export function bindOn(port: number, host: string, options: { ipv6Only?: boolean } = {}): Promise<Server> {
  return new Promise((resolveServer, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true, ...options }, () => {
      onCleanup(() => new Promise<void>((closed) => server.close(() => closed())));
      resolveServer(server);
    });
  });
}

/** A port bound right now by a real server on Node's default address (closed after the test). */
export function boundPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      onCleanup(() => new Promise<void>((closed) => server.close(() => closed())));
      resolvePort(portOf(server));
    });
  });
}

/** The port a listening server is bound to. */
export function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return address.port;
}

/** Whether this machine has IPv6 loopback. */
export async function hasIpv6(): Promise<boolean> {
  try {
    const server = await bindOn(0, '::1');
    server.close();
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls `check` until it returns true (no timing assertion: the test timeout bounds it). */
export async function eventually(check: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await check())) await sleep(20);
}

/** Path of the newest revision file of the registry in `home` (see src/storage.ts). */
export function registryFile(home: string): string {
  const dir = join(home, 'registry');
  const newest = readdirSync(dir)
    .filter((name) => /^rev-\d+\.json$/.test(name))
    .sort()
    .at(-1);
  if (newest === undefined) throw new Error(`no revision in ${dir}`);
  return join(dir, newest);
}

/** The registry in `home` as stored in its newest revision. */
export function registryData<
  T = {
    rev: number;
    nextId: number;
    lineage?: string[];
    leases: Array<{ id: number; port: number; service: string | null }>;
    sticky: Array<{ key: string; port: number }>;
  },
>(home: string): T {
  return JSON.parse(readFileSync(registryFile(home), 'utf8')) as T;
}

/** Every file of the registry directory in `home` with its bytes: to assert that nothing changed. */
export function registryState(home: string): Record<string, string> {
  const dir = join(home, 'registry');
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return {};
  }
  return Object.fromEntries(names.map((name) => [name, readFileSync(join(dir, name)).toString('base64')]));
}

/**
 * What the lock left in `home`: staging directories (`.lock-*`), the entries of
 * `registry.lock/` and the waiters' markers in `registry.wait/`. All empty means free and
 * nobody queued (a release leaves `registry.lock/` empty, see src/lock.ts and src/lock-queue.ts).
 */
export function lockLeftovers(home: string): string[] {
  const stages = readdirSync(home).filter((name) => name.startsWith('.lock-'));
  const inside = (dir: string) => (existsSync(join(home, dir)) ? readdirSync(join(home, dir)).map((entry) => `${dir}/${entry}`) : []);
  return [...stages, ...inside('registry.lock'), ...inside('registry.wait')];
}

/**
 * The first port of `count` consecutive ports that are all free right now (each bound on
 * :: and closed), searched from a random point of 30000-32767: for tests that need a range.
 * That window lies above the default range (where other test files lease ports at the
 * same time) and below every OS's ephemeral range (Linux 32768-60999, macOS and Windows
 * from 49152), where outgoing connections take ports at any moment: a machine running a
 * load test has most of those in TIME_WAIT, and a port there cannot be bound.
 */
const [FREE_RUN_FROM, FREE_RUN_TO] = [30_000, 32_767];

export async function freeRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const from = FREE_RUN_FROM + Math.floor(Math.random() * (FREE_RUN_TO - FREE_RUN_FROM + 2 - count));
    const servers: Server[] = [];
    let free = true;
    try {
      for (let port = from; port < from + count; port++) {
        servers.push(
          await new Promise<Server>((resolve, reject) => {
            const server = createServer();
            server.once('error', reject);
            server.listen({ port, host: '::', exclusive: true }, () => resolve(server));
          }),
        );
      }
    } catch {
      free = false; // one of them is busy: try elsewhere
    } finally {
      await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
    }
    if (free && (await claimWindow(from, count))) return from;
  }
  throw new Error(`no ${count} free ports in a row`);
}

let windows: Registry | undefined;

/**
 * Leases a window of freeRun in a registry that every test process shares, owned by the
 * process that asked (reclaimed once it is gone): two test files running at once then never
 * get overlapping windows, which each would hand out from a registry of its own, and one
 * would find its port taken by the other's server. False when a port of it is leased.
 */
async function claimWindow(from: number, count: number): Promise<boolean> {
  // Imported here, not at the top: a test file that mocks the platform layer imports these
  // helpers before its mock's values exist, and the library reads the platform as it loads.
  windows ??= (await import('../src/api.js')).openRegistry({ home: join(tmpdir(), 'portlease-test-windows') });
  try {
    await windows.reserveAll(Array.from({ length: count }, (_, index) => ({ port: [from + index], label: 'freeRun' })));
    return true;
  } catch (error) {
    if (isPortleaseError(error) && (error.code === 'E_PORT_LEASED' || error.code === 'E_PORT_BUSY')) return false;
    throw error;
  }
}

/** `count` distinct ports the OS calls free right now (ephemeral, not leased): for fixtures that need real free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await getOsFreePort({ exclude: ports }));
  return ports;
}

/**
 * Captures the process warnings with `code` (e.g. `PORTLEASE_RECOVERED`) until the end of
 * the test, instead of letting Node print them: an expected warning is asserted, not shown.
 * Other warnings still go through.
 */
export function captureWarnings(code: string): string[] {
  const captured: string[] = [];
  const original = process.emitWarning.bind(process);
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation(((warning: string | Error, options?: unknown) => {
    const warningCode = typeof options === 'object' && options !== null ? (options as { code?: string }).code : undefined;
    if (warningCode === code) captured.push(typeof warning === 'string' ? warning : warning.message);
    else original(warning, options as NodeJS.EmitWarningOptions);
  }) as typeof process.emitWarning);
  onCleanup(() => spy.mockRestore());
  return captured;
}

/** The four names of issue 10, which port-registry accepts: a branch, a space, non-ASCII, HTML metacharacters. */
export const ODD_NAMES = ['feature/login', 'my app', 'café', 'a<&>b'] as const;

/** Resolves once `pid` is stopped (state T in /proc): a SIGSTOP, from PORTLEASE_FAULT's `stop`, took effect. */
export async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await sleep(20);
  }
  throw new Error(`process ${pid} did not stop`);
}
