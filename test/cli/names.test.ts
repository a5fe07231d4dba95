/** The CLI with names as port-registry accepts them: branch names, spaces, non-ASCII, `<&>`. */
import { ODD_NAMES } from '../helpers.js';
import { describe, expect, test } from 'vitest';
import type { Lease } from '../../src/index.js';
import { cli, tempDir } from './helpers.js';

const NAMES = ODD_NAMES;

describe('names with /, spaces, non-ASCII and <&>', () => {
  test('reserve, get, list, env and release take them as service and instance', async () => {
    const home = await tempDir();
    const ports: string[] = [];
    for (const name of NAMES) {
      const reserved = await cli(['reserve', name, '--instance', name], { home });
      expect(reserved, name).toMatchObject({ code: 0, stderr: '' });
      ports.push(reserved.stdout.trim());
      expect((await cli(['get', name, '--instance', name], { home })).stdout.trim()).toBe(reserved.stdout.trim());
    }
    const listed = JSON.parse((await cli(['list', '--json'], { home })).stdout) as Lease[];
    expect(listed.map((lease) => [lease.instance, lease.service])).toEqual(NAMES.map((name) => [name, name]));

    const table = (await cli(['list'], { home })).stdout.split('\n');
    expect(table[1]).toMatch(new RegExp(`^1 +testapp +feature/login +feature/login +${ports[0]} `));
    expect(table[2]).toMatch(new RegExp(`^2 +testapp +"my app" +"my app" +${ports[1]} `));
    expect(table[3]).toMatch(new RegExp(`^3 +testapp +café +café +${ports[2]} `));
    expect(table[4]).toMatch(new RegExp(`^4 +testapp +a<&>b +a<&>b +${ports[3]} `));

    const env = await cli(['env', ...NAMES, '--instance', 'feature/login'], { home });
    expect(env.stdout).toMatch(/^FEATURE_LOGIN_PORT=\d+\nMY_APP_PORT=\d+\nCAFE_PORT=\d+\nA_B_PORT=\d+\n$/);

    for (const name of NAMES) expect((await cli(['release', name, '--instance', name], { home })).code, name).toBe(0);
  });

  test('refuses a control character with the rule, as usage (exit 2)', async () => {
    const result = await cli(['reserve', 'web\u001b[2J'], { home: await tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"web\\u001b[2J" is not a valid name: it contains U+001B (use 1-200 characters');
  });

  test('env refuses a name with no letter or digit for its variable, as usage', async () => {
    const result = await cli(['env', '日本'], { home: await tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no letter or digit');
  });
});
