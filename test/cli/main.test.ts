import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { cli, ROOT, tempDir } from './helpers.js';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('portlease (dispatcher)', () => {
  test('--version and -v print the package version', async () => {
    const home = await tempDir();
    for (const flag of ['--version', '-v']) {
      const result = await cli([flag], { home });
      expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  test('--help lists every command and the exit codes on stdout', async () => {
    const home = await tempDir();
    const result = await cli(['--help'], { home });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    for (const name of Object.keys(commands)) expect(result.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(result.stdout).toContain('Exit codes:');
    expect(result.stdout).toMatch(/^ {2}2 +usage error/m);
    expect(result.stdout).toMatch(/^ {2}run +the command's own code/m);
    expect((await cli(['help', 'reserve'], { home })).stdout).toMatch(/^Usage: portlease reserve/);
  });

  test('no command prints usage on stderr and exits 2', async () => {
    const result = await cli([], { home: await tempDir() });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: portlease <command>');
  });

  test('an unknown command exits 2 with one line and a suggestion, not the whole help', async () => {
    const home = await tempDir();
    const result = await cli(['reserv', 'web'], { home });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: "portlease: E_USAGE: Unknown command 'reserv'. Did you mean `portlease reserve`?\n",
    });
    expect((await cli(['relase', 'web'], { home })).stderr).toContain('Did you mean `portlease release`?');
    expect((await cli(['frobnicate'], { home })).stderr).toBe("portlease: E_USAGE: Unknown command 'frobnicate'. See `portlease --help`.\n");
  });

  test('an unknown flag exits 2 with one line and the closest flag', async () => {
    const home = await tempDir();
    const result = await cli(['reserve', 'web', '--tll', '1h'], { home });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: "portlease: E_USAGE: Unknown option '--tll'. Did you mean `--ttl`? See `portlease reserve --help`.\n",
    });
    expect((await cli(['list', '--instnace', 'x'], { home })).stderr).toContain('Did you mean `--instance`?');
    const json = await cli(['reserve', 'web', '--tll', '1h', '--json'], { home });
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'E_USAGE', message: "Unknown option '--tll'. Did you mean `--ttl`?" } });
  });

  test('global flags before the command: --home, --home=, --json', async () => {
    const home = await tempDir();
    const other = await tempDir();
    expect((await cli(['--home', other, 'reserve', 'web'], { home })).code).toBe(0);
    const listed = await cli(['--json', '--home', other, 'list'], { home });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(1);
    expect(JSON.parse((await cli([`--home=${other}`, '--json', 'list'], { home })).stdout)).toHaveLength(1);
    // The temp home of the test env saw nothing: --home before the command was honoured.
    expect(JSON.parse((await cli(['list', '--json'], { home })).stdout)).toEqual([]);
    const error = await cli(['--json', 'get', 'nothing'], { home });
    expect(error.code).toBe(1);
    expect(JSON.parse(error.stdout)).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
    const alone = await cli(['--json'], { home });
    expect(alone.code).toBe(2);
    expect(JSON.parse(alone.stdout)).toMatchObject({ error: { code: 'E_USAGE' } });
    expect((await cli(['--home'], { home })).code).toBe(2);
  });

  test('an unknown global flag exits 2', async () => {
    const result = await cli(['--bogus'], { home: await tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--bogus'");
  });

  test("a command's own option before the command says where it goes", async () => {
    const result = await cli(['--all', 'list'], { home: await tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "portlease: E_USAGE: Unknown option '--all'. Options other than --json, --home, --help, --version go after the command: `portlease list --all …`.\n",
    );
  });

  test.each(Object.keys(commands))('%s: --help, and unknown flags exit 2 with one line on stderr', async (name) => {
    const home = await tempDir();
    const help = await cli([name, '--help'], { home });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: portlease ${name}`));
    expect(help.stdout).toContain('Exit codes');
    expect((await cli([name, '-h'], { home })).stdout).toBe(help.stdout);

    const bad = await cli([name, '--no-such-flag'], { home });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(`portlease: E_USAGE: Unknown option '--no-such-flag'. See \`portlease ${name} --help\`.\n`);

    const json = await cli([name, '--no-such-flag', '--json'], { home });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'E_USAGE', message: "Unknown option '--no-such-flag'" } });
    expect(json.stderr).toBe('');
  });

  test('operational errors are one line naming the code, exit 1', async () => {
    const result = await cli(['get', 'nothing'], { home: await tempDir() });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^portlease: E_NOT_FOUND: No live lease for 'nothing' in testapp\/default\. .+\n$/);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  test('with --json, errors are {"error":{code,message}} on stdout', async () => {
    const result = await cli(['get', 'nothing', '--json'], { home: await tempDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const parsed = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(Object.keys(parsed.error)).toEqual(['code', 'message']);
    expect(parsed.error.code).toBe('E_NOT_FOUND');
  });

  test('bad values caught by the library (TypeError/RangeError) are usage errors', async () => {
    const result = await cli(['reserve', 'web', '--ttl', 'soon'], { home: await tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^portlease: E_USAGE: ttl must look like/);
  });

  test('colours only on a TTY, and never with NO_COLOR', async () => {
    const home = await tempDir();
    const tty = await cli(['get', 'nothing'], { home, tty: true });
    expect(tty.stderr).toContain('\u001B[31m');
    const noColor = await cli(['get', 'nothing'], { home, tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stderr).not.toContain('\u001B[');
    const pipe = await cli(['get', 'nothing'], { home });
    expect(pipe.stderr).not.toContain('\u001B[');
  });
});
