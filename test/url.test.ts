import { describe, expect, it } from 'vitest';
import { urlOf } from '../src/index.js';
import { appHostOf, dnsLabel, hostOf, routePathProblem } from '../src/url.js';

describe('dnsLabel', () => {
  it.each([
    ['web', 'web'],
    ['Web', 'web'],
    ['feature/login', 'feature-login'],
    ['my app', 'my-app'],
    ['a<&>b', 'a-b'],
    ['café', 'cafe'],
    ['--x--', 'x'],
    ['a__b', 'a-b'],
  ])('%j → %j', (name, label) => expect(dnsLabel(name)).toBe(label));

  it('has no label for names without a letter or digit', () => {
    expect(dnsLabel('日本')).toBeUndefined();
    expect(dnsLabel('<&>')).toBeUndefined();
  });

  it('cuts at 63 characters without a trailing hyphen', () => {
    const label = dnsLabel(`${'a'.repeat(62)}-b`)!;
    expect(label.length).toBeLessThanOrEqual(63);
    expect(label.endsWith('-')).toBe(false);
  });
});

describe('urlOf', () => {
  const lease = { service: 'web', app: 'shop', instance: 'default' } as const;
  it('gives the short form for the default instance', () => {
    expect(hostOf(lease)).toBe('web.shop.localhost');
    expect(urlOf(lease)).toBe('http://web.shop.localhost:51234');
    expect(urlOf(lease, { port: 8080 })).toBe('http://web.shop.localhost:8080');
    expect(urlOf(lease, { port: 80 })).toBe('http://web.shop.localhost');
  });
  it('names the instance otherwise', () => {
    expect(urlOf({ ...lease, instance: 'feature/x' })).toBe('http://web.feature-x.shop.localhost:51234');
  });
  it('gives the app origin plus the prefix for a path-scoped lease', () => {
    expect(urlOf({ ...lease, service: 'api', path: '/api' })).toBe('http://shop.localhost:51234/api');
    expect(appHostOf({ app: 'shop', instance: 'wt-2' })).toBe('wt-2.shop.localhost');
  });
  it('has none for anonymous leases and unmappable names', () => {
    expect(urlOf({ ...lease, service: null })).toBeUndefined();
    expect(urlOf({ ...lease, app: '日本' })).toBeUndefined();
  });
});

describe('routePathProblem', () => {
  it.each(['/', '/api', '/api/v1', '/a-b_c.d~', '/%41'])('accepts %j', (path) => expect(routePathProblem(path)).toBeUndefined());
  it.each(['', 'api', '/api/', '/a b', '/a?b', '/a#b', '/a/../b', '//a', '/x'.repeat(101)])('refuses %j', (path) =>
    expect(routePathProblem(path)).toBeDefined(),
  );
});

describe('reserve with a path', () => {
  it('records the prefix on the lease and refuses bad ones before any I/O', async () => {
    const { openRegistry } = await import('../src/index.js');
    const { tempHome } = await import('./helpers.js');
    const registry = openRegistry({ home: tempHome() });
    const api = await registry.reserve('api', { app: 'shop', instance: 'default', path: '/api', stripPath: true });
    expect(api).toMatchObject({ path: '/api', stripPath: true });
    expect(urlOf(api)).toBe('http://shop.localhost:51234/api');
    expect((await registry.list({ service: 'api', app: 'shop' }))[0]).toMatchObject({ path: '/api', stripPath: true });
    await expect(registry.reserve('x', { path: 'api' })).rejects.toThrow(RangeError);
    await expect(registry.reserve('x', { stripPath: true })).rejects.toThrow(TypeError);
    await expect(registry.reserve({ path: '/x', ttl: '1m' })).rejects.toThrow(TypeError);
    await api.release();
  });
});
