import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Lease } from '../../src/index.js';
import { boundPort as bound, cli, freeRun, tempDir } from './helpers.js';

async function leases(home: string): Promise<Lease[]> {
  return JSON.parse((await cli(['list', '--all', '--json'], { home })).stdout) as Lease[];
}

describe('portlease reserve', () => {
  test('prints only the port; asking again prints the same port', async () => {
    const home = await tempDir();
    const first = await cli(['reserve', 'web'], { home });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^\d+\n$/);
    expect(first.stderr).toBe('');
    expect((await cli(['reserve', 'web'], { home })).stdout).toBe(first.stdout);
    const port = Number(first.stdout);
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThanOrEqual(29_999);
  });

  test('durable by default: no owner, no expiry, in the current app', async () => {
    const home = await tempDir();
    await cli(['reserve', 'web'], { home });
    const [lease] = await leases(home);
    expect(lease).toMatchObject({ service: 'web', app: 'testapp', instance: 'default', owner: null, expiresAt: null });
  });

  test('--ttl sets an expiry; --owner-pid an owner', async () => {
    const home = await tempDir();
    await cli(['reserve', 'a', '--ttl', '2h'], { home });
    await cli(['reserve', 'b', '--owner-pid', String(process.pid)], { home });
    const [a, b] = await leases(home);
    expect(a?.owner).toBeNull();
    expect(Date.parse(a?.expiresAt ?? '') - Date.now()).toBeGreaterThan(3_600_000);
    expect(b?.owner?.pid).toBe(process.pid);
    expect(b?.expiresAt).toBeNull();
  });

  test('--app, --instance and PORTLEASE_INSTANCE name the lease', async () => {
    const home = await tempDir();
    await cli(['reserve', 'web', '--app', 'shop', '--instance', 'feature-x'], { home });
    await cli(['reserve', 'web'], { home, env: { PORTLEASE_INSTANCE: 'ci' } });
    const all = await leases(home);
    expect(all.map((lease) => `${lease.app}/${lease.instance}/${lease.service}`)).toEqual(['shop/feature-x/web', 'testapp/ci/web']);
  });

  test('--home DIR overrides PORTLEASE_HOME, relative to the working directory', async () => {
    const home = await tempDir();
    const result = await cli(['reserve', 'web', '--home', 'elsewhere'], { home, cwd: home });
    expect(result.code).toBe(0);
    expect(existsSync(join(home, 'elsewhere', 'registry'))).toBe(true);
    expect(existsSync(join(home, 'registry'))).toBe(false);
  });

  test('--json prints the lease', async () => {
    const home = await tempDir();
    const result = await cli(['reserve', 'web', '--json'], { home });
    const lease = JSON.parse(result.stdout) as Lease;
    expect(lease).toMatchObject({ id: 1, service: 'web', app: 'testapp' });
  });

  test('--range chooses inside the range; PORTLEASE_RANGE is the default', async () => {
    const home = await tempDir();
    const [x, y] = [await freeRun(2), await freeRun(2)];
    const a = Number((await cli(['reserve', 'a', '--range', `${x}-${x + 1}`], { home })).stdout);
    expect([x, x + 1]).toContain(a);
    const b = Number((await cli(['reserve', 'b'], { home, env: { PORTLEASE_RANGE: `${y}-${y + 1}` } })).stdout);
    expect([y, y + 1]).toContain(b);
  });

  test('--port on a port the OS has bound fails with E_PORT_BUSY (exit 1)', async () => {
    const home = await tempDir();
    const port = await bound();
    const result = await cli(['reserve', 'web', '--port', String(port)], { home });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^portlease: E_PORT_BUSY: /);
    expect(result.stderr).toContain(`portlease check ${port}`);
  });

  test('--port --claim registers a port its service already has bound', async () => {
    const home = await tempDir();
    const port = await bound();
    const result = await cli(['reserve', 'db', '--port', String(port), '--claim'], { home });
    expect(result).toEqual({ code: 0, stdout: `${port}\n`, stderr: '' });
    const [lease] = await leases(home);
    expect(lease?.claimed).toBe(true);
  });

  test('--port held by another lease fails with E_PORT_LEASED naming it', async () => {
    const home = await tempDir();
    const port = (await cli(['reserve', 'web'], { home })).stdout.trim();
    const result = await cli(['reserve', 'api', '--port', port], { home });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^portlease: E_PORT_LEASED: .*testapp\/default\/web/);
  });

  test('anonymous leases need --ttl or --owner-pid', async () => {
    const home = await tempDir();
    const refused = await cli(['reserve'], { home });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('portlease free');
    const result = await cli(['reserve', '--ttl', '10m', '--label', 'scratch'], { home });
    expect(result.code).toBe(0);
    const [lease] = await leases(home);
    expect(lease).toMatchObject({ service: null, label: 'scratch' });
  });

  test.each([
    [['reserve', 'web', '--port', '3000', '--range', '20000-20010'], 'not both'],
    [['reserve', 'web', '--port', '70000'], '--port must be an integer from 1 to 65535'],
    [['reserve', 'web', '--port', 'abc'], '--port must be an integer'],
    [['reserve', 'web', '--claim'], '--claim needs --port'],
    [['reserve', 'web', '--owner-pid', 'me'], '--owner-pid must be an integer'],
    [['reserve', 'web', 'api'], "unexpected 'api'"],
    [['reserve', 'web', '--ttl'], "Option '--ttl' needs a value"],
    [['reserve', 'bad\u0007name'], 'service'],
  ])('usage error %j → exit 2', async (argv, message) => {
    const home = await tempDir();
    const result = await cli(argv, { home });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^portlease: E_USAGE: /);
    expect(result.stderr).toContain(message);
    expect(await leases(home)).toEqual([]);
  });
});

describe('portlease reserve, asked again', () => {
  test('--owner-pid twice from one shell returns the same lease', async () => {
    const home = await tempDir();
    const first = await cli(['reserve', 'c', '--owner-pid', String(process.pid), '--json'], { home });
    const again = await cli(['reserve', 'c', '--owner-pid', String(process.pid), '--json'], { home });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(first.stdout));
  });

  test('--ttl on a durable lease makes it expire; without --ttl it is durable again', async () => {
    const home = await tempDir();
    const port = (await cli(['reserve', 'web'], { home })).stdout;
    expect((await cli(['reserve', 'web', '--ttl', '1h'], { home })).stdout).toBe(port);
    const [timed] = await leases(home);
    expect(timed).toMatchObject({ owner: null, ttl: 3_600_000 });
    expect(timed?.expiresAt).not.toBeNull();
    expect((await cli(['reserve', 'web'], { home })).stdout).toBe(port);
    const [durable] = await leases(home);
    expect(durable).toMatchObject({ id: timed?.id, expiresAt: null, owner: null });
  });

  test('--prefer takes the port when free, else one from the range', async () => {
    const home = await tempDir();
    const busy = await bound();
    const from = await freeRun(2);
    const result = await cli(['reserve', 'web', '--prefer', String(busy), '--range', `${from}-${from + 1}`], { home });
    expect(result.code, result.stderr).toBe(0);
    expect([from, from + 1]).toContain(Number(result.stdout));
    const both = await cli(['reserve', 'api', '--prefer', '3000', '--port', '3001'], { home });
    expect(both.code).toBe(2);
  });
});
