import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cli, fakeSignals, FIXTURES, freeRun, Sink, tempDir } from './helpers.js';
import { NEEDS } from '../os.js';

const node = process.execPath;
const printEnv = `console.log(JSON.stringify({ PORT: process.env.PORT, WEB_PORT: process.env.WEB_PORT, API_GW_PORT: process.env.API_GW_PORT, HOME: process.env.PORTLEASE_HOME }))`;

describe('portlease run', () => {
  test('sets PORT and <SERVICE>_PORT, runs the command, releases on exit', async () => {
    const home = await tempDir();
    const result = await cli(['run', 'web', 'api-gw', '--', node, '-e', printEnv], { home });
    expect(result.code).toBe(0);
    const env = JSON.parse(result.stdout) as Record<string, string>;
    expect(env.PORT).toMatch(/^\d+$/);
    expect(env.WEB_PORT).toBe(env.PORT);
    expect(env.API_GW_PORT).toMatch(/^\d+$/);
    expect(env.API_GW_PORT).not.toBe(env.PORT);
    expect((await cli(['list', '--all', '--json'], { home })).stdout).toBe('[]\n');
  });

  test('sticky: the same service gets the same port on the next run', async () => {
    const home = await tempDir();
    const first = await cli(['run', 'web', '--', node, '-e', printEnv], { home });
    const second = await cli(['run', 'web', '--', node, '-e', printEnv], { home });
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout));
  });

  test('without a service: an anonymous port in PORT', async () => {
    const home = await tempDir();
    const result = await cli(['run', '--', node, '-e', printEnv], { home });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ PORT: expect.stringMatching(/^\d+$/) });
  });

  test('the lease is owned by the running process while the command runs', async () => {
    const home = await tempDir();
    // The command copies the registry while it runs: the lease is there, owned by us.
    const during = await cli(
      [
        'run',
        'web',
        '--',
        node,
        '-e',
        `require('node:fs').writeFileSync(${JSON.stringify(join(home, 'seen'))}, require('node:fs').readFileSync(${JSON.stringify(join(home, 'registry'))} + '/' + require('node:fs').readdirSync(${JSON.stringify(join(home, 'registry'))}).filter((n) => n.startsWith('rev-')).sort().pop()))`,
      ],
      { home },
    );
    expect(during.code).toBe(0);
    const registry = JSON.parse(await readFile(join(home, 'seen'), 'utf8')) as { leases: { service: string; owner: { pid: number } }[] };
    expect(registry.leases).toEqual([expect.objectContaining({ service: 'web', owner: expect.objectContaining({ pid: process.pid }) })]);
  });

  test.skipIf(NEEDS.signals)("exits with the command's code, and 128+n when it dies of signal n", async () => {
    const home = await tempDir();
    expect((await cli(['run', 'web', '--', node, '-e', 'process.exit(7)'], { home })).code).toBe(7);
    expect((await cli(['run', 'web', '--', node, '-e', 'process.kill(process.pid, "SIGTERM")'], { home })).code).toBe(143);
    expect((await cli(['list', '--all', '--json'], { home })).stdout).toBe('[]\n');
  });

  /** Starts `run web -- signal-child.mjs`; resolves once the child is up. */
  async function runSignalChild(home: string, terminal?: boolean) {
    const signals = fakeSignals();
    const stdout = new Sink();
    let ready!: () => void;
    const started = new Promise<void>((resolve) => (ready = resolve));
    stdout.write = (chunk: string) => {
      stdout.text += chunk;
      if (stdout.text.includes('ready')) ready();
      return true;
    };
    const running = cli(['run', 'web', '--', node, join(FIXTURES, 'signal-child.mjs')], {
      home,
      signals: signals.source,
      stdout,
      ...(terminal === undefined ? {} : { terminal }),
    });
    await started;
    return { signals, running };
  }

  test.skipIf(NEEDS.signals)('forwards signals to the command and still releases', async () => {
    const home = await tempDir();
    const { signals, running } = await runSignalChild(home);
    expect(signals.listeners()).toBe(1);
    expect(JSON.parse((await cli(['list', '--json'], { home })).stdout)).toHaveLength(1);
    signals.emit('SIGHUP');
    const result = await running;
    expect(result.code).toBe(42);
    expect(result.stdout).toMatch(/^ready PORT=(\d+) WEB_PORT=\1\nchild got SIGHUP\n$/);
    expect(signals.listeners()).toBe(0);
    expect((await cli(['list', '--json'], { home })).stdout).toBe('[]\n');
  });

  test.skipIf(NEEDS.signals)('in a terminal, Ctrl-C is not sent twice: the child already got it from the terminal', async () => {
    const home = await tempDir();
    const { signals, running } = await runSignalChild(home, true);
    // Our fake terminal delivered nothing to the child: if run forwarded SIGINT, the child
    // would say so and exit here.
    signals.emit('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    signals.emit('SIGTERM');
    const result = await running;
    expect(result.code).toBe(42);
    expect(result.stdout).toMatch(/^ready PORT=\d+ WEB_PORT=\d+\nchild got SIGTERM\n$/);
  });

  test('--port-file holds the port while the command runs, and is removed after', async () => {
    const home = await tempDir();
    const file = join(home, 'web.port');
    const script = `process.stdout.write(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8') === process.env.PORT + '\\n' ? 'same' : 'different')`;
    const result = await cli(['run', 'web', '--port-file', 'web.port', '--', node, '-e', script], { home, cwd: home });
    expect(result).toMatchObject({ code: 0, stdout: 'same' });
    expect(existsSync(file)).toBe(false);
  });

  test('a command that does not exist: 127, and the lease is released', async () => {
    const home = await tempDir();
    const result = await cli(['run', 'web', '--', 'portlease-no-such-command'], { home });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain("Cannot run 'portlease-no-such-command' (not found)");
    expect((await cli(['list', '--json'], { home })).stdout).toBe('[]\n');
  });

  test('a service with a durable lease runs on its port and keeps the lease', async () => {
    const home = await tempDir();
    const port = (await cli(['reserve', 'web'], { home })).stdout.trim();
    const result = await cli(['run', 'web', '--', node, '-e', printEnv], { home });
    expect(JSON.parse(result.stdout)).toMatchObject({ PORT: port, WEB_PORT: port });
    expect((await cli(['get', 'web'], { home })).stdout).toBe(`${port}\n`);
  });

  test('a service held by another app instance is not in the way', async () => {
    const home = await tempDir();
    await cli(['reserve', 'web', '--instance', 'other'], { home });
    expect((await cli(['run', 'web', '--', node, '-e', ''], { home })).code).toBe(0);
  });

  test('no free port: exit 1, nothing started', async () => {
    const home = await tempDir();
    const marker = join(home, 'started');
    const free = await freeRun(1);
    const range = `${free}-${free}`;
    const port = (await cli(['reserve', 'taken', '--range', range], { home })).stdout.trim();
    expect(port).toBe(String(free));
    const result = await cli(['run', 'web', '--range', range, '--', node, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`], {
      home,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^portlease: E_NO_PORT: /);
    expect(existsSync(marker)).toBe(false);
  });

  test.each([
    [['run', 'web'], 'needs a command after `--`'],
    [['run', 'web', '--'], 'needs a command after `--`'],
    [['run', 'web', 'web', '--', 'true'], 'given twice'],
    [['run', 'a-b', 'a_b', '--', 'true'], 'same variable A_B_PORT'],
    [['run', '--bogus', '--', 'true'], "Unknown option '--bogus'"],
  ])('%j is a usage error', async (argv, message) => {
    const result = await cli(argv, { home: await tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
