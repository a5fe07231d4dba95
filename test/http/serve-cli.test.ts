/**
 * `portlease serve` as users run it: the built CLI (`node dist/cli/bin.js`, built by
 * `npm test`'s pretest; a private copy, see useBuiltBin) in real child processes,
 * foreground and detached, with the pid file in a temp registry home.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getOsFreePort } from '../../src/index.js';
import type { PortleaseServer } from '../../src/http/index.js';
import { makeTempDir, removeDir, useBuiltBin } from '../cli/helpers.js';
import { alloc, call } from './helpers.js';
import { NEEDS } from '../os.js';

const bin = useBuiltBin();

let home: string;
beforeEach(async () => {
  home = makeTempDir('portlease-serve-');
});
afterEach(async () => {
  // Never leave a detached server behind, whatever failed.
  await cli(['serve', '--stop']);
  const left = await readFile(pidFile(), 'utf8').catch(() => undefined);
  if (left !== undefined) {
    try {
      process.kill((JSON.parse(left) as { pid: number }).pid, 'SIGKILL');
    } catch {
      // already gone, or a test's fake pid file
    }
  }
  removeDir(home);
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin(), ...args, '--home', home],
      { env: { ...process.env, PORTLEASE_HOME: home, NO_COLOR: '1' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The pid of a process that has exited: what a pid file holds after a crash or reboot. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

/** Whether `pid` runs: a zombie (exited, not yet reaped by this test process) does not. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return process.platform !== 'linux';
  }
}

const pidFile = () => join(home, 'serve.pid');

describe('serve --status / --stop with a stale pid file', () => {
  it('--status reports not running, removes the stale file and exits 1', async () => {
    const pid = await deadPid();
    await writeFile(pidFile(), JSON.stringify({ pid, port: 51234, host: '127.0.0.1', url: 'http://127.0.0.1:51234', startedAt: new Date().toISOString() }));
    const run = await cli(['serve', '--status']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`not running (removed the stale pid file of pid ${pid})\n`);
    expect(existsSync(pidFile())).toBe(false);
    expect((await cli(['serve', '--status'])).stdout).toBe('not running\n');
  });

  it('treats an unreadable pid file as stale', async () => {
    await writeFile(pidFile(), 'garbage');
    const run = await cli(['serve', '--status', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ state: 'not running', staleRemoved: true });
    expect(existsSync(pidFile())).toBe(false);
  });

  it('--stop never signals a live process that merely reuses the pid', async () => {
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await writeFile(
        pidFile(),
        JSON.stringify({ pid: bystander.pid, port: 51234, host: '127.0.0.1', url: 'http://127.0.0.1:51234', startedAt: new Date().toISOString() }),
      );
      const run = await cli(['serve', '--stop']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`removed the stale pid file of pid ${bystander.pid}`);
      expect(isAlive(bystander.pid!)).toBe(true);
    } finally {
      bystander.kill('SIGKILL');
    }
  });
});

describe('serve --detach', () => {
  it('starts in the background, answers, shares the registry with the CLI, and stops', async () => {
    const started = await cli(['serve', '--detach', '--port', '0', '--json']);
    expect(started.code, started.stderr + started.stdout).toBe(0);
    const info = JSON.parse(started.stdout);
    expect(info).toMatchObject({ state: 'running', host: '127.0.0.1', url: `http://127.0.0.1:${info.port}` });
    expect(JSON.parse(await readFile(pidFile(), 'utf8'))).toMatchObject({ pid: info.pid, port: info.port });
    const server = { port: info.port } as PortleaseServer;
    expect((await call(server, 'GET', '/healthz')).status).toBe(200);

    // CLI → HTTP and HTTP → CLI, through the one registry.
    const reserved = await cli(['reserve', 'web', '--app', 'shop', '--instance', 'main']);
    expect(reserved.code, reserved.stderr).toBe(0);
    const listed = await call(server, 'GET', '/v1/allocations?service=web');
    expect(listed.json).toMatchObject([{ app: 'shop', instance: 'main', service: 'web', port: Number(reserved.stdout) }]);
    const posted = await call(server, 'POST', '/v1/allocations', { body: alloc('db') });
    const fromCli = JSON.parse((await cli(['list', '--all', '--json'])).stdout) as { id: number }[];
    expect(fromCli.map((lease) => lease.id)).toContain(posted.json.id);

    const status = await cli(['serve', '--status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toBe(`running (pid ${info.pid}) on ${info.url}, healthy\n`);

    const twice = await cli(['serve', '--detach', '--port', '0']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`E_SERVE_RUNNING: serve is already running for this registry (pid ${info.pid})`);

    const stopped = await cli(['serve', '--stop']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toBe(`stopped portlease serve (pid ${info.pid}) on ${info.url}\n`);
    expect(isAlive(info.pid)).toBe(false);
    expect(existsSync(pidFile())).toBe(false);
    expect(await readFile(join(home, 'serve.log'), 'utf8')).toContain('SIGTERM, stopping');

    const again = await cli(['serve', '--stop']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('portlease: E_SERVE_NOT_RUNNING: serve is not running.\n');
    const json = await cli(['serve', '--stop', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ state: 'not running', error: { code: 'E_SERVE_NOT_RUNNING' } });
  });

  it('replaces a stale pid file instead of refusing to start', async () => {
    const pid = await deadPid();
    await writeFile(pidFile(), JSON.stringify({ pid, port: 1, host: '127.0.0.1', url: 'http://127.0.0.1:1', startedAt: new Date().toISOString() }));
    const started = await cli(['serve', '--detach', '--port', '0', '--json']);
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(await readFile(pidFile(), 'utf8')).pid).toBe(JSON.parse(started.stdout).pid);
  });

  it('reports a server that cannot listen, with its log, and leaves no pid file', async () => {
    const port = await getOsFreePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const run = await cli(['serve', '--detach', '--port', String(port)]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/E_SERVE_FAILED: serve --detach failed: the server exited with code 1: .*E_PORT_BUSY/);
      expect(existsSync(pidFile())).toBe(false);
    } finally {
      blocker.close();
    }
  });
});

describe('serve in the foreground', () => {
  it.skipIf(NEEDS.signals)('prints where it listens, serves until SIGTERM, then removes its pid file and exits 0', async () => {
    const child = spawn(process.execPath, [bin(), 'serve', '--port', '0', '--json', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const printed = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('}\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    await printed;
    const info = JSON.parse(stdout);
    expect(info).toMatchObject({ state: 'running', pid: child.pid, home });
    const server = { port: info.port } as PortleaseServer;
    expect((await call(server, 'POST', '/v1/allocations', { body: alloc('db') })).status).toBe(201);
    expect(JSON.parse(await readFile(pidFile(), 'utf8')).pid).toBe(child.pid);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(existsSync(pidFile())).toBe(false);
  });

  it('fails with E_PORT_BUSY when the port is taken', async () => {
    const port = await getOsFreePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const run = await cli(['serve', '--port', String(port)]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('E_PORT_BUSY');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('refuses conflicting modes as a usage error', async () => {
    expect((await cli(['serve', '--detach', '--stop'])).code).toBe(2);
    expect((await cli(['serve', '--status', '--port', '1'])).code).toBe(2);
    expect((await cli(['serve', '--port', 'http'])).code).toBe(2);
  });
});
