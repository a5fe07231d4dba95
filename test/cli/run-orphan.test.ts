/**
 * `run` whose command leaves a grandchild serving on the port and exits: the lease must
 * stay (a dead owner's lease, kept while the port is bound), `run` says so, `list --all`
 * shows it with the listening process, `get` and a second `run` name that process, and
 * once the grandchild is gone the name gets its sticky port back.
 */
import { describe, expect, test } from 'vitest';
import { probePort } from '../../src/probe.js';
import { binEnv, cli, runBin, tempDir, useBuiltBin } from './helpers.js';

useBuiltBin();
const node = process.execPath;

/** The command: starts a detached server on $PORT, prints its pid once listening, and exits. */
const LEAVE_GRANDCHILD = `
const { spawn } = require('node:child_process');
const server = "require('node:http').createServer((q, s) => s.end('hi')).listen(+process.env.PORT, '127.0.0.1', () => console.log('listening ' + process.pid))";
const child = spawn(process.execPath, ['-e', server], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
child.stdout.once('data', (line) => {
  console.log(String(line).trim());
  child.stdout.destroy();
  child.unref();
  process.exit(0);
});`;

describe('portlease run: a command that leaves a server behind', () => {
  test('keeps the lease while the port is bound, names the process, and frees the name once it is gone', async () => {
    const home = await tempDir();
    const first = await runBin(['run', 'web', '--', node, '-e', LEAVE_GRANDCHILD], { env: binEnv(home), cwd: home });
    const pid = Number(/listening (\d+)/.exec(first.stdout)?.[1]);
    expect(pid, first.stderr).toBeGreaterThan(0);
    try {
      expect(first.code).toBe(0);
      const port = Number(/keeps port (\d+)/.exec(first.stderr)?.[1]);
      expect(first.stderr).toContain(`web keeps port ${port}: the command exited, but pid ${pid}`);

      // list --all: the dead owner's lease, still bound, with the process that listens.
      const listed = JSON.parse((await cli(['list', '--all', '--json'], { home })).stdout) as {
        service: string;
        port: number;
        state: string;
        listening?: string;
      }[];
      expect(listed).toEqual([expect.objectContaining({ service: 'web', port, state: 'dead-bound', listening: expect.stringContaining(`pid ${pid}`) })]);
      const table = (await cli(['list', '--all'], { home })).stdout;
      expect(table.split('\n')[0]).toMatch(/ STATE$/);
      expect(table).toContain(`dead-bound: pid ${pid}`);

      // get and a second run name the process to stop.
      const get = await cli(['get', 'web'], { home });
      expect(get.code).toBe(1);
      expect(get.stderr).toContain('E_NOT_FOUND');
      expect(get.stderr).toContain(`pid ${pid}`);
      const again = await cli(['run', 'web', '--', node, '-e', ''], { home });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('E_SERVICE_LEASED');
      expect(again.stderr).toContain(`Port ${port} is in use by pid ${pid}`);

      // Once the grandchild is gone, the name gets its port back.
      process.kill(pid, 'SIGTERM');
      for (let attempt = 0; attempt < 200 && !(await probePort(port)).free; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
      const back = await cli(['run', 'web', '--', node, '-e', 'console.log(process.env.PORT)'], { home });
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout.trim()).toBe(String(port));
      expect((await cli(['list', '--all', '--json'], { home })).stdout).toBe('[]\n');
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 60_000);

  test('a command that leaves nothing listening releases as before', async () => {
    const home = await tempDir();
    const result = await runBin(['run', 'web', '--', node, '-e', ''], { env: binEnv(home), cwd: home });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('keeps port');
    expect((await cli(['list', '--all', '--json'], { home })).stdout).toBe('[]\n');
  });
});
