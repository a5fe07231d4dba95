/** Shared test helpers: temp homes, real child processes, real sockets. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, vi } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Registers something to undo after the current test. */
export function onCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn);
}

/** A fresh registry home, removed after the test. Never the real ~/.portlease. */
export function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portlease-test-'));
  // Retried: a transaction still finishing (a release on 'close') may add a file meanwhile.
  onCleanup(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }));
  return dir;
}

/** Output of a finished child. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `node <script> ...args` with extra env; killed after the test if still running. */
export function startNode(script: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess & { done: Promise<Finished> } {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { done: Promise<Finished> };
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.done = new Promise((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })));
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await child.done;
    }
  });
  return child;
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
 * What the lock left in `home`: staging directories (`.lock-*`) and the entries of
 * `registry.lock/`. Both empty means free (a release leaves `registry.lock/` empty, see src/lock.ts).
 */
export function lockLeftovers(home: string): string[] {
  const stages = readdirSync(home).filter((name) => name.startsWith('.lock-'));
  const lock = join(home, 'registry.lock');
  const held = existsSync(lock) ? readdirSync(lock).map((entry) => `registry.lock/${entry}`) : [];
  return [...stages, ...held];
}

/**
 * The first port of `count` consecutive ports that are all free right now (each bound on
 * :: and closed), searched from a random point of 40000-59999: for tests that need a range.
 */
export async function freeRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const from = 40000 + Math.floor(Math.random() * (20000 - count));
    const servers: Server[] = [];
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
      return from;
    } catch {
      // one of them is busy: try elsewhere
    } finally {
      await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
    }
  }
  throw new Error(`no ${count} free ports in a row`);
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
