import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cli, tempDir } from './helpers.js';
import { NEEDS } from '../os.js';

describe('portlease env', () => {
  test('prints <SERVICE>_PORT lines of sticky, durable leases', async () => {
    const home = await tempDir();
    const result = await cli(['env', 'postgres', 'redis', 'api-gw'], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^POSTGRES_PORT=\d+\nREDIS_PORT=\d+\nAPI_GW_PORT=\d+\n$/);
    expect((await cli(['env', 'postgres', 'redis', 'api-gw'], { home })).stdout).toBe(result.stdout);
    const leases = JSON.parse((await cli(['list', '--json'], { home })).stdout) as { owner: unknown; expiresAt: unknown }[];
    expect(leases).toHaveLength(3);
    expect(leases.every((lease) => lease.owner === null && lease.expiresAt === null)).toBe(true);
  });

  test('--format shell, --format json and --json', async () => {
    const home = await tempDir();
    const port = (await cli(['reserve', 'db'], { home })).stdout.trim();
    expect((await cli(['env', 'db', '--format', 'shell'], { home })).stdout).toBe(`export DB_PORT=${port}\n`);
    expect(JSON.parse((await cli(['env', 'db', '--format', 'json'], { home })).stdout)).toEqual({ DB_PORT: Number(port) });
    expect((await cli(['env', 'db', '--json'], { home })).stdout).toBe((await cli(['env', 'db', '--format', 'json'], { home })).stdout);
  });

  test.skipIf(NEEDS.modes)('--write merges into a .env file, keeping other lines, comments and its mode', async () => {
    const home = await tempDir();
    const file = join(home, '.env');
    const before = '# database\nPOSTGRES_PORT=5432\n\nexport SECRET="a=b" # keep\nDEBUG=1\n';
    await writeFile(file, before);
    await chmod(file, 0o640);
    const result = await cli(['env', 'postgres', 'redis', '--write', '.env'], { home, cwd: home });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const ports = (await cli(['env', 'postgres', 'redis', '--json'], { home })).stdout;
    const { POSTGRES_PORT, REDIS_PORT } = JSON.parse(ports) as Record<string, number>;
    expect(await readFile(file, 'utf8')).toBe(`# database\nPOSTGRES_PORT=${POSTGRES_PORT}\n\nexport SECRET="a=b" # keep\nDEBUG=1\nREDIS_PORT=${REDIS_PORT}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(result.stderr).toContain(`Wrote ${file}`);
    const again = await cli(['env', 'postgres', 'redis', '--write', file], { home });
    expect(again.stderr).toContain('Unchanged');
  });

  test.skipIf(NEEDS.modes)('--write keeps a 0666 file 0666 whatever the umask', async () => {
    const home = await tempDir();
    const file = join(home, '.env');
    await writeFile(file, 'DEBUG=1\n');
    await chmod(file, 0o666);
    expect((await cli(['env', 'web', '--write', file], { home })).code).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o666);
  });

  test('--write creates a missing file', async () => {
    const home = await tempDir();
    const result = await cli(['env', 'web', '-w', 'new.env', '--format', 'shell'], { home, cwd: home });
    expect(result.code).toBe(0);
    expect(await readFile(join(home, 'new.env'), 'utf8')).toMatch(/^export WEB_PORT=\d+\n$/);
  });

  test('--write with --json prints what was written as JSON; the file stays dotenv', async () => {
    const home = await tempDir();
    const result = await cli(['env', 'web', '-w', '.env', '--json'], { home, cwd: home });
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { file: string; changed: boolean; vars: Record<string, number> };
    expect(parsed).toMatchObject({ file: join(home, '.env'), changed: true, vars: { WEB_PORT: expect.any(Number) } });
    expect(await readFile(join(home, '.env'), 'utf8')).toBe(`WEB_PORT=${parsed.vars.WEB_PORT}\n`);
  });

  test.each([
    [['env'], 'at least one service'],
    [['env', 'web', '--format', 'yaml'], '--format must be one of dotenv, shell, json'],
    [['env', 'web', '--write', '.env', '--format', 'json'], 'not json'],
    [['env', 'web', '--json', '--format', 'shell'], '--json conflicts'],
    [['env', 'a.b', 'a-b'], 'same variable A_B_PORT'],
  ])('%j is a usage error', async (argv, message) => {
    const result = await cli(argv, { home: await tempDir() });
    expect(result.code).toBe(2);
    // With --json the error is a JSON document on stdout.
    expect(argv.includes('--json') ? result.stdout : result.stderr).toContain(message);
  });

  test('--write into a folder that does not exist: a file error before any lease is made', async () => {
    const home = await tempDir();
    const result = await cli(['env', 'postgres', '--write', join(home, 'missing', 'dir', '.env')], { home });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^portlease: E_FILE: .*missing\/dir/);
    expect(JSON.parse((await cli(['list', '--json'], { home })).stdout)).toEqual([]);
  });
});
