/**
 * The one API: the top-level functions are the methods of a default registry (the one of
 * PORTLEASE_HOME, read at each call), and `openRegistry({ home, env, cwd })` resolves
 * everything a call needs from what it was opened with. Those options select a registry:
 * no call takes them, on either shape.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultScope } from '../src/api.js';
import * as portlease from '../src/index.js';
import { list, lookup, openRegistry, release, reserve, type Registry } from '../src/index.js';
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
});

/** Every way a call could carry options: the registry-selecting ones must be refused in each. */
type Call = [name: string, call: (api: Registry, options: object) => Promise<unknown>];
const loose = (method: unknown) => method as (...args: unknown[]) => Promise<unknown>;
const CALLS: Call[] = [
  ['reserve()', (api, options) => loose(api.reserve)('web', options)],
  ['reserve()', (api, options) => loose(api.reserve)({ label: 'x', ...options })],
  ['reserveAll()', (api, options) => loose(api.reserveAll)(['web'], options)],
  ['reserveAll()', (api, options) => loose(api.reserveAll)(['web', { service: 'db', ...options }])],
  ['release()', (api, options) => loose(api.release)({ app: 'a', ...options })],
  ['release()', (api, options) => loose(api.release)('web', options)],
  ['renew()', (api, options) => loose(api.renew)(1, '1h', options)],
  ['lookup()', (api, options) => loose(api.lookup)('web', options)],
  ['waitFor()', (api, options) => loose(api.waitFor)('web', { timeout: 1, ...options })],
  ['list()', (api, options) => loose(api.list)(options)],
  ['prune()', (api, options) => loose(api.prune)(options)],
  ['withPort()', (api, options) => loose(api.withPort)(() => undefined, options)],
  ['listen()', (api, options) => loose(api.listen)(createServer(), 'web', options)],
  ['checkPort()', (api, options) => loose(api.checkPort)(1, options)],
  ['inspect()', (api, options) => loose(api.inspect)(options)],
];
const topLevel = portlease as unknown as Registry;

/** The TypeError a per-call `home` is, word for word. */
const homeRefused = (call: string) => `${call}: home selects a registry — pass it to openRegistry({ home }) (or set PORTLEASE_HOME), not to ${call}`;

describe('a per-call home (or env, cwd, lock) is a TypeError before any I/O', () => {
  it.each(CALLS)('on the top-level %s', async (name, call) => {
    const [fallback, other] = [join(tempHome(), 'never-created'), join(tempHome(), 'never-created')];
    process.env['PORTLEASE_HOME'] = fallback;
    const error = await call(topLevel, { home: other }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(homeRefused(name));
    // Neither the registry it names nor the default one was touched.
    expect(existsSync(other)).toBe(false);
    expect(existsSync(fallback)).toBe(false);
  });

  it.each(CALLS)('on an opened registry: %s', async (name, call) => {
    const [home, other] = [join(tempHome(), 'never-created'), join(tempHome(), 'never-created')];
    const error = await call(openRegistry({ home }), { home: other }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(homeRefused(name));
    expect(existsSync(home)).toBe(false);
    expect(existsSync(other)).toBe(false);
  });

  it('says where env, cwd and lock belong, and refuses a home even when it is undefined', async () => {
    const home = join(tempHome(), 'never-created');
    process.env['PORTLEASE_HOME'] = home;
    for (const api of [topLevel, openRegistry({ home })]) {
      for (const [name, call] of CALLS) {
        await expect(call(api, { env: {} })).rejects.toThrow(
          `${name}: env belongs to the registry (the environment it reads PORTLEASE_* from) — pass it to openRegistry({ env }), not to ${name}`,
        );
        await expect(call(api, { cwd: home })).rejects.toThrow(`— pass it to openRegistry({ cwd }), not to ${name}`);
        await expect(call(api, { lock: {} })).rejects.toThrow(`— pass it to openRegistry({ lock }), not to ${name}`);
        await expect(call(api, { home: undefined })).rejects.toThrow(homeRefused(name));
      }
    }
    expect(existsSync(home)).toBe(false);
  });

  it('renew, checkPort and inspect take no options object at all', async () => {
    const registry = openRegistry({ home: tempHome() });
    await expect(loose(registry.inspect)({})).rejects.toThrow('inspect() takes no arguments, got object');
    await expect(loose(registry.checkPort)(1, {})).rejects.toThrow('checkPort() takes a port, nothing after it, got object');
    await expect(loose(registry.renew)(1, '1h', {})).rejects.toThrow(TypeError);
    expect((await loose(registry.inspect)(undefined)) as { home: string }).toMatchObject({ home: registry.home });
    expect((await registry.inspect()).home).toBe(registry.home);
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
});
