import { describe, expect, test } from 'vitest';
import type { Lease } from '../../src/index.js';
import { cli, tempDir } from './helpers.js';

describe('portlease get', () => {
  test('prints the port of the live lease', async () => {
    const home = await tempDir();
    const port = (await cli(['reserve', 'api'], { home })).stdout;
    expect(await cli(['get', 'api'], { home })).toEqual({ code: 0, stdout: port, stderr: '' });
    const lease = JSON.parse((await cli(['get', 'api', '--json'], { home })).stdout) as Lease;
    expect(`${lease.port}\n`).toBe(port);
  });

  test('finds other apps and instances with --app/--instance', async () => {
    const home = await tempDir();
    const port = (await cli(['reserve', 'api', '--app', 'shop', '--instance', 'x'], { home })).stdout;
    expect((await cli(['get', 'api'], { home })).code).toBe(1);
    expect((await cli(['get', 'api', '--app', 'shop', '--instance', 'x'], { home })).stdout).toBe(port);
  });

  test('exit 1 with E_NOT_FOUND when there is no live lease', async () => {
    const result = await cli(['get', 'api'], { home: await tempDir() });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('E_NOT_FOUND');
    expect(result.stderr).toContain('portlease reserve api');
  });

  test('needs a service (exit 2)', async () => {
    expect((await cli(['get'], { home: await tempDir() })).code).toBe(2);
  });
});
