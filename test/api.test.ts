/**
 * The one API: the top-level functions are the methods of a default registry (the one of
 * PORTLEASE_HOME, read at each call), and `openRegistry({ home, env, cwd })` resolves
 * everything a call needs from what it was opened with.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultScope } from '../src/api.js';
import { list, lookup, openRegistry, release, reserve } from '../src/index.js';
import { freeRun, registryData, tempHome } from './helpers.js';

const saved = process.env['PORTLEASE_HOME'];
afterEach(() => {
  if (saved === undefined) delete process.env['PORTLEASE_HOME'];
  else process.env['PORTLEASE_HOME'] = saved;
});

const scope = { app: 'a', instance: 'i' };

describe('the top-level functions', () => {
  it('use the registry of PORTLEASE_HOME as it is at each call', async () => {
    const [one, two] = [tempHome(), tempHome()];
    process.env['PORTLEASE_HOME'] = one;
    const first = await reserve('web', scope);
    process.env['PORTLEASE_HOME'] = two;
    const second = await reserve('web', scope);
    expect(registryData(one).leases.map((lease) => lease.id)).toEqual([first.id]);
    expect(registryData(two).leases.map((lease) => lease.id)).toEqual([second.id]);
    expect(await list(scope)).toHaveLength(1);
    expect(await release('web', scope)).toBe(1);
    process.env['PORTLEASE_HOME'] = one;
    expect(await lookup('web', scope)).toMatchObject({ id: first.id, port: first.port });
  });

  it('take home from their options (the filter or the options, not two different ones)', async () => {
    const home = tempHome();
    process.env['PORTLEASE_HOME'] = tempHome();
    const lease = await reserve('db', { ...scope, home });
    expect(await list({ home })).toEqual([{ ...lease }]);
    await expect(release({ app: 'a', home }, { home: tempHome() })).rejects.toThrow(/names two homes/);
    expect(await release({ app: 'a', home })).toBe(1);
    expect(await list()).toEqual([]);
  });
});

describe('openRegistry({ home, env, cwd })', () => {
  it('resolves a relative home, PORTLEASE_* and the default app from what it was opened with', async () => {
    const root = tempHome();
    const project = join(root, 'my-shop');
    mkdirSync(project);
    execFileSync('git', ['init', '-q'], { cwd: project });
    const from = await freeRun(4);
    const registry = openRegistry({ home: 'ports', env: { PORTLEASE_RANGE: `${from}-${from + 3}` }, cwd: project });
    expect(registry.home).toBe(join(project, 'ports'));
    expect(defaultScope(registry)).toEqual({ app: 'my-shop', instance: 'default' });
    const lease = await registry.reserve('web');
    expect(lease).toMatchObject({ app: 'my-shop', instance: 'default' });
    expect(lease.port).toBeGreaterThanOrEqual(from);
    expect(lease.port).toBeLessThanOrEqual(from + 3);
    const named = openRegistry({ home: registry.home, env: { PORTLEASE_HOME: tempHome(), PORTLEASE_APP: 'from-env' }, cwd: project });
    expect(defaultScope(named)).toEqual({ app: 'from-env', instance: 'default' });
    expect(defaultScope(named, { cwd: root })).toEqual({ app: 'from-env', instance: 'default' });
    expect(openRegistry({ env: { PORTLEASE_HOME: 'env-home' }, cwd: root }).home).toBe(join(root, 'env-home'));
    expect(() => openRegistry({ cwd: '' })).toThrow(TypeError);
  });

  it('refuses a home per call, also on renew, checkPort and inspect', async () => {
    const registry = openRegistry({ home: tempHome() });
    const other = tempHome();
    await expect(registry.inspect({ home: other })).rejects.toThrow(/home belongs to openRegistry/);
    await expect(registry.checkPort(1, { home: other })).rejects.toThrow(TypeError);
    await expect(registry.renew(1, '1h', { home: other })).rejects.toThrow(TypeError);
    expect((await registry.inspect({})).home).toBe(registry.home);
  });
});
