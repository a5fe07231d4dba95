import { describe, expect, test } from 'vitest';
import type { Lease } from '../../src/index.js';
import { cli, tempDir } from './helpers.js';

async function services(home: string): Promise<string[]> {
  const leases = JSON.parse((await cli(['list', '--all', '--json'], { home })).stdout) as Lease[];
  return leases.map((lease) => `${lease.app}/${lease.instance}/${lease.service}`);
}

describe('portlease release', () => {
  test('releases a service of the current app; its port stays sticky', async () => {
    const home = await tempDir();
    const port = (await cli(['reserve', 'web'], { home })).stdout;
    const result = await cli(['release', 'web'], { home });
    expect(result).toEqual({ code: 0, stdout: '1 lease released\n', stderr: '' });
    expect((await cli(['get', 'web'], { home })).code).toBe(1);
    expect((await cli(['reserve', 'web'], { home })).stdout).toBe(port);
  });

  test('--id, --port, --app and --app --instance', async () => {
    const home = await tempDir();
    await cli(['reserve', 'a'], { home });
    const portB = (await cli(['reserve', 'b'], { home })).stdout.trim();
    await cli(['reserve', 'c', '--app', 'shop'], { home });
    await cli(['reserve', 'd', '--app', 'shop', '--instance', 'x'], { home });
    await cli(['reserve', 'e', '--app', 'shop', '--instance', 'x'], { home });

    expect((await cli(['release', '--id', '1'], { home })).stdout).toBe('1 lease released\n');
    expect((await cli(['release', '--port', portB], { home })).stdout).toBe('1 lease released\n');
    expect((await cli(['release', '--app', 'shop', '--instance', 'x', '--json'], { home })).stdout).toBe('{\n  "released": 2\n}\n');
    expect(await services(home)).toEqual(['shop/default/c']);
    expect((await cli(['release', '--app', 'shop'], { home })).stdout).toBe('1 lease released\n');
    expect(await services(home)).toEqual([]);
  });

  test('a service of another app or instance with --app/--instance', async () => {
    const home = await tempDir();
    await cli(['reserve', 'web', '--app', 'shop', '--instance', 'x'], { home });
    expect((await cli(['release', 'web'], { home })).code).toBe(1);
    expect((await cli(['release', 'web', '--app', 'shop', '--instance', 'x'], { home })).stdout).toBe('1 lease released\n');
  });

  test('releasing what does not exist says so and exits 1; --missing-ok exits 0', async () => {
    const home = await tempDir();
    const result = await cli(['release', 'nothing'], { home });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^portlease: E_NOT_FOUND: No live lease matches service nothing: nothing was released/);
    expect(JSON.parse((await cli(['release', '--port', '20001', '--json'], { home })).stdout)).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
    expect(await cli(['release', 'nothing', '--missing-ok'], { home })).toEqual({ code: 0, stdout: '0 leases released\n', stderr: '' });
  });

  test.each([
    [['release'], 'release needs a target'],
    [['release', '--instance', 'x'], '--instance needs --app'],
    [['release', 'web', '--id', '1'], 'Give one target'],
    [['release', '--id', 'one'], '--id must be an integer'],
    [['release', '--port', '0'], '--port must be an integer from 1 to 65535'],
  ])('refuses %j with exit 2', async (argv, message) => {
    const home = await tempDir();
    await cli(['reserve', 'web'], { home });
    const result = await cli(argv, { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await services(home)).toEqual(['testapp/default/web']);
  });
});
