/**
 * The built executable, spawned for real: shell capture, signals, two concurrent `run`s,
 * `env --write` and exit codes. Needs `npm run build` (npm test runs it first).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { binEnv, FIXTURES, runBin, spawnCollect, tempDir, useBuiltBin } from './helpers.js';

const bin = useBuiltBin();

describe.skipIf(process.platform === 'win32')('node dist/cli/bin.js', () => {
  test('PORT=$(portlease reserve web) captures the port through a real shell', async () => {
    const home = await tempDir();
    const script = `PORT=$("${process.execPath}" "${bin()}" reserve web) && echo "port=$PORT"`;
    const shell = spawnCollect('sh', ['-c', script], { env: binEnv(home) });
    expect(await shell.exited).toBe(0);
    const match = /^port=(\d+)\n$/.exec(shell.stdout());
    expect(match).not.toBeNull();
    expect(shell.stderr()).toBe('');
    const got = await runBin(['get', 'web'], { env: binEnv(home) });
    expect(got).toEqual({ code: 0, stdout: `${match?.[1]}\n`, stderr: '' });
  });

  test('output larger than a pipe holds: whole through a pipe, and a reader that stops early ends the command quietly', async () => {
    const home = await tempDir();
    // ~85 kB of `list --all --json`, more than a pipe buffers (64 kB): the writer must wait for the reader.
    await openRegistry({ home }).reserveAll(
      Array.from({ length: 400 }, (_, index) => `svc${index}`),
      { durable: true, range: [30000, 39999] },
    );
    const run = `"${process.execPath}" "${bin()}" list --all --json`;
    const whole = spawnCollect('sh', ['-c', `${run} | wc -c; ${run} | head -c 1 >/dev/null; echo "code=$?"`], { env: binEnv(home) });
    expect(await whole.exited).toBe(0);
    const [bytes, code] = whole.stdout().trim().split(/\s+/);
    expect(Number(bytes)).toBeGreaterThan(65_536);
    expect(code).toBe('code=0');
    // pipefail: the pipeline's code is the bin's own. EPIPE is not a failure.
    const closed = spawnCollect('bash', ['-c', `set -o pipefail; ${run} | head -c 1 >/dev/null`], { env: binEnv(home) });
    expect(await closed.exited).toBe(0);
    expect(closed.stderr()).toBe('');
  });

  test('run forwards SIGTERM to the command, exits with its code and releases', async () => {
    const home = await tempDir();
    const run = spawnCollect(process.execPath, [bin(), 'run', 'web', '--', process.execPath, join(FIXTURES, 'signal-child.mjs')], {
      env: binEnv(home),
    });
    await run.waitForOutput('ready');
    const port = /WEB_PORT=(\d+)/.exec(run.stdout())?.[1];
    expect((await runBin(['get', 'web'], { env: binEnv(home) })).stdout).toBe(`${port}\n`);

    run.child.kill('SIGTERM'); // to portlease only: the child hears it because it is forwarded
    expect(await run.exited).toBe(42);
    expect(run.stdout()).toContain('child got SIGTERM');
    expect((await runBin(['get', 'web'], { env: binEnv(home) })).code).toBe(1);
  });

  test('run exits 128+15 when the command dies of the forwarded SIGTERM', async () => {
    const home = await tempDir();
    const script = "process.stdout.write('ready\\n'); setInterval(() => {}, 60000)";
    const run = spawnCollect(process.execPath, [bin(), 'run', 'web', '--', process.execPath, '-e', script], { env: binEnv(home) });
    await run.waitForOutput('ready');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect((await runBin(['list', '--json'], { env: binEnv(home) })).stdout).toBe('[]\n');
  });

  test('a second run of the same service fails at once, naming the holder', async () => {
    const home = await tempDir();
    const first = spawnCollect(process.execPath, [bin(), 'run', 'web', '--', process.execPath, join(FIXTURES, 'signal-child.mjs')], {
      env: binEnv(home),
    });
    await first.waitForOutput('ready');

    const second = await runBin(['run', 'web', '--', process.execPath, '-e', "console.log('must not run')"], { env: binEnv(home) });
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(/^portlease: E_SERVICE_LEASED: /);
    expect(second.stderr).toContain(`process ${first.child.pid}`);
    expect(second.stderr.trimEnd().split('\n')).toHaveLength(1);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(42);
    // Once the first is gone, the service is free again, on the same (sticky) port.
    const third = await runBin(['run', 'web', '--', process.execPath, '-e', 'console.log(process.env.PORT)'], { env: binEnv(home) });
    expect(third.code).toBe(0);
    expect(first.stdout()).toContain(`WEB_PORT=${third.stdout.trim()}`);
  });

  test('env --write merges into .env, preserving unrelated lines', async () => {
    const home = await tempDir();
    const file = join(home, '.env');
    await writeFile(file, '# compose settings\nCOMPOSE_PROJECT_NAME=shop\nREDIS_PORT=6379\n\n# end\n');
    const result = await runBin(['env', 'postgres', 'redis', '--write', '.env'], { env: binEnv(home), cwd: home });
    expect(result.code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^# compose settings\nCOMPOSE_PROJECT_NAME=shop\nREDIS_PORT=\d+\n\n# end\nPOSTGRES_PORT=\d+\n$/);
    const printed = await runBin(['env', 'postgres', 'redis'], { env: binEnv(home), cwd: home });
    for (const line of printed.stdout.trimEnd().split('\n')) expect(text).toContain(`${line}\n`);
  });

  test('exit codes: 0 ok, 1 operational failure, 2 usage (one line on stderr)', async () => {
    const home = await tempDir();
    const env = binEnv(home);
    expect((await runBin(['--version'], { env })).code).toBe(0);
    expect((await runBin(['list'], { env })).code).toBe(0);
    const missing = await runBin(['get', 'nothing'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^portlease: E_NOT_FOUND: /);
    const unknown = await runBin(['frobnicate'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe("portlease: E_USAGE: Unknown command 'frobnicate'. See `portlease --help`.\n");
    const badFlag = await runBin(['reserve', 'web', '--prot', '1'], { env });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toBe("portlease: E_USAGE: Unknown option '--prot'. Did you mean `--port`? See `portlease reserve --help`.\n");
    const json = await runBin(['get', 'nothing', '--json'], { env });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
  });

  test('--version does not load the library; reserve does', async (context) => {
    // node's own module-loading trace (NODE_DEBUG=esm) tells which files were loaded: no timing.
    const home = await tempDir();
    const loaded = async (args: string[]) => (await runBin(args, { env: binEnv(home, { NODE_DEBUG: 'esm' }) })).stderr;
    const reserveTrace = await loaded(['reserve', 'x']);
    if (!reserveTrace.includes('lowdb')) context.skip(); // this node does not trace ESM loads
    const versionTrace = await loaded(['--version']);
    expect(versionTrace).toContain('bin.js');
    expect(versionTrace).not.toMatch(/lowdb|get-port|reserve-/);
  });
});
