/** Named URLs in the CLI: reserve --json, get --url, the list URL column, run's lines and env. */
import { describe, expect, test } from 'vitest';
import { writePidFile } from '../../src/cli/pid-file.js';
import { cli, tempDir } from './helpers.js';

const shop = ['--app', 'shop', '--instance', 'default'];

describe('named URLs in the CLI', () => {
  test('reserve --json carries the URL; --path records a route prefix', async () => {
    const home = await tempDir();
    const web = JSON.parse((await cli(['reserve', 'web', ...shop, '--json'], { home })).stdout);
    expect(web.url).toBe('http://web.shop.localhost:51234');
    const api = JSON.parse((await cli(['reserve', 'api', ...shop, '--path', '/api', '--strip-path', '--json'], { home })).stdout);
    expect(api).toMatchObject({ path: '/api', stripPath: true, url: 'http://shop.localhost:51234/api' });
    expect((await cli(['reserve', 'x', '--strip-path'], { home })).code).toBe(2);
    const bad = await cli(['reserve', 'x', '--path', 'api'], { home });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('does not start with /');
  });

  test("get --url prints the URL, on the running server's port when its pid file says so", async () => {
    const home = await tempDir();
    await cli(['reserve', 'web', '--app', 'shop', '--instance', 'feature/x'], { home });
    const args = ['get', 'web', '--app', 'shop', '--instance', 'feature/x', '--url'];
    expect((await cli(args, { home })).stdout).toBe('http://web.feature-x.shop.localhost:51234\n');
    await writePidFile(home, { pid: process.pid, port: 40123, host: '127.0.0.1', url: 'http://127.0.0.1:40123', startedAt: new Date().toISOString() });
    expect((await cli(args, { home })).stdout).toBe('http://web.feature-x.shop.localhost:40123\n');
  });

  test('list shows a URL column only while the server runs', async () => {
    const home = await tempDir();
    await cli(['reserve', 'web', ...shop], { home });
    const before = (await cli(['list', '--app', 'shop'], { home })).stdout;
    expect(before).not.toContain('URL');
    expect(JSON.parse((await cli(['list', '--app', 'shop', '--json'], { home })).stdout)[0].url).toBeUndefined();
    await writePidFile(home, { pid: process.pid, port: 40124, host: '127.0.0.1', url: 'http://127.0.0.1:40124', startedAt: new Date().toISOString() });
    const after = (await cli(['list', '--app', 'shop'], { home })).stdout;
    expect(after).toContain('URL');
    expect(after).toContain('http://web.shop.localhost:40124');
    expect((await cli(['list', '--all'], { home })).stdout).toContain('http://web.shop.localhost:40124');
    expect(JSON.parse((await cli(['list', '--app', 'shop', '--json'], { home })).stdout)[0].url).toBe('http://web.shop.localhost:40124');
    expect(JSON.parse((await cli(['list', '--all', '--json'], { home })).stdout)[0]).toMatchObject({ url: 'http://web.shop.localhost:40124', state: 'live' });
  });

  test("run prints each service's URL and lets Vite accept .localhost hosts", async () => {
    const home = await tempDir();
    const script = 'process.stdout.write(process.env.__VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS)';
    const result = await cli(['run', 'web', ...shop, '--', process.execPath, '-e', script], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('.localhost');
    expect(result.stderr).toMatch(/^portlease: web → http:\/\/web\.shop\.localhost:51234 \(port \d+\)\n$/);
    const kept = await cli(['run', 'web', ...shop, '--', process.execPath, '-e', script], { home, env: { __VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS: 'my.host' } });
    expect(kept.stdout).toBe('my.host,.localhost');
  });

  test('run --path gives the one service a route prefix', async () => {
    const home = await tempDir();
    const result = await cli(['run', 'api', ...shop, '--path', '/api', '--', process.execPath, '-e', ''], { home });
    expect(result.stderr).toMatch(/api → http:\/\/shop\.localhost:51234\/api \(port \d+\)/);
    expect((await cli(['run', 'a', 'b', '--path', '/api', '--', 'true'], { home })).code).toBe(2);
  });
});
