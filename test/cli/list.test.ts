import { describe, expect, test } from 'vitest';
import type { Lease } from '../../src/index.js';
import { cli, tempDir } from './helpers.js';

describe('portlease list', () => {
  test('a table of the current app with the documented columns', async () => {
    const home = await tempDir();
    const web = (await cli(['reserve', 'web'], { home })).stdout.trim();
    await cli(['reserve', 'api', '--ttl', '2h'], { home });
    await cli(['reserve', 'own', '--owner-pid', String(process.pid)], { home });
    await cli(['reserve', 'other', '--app', 'shop'], { home });
    const result = await cli(['list'], { home });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]?.split(/\s+/)).toEqual(['ID', 'APP', 'INSTANCE', 'SERVICE', 'PORT', 'OWNER', 'EXPIRES', 'CREATED']);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(new RegExp(`^1 +testapp +default +web +${web} +- +never +(now|\\d+s ago)$`));
    expect(lines[2]).toMatch(/^2 +testapp +default +api +\d+ +- +in 1h59m/);
    expect(lines[3]).toMatch(new RegExp(`^3 +testapp +default +own +\\d+ +pid ${process.pid} +never`));
    expect(result.stdout).not.toContain('shop');
  });

  test('--all shows every app, --app one app, --instance and --service narrow it', async () => {
    const home = await tempDir();
    await cli(['reserve', 'web'], { home });
    await cli(['reserve', 'web', '--app', 'shop'], { home });
    await cli(['reserve', 'db', '--app', 'shop', '--instance', 'x'], { home });
    const apps = async (argv: string[]) =>
      (JSON.parse((await cli([...argv, '--json'], { home })).stdout) as Lease[]).map((lease) => `${lease.app}/${lease.instance}/${lease.service}`);
    expect(await apps(['list', '--all'])).toEqual(['testapp/default/web', 'shop/default/web', 'shop/x/db']);
    expect(await apps(['list', '--app', 'shop'])).toEqual(['shop/default/web', 'shop/x/db']);
    expect(await apps(['list', '--app', 'shop', '--instance', 'x'])).toEqual(['shop/x/db']);
    expect(await apps(['list', '-a', '--service', 'web'])).toEqual(['testapp/default/web', 'shop/default/web']);
    expect((await cli(['list', '--all'], { home })).stdout.trimEnd().split('\n')).toHaveLength(4);
  });

  test('nothing to list: empty stdout, a note on stderr, exit 0; --json gives []', async () => {
    const home = await tempDir();
    const result = await cli(['list'], { home });
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toContain("No live leases in app 'testapp'");
    expect((await cli(['list', '--json'], { home })).stdout).toBe('[]\n');
  });

  test('--app with --all is a usage error', async () => {
    const result = await cli(['list', '--all', '--app', 'x'], { home: await tempDir() });
    expect(result.code).toBe(2);
  });
});
