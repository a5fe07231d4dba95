/**
 * `portlease serve --detach | --stop | --status`: a background server known by its pid file
 * (pid-file.ts) in the registry directory, its output appended to `serve.log` there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { moduleDir } from '../module-dir.js';
import { bracket } from '../http/guard.js';
import { isPidAlive } from '../owner.js';
import { currentPlatform } from '../platform/index.js';
import { type PidInfo, readPidFile, removePidFile } from './pid-file.js';

/** File name of the detached server's log inside the registry directory. */
export const LOG_FILE = 'serve.log';

/** The state of the background server of one registry. */
export type ServerState =
  | { state: 'running'; info: PidInfo; healthy: boolean }
  | { state: 'stopped' }
  /** The pid file named a process that is gone (`null`: it was unreadable); the file has been removed. */
  | { state: 'stale'; info: PidInfo | null };

/**
 * True unless the process is provably not a portlease server. Pids are reused, and
 * `--stop` must never signal an unrelated process that got the old one: its command line
 * must name `serve` (src/platform/: /proc, ps, CIM). Where the OS cannot tell, liveness
 * is all we can tell.
 */
function looksLikeServer(pid: number): boolean {
  const words = currentPlatform().commandLine(pid);
  return words === null || words.includes('serve');
}

/**
 * Asks `GET /healthz` of the server at `host:port`; true on `200`.
 *
 * @example
 * await checkHealth('127.0.0.1', 51234); // true
 */
export function checkHealth(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return new Promise((resolve) => {
    const req = request(
      { host: target, port, path: '/healthz', method: 'GET', agent: false, timeout: timeoutMs, headers: { host: `${bracket(target)}:${port}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * The state of the background server; removes a stale pid file on the way.
 *
 * @example
 * const status = await serverStatus(registry.home); // { state: 'running', info, healthy: true }
 */
export async function serverStatus(dir: string): Promise<ServerState> {
  const info = await readPidFile(dir);
  if (info === undefined) return { state: 'stopped' };
  if (info !== null && isPidAlive(info.pid) && looksLikeServer(info.pid)) {
    return { state: 'running', info, healthy: await checkHealth(info.host, info.port) };
  }
  // By pid: a server that started since we read the file has written its own, which stays.
  await removePidFile(dir, info?.pid);
  return { state: 'stale', info };
}

/** Options of {@link startDetached}. */
export interface DetachOptions {
  /** Registry directory (for the pid file and the log). */
  dir: string;
  port: number;
  host: string;
  /** `--response-timeout` of the server, in ms (its default when undefined). */
  responseTimeout?: number | undefined;
  /** Path of the CLI's `bin.js`. @default dist/cli/bin.js of this package */
  bin?: string;
  /** Environment of the server process. */
  env: Record<string, string | undefined>;
  /** Working directory of the server process. */
  cwd: string;
  /** How long to wait for the server to answer `/healthz`. @default 10000 */
  timeoutMs?: number;
}

/** Result of {@link startDetached}. */
export type DetachResult = { ok: true; info: PidInfo; log: string } | { ok: false; reason: string; running?: PidInfo; log: string };

/**
 * Starts `portlease serve` as a detached background process and waits until it answers
 * `/healthz` and has written its pid file.
 *
 * @example
 * const result = await startDetached({ dir: registry.home, port: 51234, host: '127.0.0.1', env: process.env, cwd: process.cwd() });
 */
export async function startDetached(options: DetachOptions): Promise<DetachResult> {
  const log = join(options.dir, LOG_FILE);
  const current = await serverStatus(options.dir);
  if (current.state === 'running') return { ok: false, reason: 'already running', running: current.info, log };
  const bin = options.bin ?? packageBin();
  if (bin === undefined || !existsSync(bin)) {
    return { ok: false, reason: `cannot find the portlease CLI (${bin ?? 'dist/cli/bin.js'}); run \`npm run build\``, log };
  }

  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const fd = openSync(log, 'a', 0o600);
  let exited: string | undefined;
  let child: ChildProcess;
  try {
    const args = [bin, 'serve', '--port', String(options.port), '--host', options.host, '--home', options.dir];
    if (options.responseTimeout !== undefined) args.push('--response-timeout', `${options.responseTimeout}ms`);
    child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env,
      cwd: options.cwd,
      windowsHide: true,
    });
  } finally {
    closeSync(fd);
  }
  child.once('error', (error) => (exited = error.message));
  child.once('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exited with code ${code}`));

  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) return { ok: false, reason: `the server ${exited}: ${lastLines(log)}`, log };
    const info = await readPidFile(options.dir);
    if (info && info.pid === child.pid && (await checkHealth(info.host, info.port))) {
      child.unref();
      return { ok: true, info, log };
    }
    await sleep(100);
  }
  child.kill('SIGTERM');
  return { ok: false, reason: `the server did not answer within ${options.timeoutMs ?? 10_000} ms: ${lastLines(log)}`, log };
}

/** Result of {@link stopServer}. */
export type StopResult =
  | { state: 'stopped'; info: PidInfo }
  | { state: 'not running'; stale: PidInfo | undefined | null }
  | { state: 'still running'; info: PidInfo };

/**
 * Stops the background server: SIGTERM, then waits for the process to exit (it closes its
 * connections and removes its pid file).
 *
 * @example
 * const result = await stopServer(registry.home); // { state: 'stopped', info }
 */
export async function stopServer(dir: string, timeoutMs = 5000): Promise<StopResult> {
  const status = await serverStatus(dir);
  if (status.state === 'stopped') return { state: 'not running', stale: undefined };
  if (status.state === 'stale') return { state: 'not running', stale: status.info };
  const { info } = status;
  try {
    process.kill(info.pid, 'SIGTERM');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isPidAlive(info.pid)) {
      await removePidFile(dir, info.pid);
      return { state: 'stopped', info };
    }
    await sleep(50);
  }
  return { state: 'still running', info };
}

/**
 * `dist/cli/bin.js` of the package this file belongs to, found by walking up to its
 * package.json: bundling moves this code into chunks, so no fixed relative path holds.
 *
 * @example
 * spawn(process.execPath, [packageBin()!, 'serve']);
 */
export function packageBin(): string | undefined {
  let dir = moduleDir();
  for (let depth = 0; depth < 6; depth++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'portlease') {
          return join(dir, 'dist', 'cli', 'bin.js');
        }
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

function lastLines(file: string, count = 5): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-count).join(' | ') || '(no output)';
  } catch {
    return '(no log)';
  }
}
