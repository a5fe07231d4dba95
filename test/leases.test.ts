import { createServer } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { isPortleaseError, openRegistry } from '../src/index.js';
import { tempHome } from './helpers.js';

const scope = { app: 'shop', instance: 'main' };

describe('release', () => {
  it('by lease, id, service name, and filter', async () => {
    const registry = openRegistry({ home: tempHome() });
    const a = await registry.reserve('a', scope);
    const b = await registry.reserve('b', scope);
    const c = await registry.reserve('c', scope);
    const d = await registry.reserve('d', { app: 'other', instance: 'main' });
    expect(await registry.release(a)).toBe(1);
    expect(await registry.release(b.id)).toBe(1);
    expect(await registry.release('c', scope)).toBe(1);
    expect(await registry.release('c', scope)).toBe(0);
    expect(await registry.release({ app: 'other' })).toBe(1);
    expect(await registry.list()).toEqual([]);
    expect(c.port).not.toBe(d.port);
  });

  it('a stale lease object does not release the lease that now has its id or port', async () => {
    const registry = openRegistry({ home: tempHome() });
    const first = await registry.reserve('a', scope);
    await first.release();
    const second = await registry.reserve('a', scope);
    expect(second.port).toBe(first.port);
    expect(await first.release()).toBe(false);
    expect((await registry.list()).map((lease) => lease.id)).toEqual([second.id]);
  });
});

describe('renew', () => {
  it('extends a ttl lease, and says when the lease is gone', async () => {
    const registry = openRegistry({ home: tempHome() });
    const lease = await registry.reserve('t', { ...scope, owner: false, ttl: '1m' });
    const renewed = await registry.renew(lease, '2h');
    expect(renewed.ttl).toBe(7_200_000);
    expect(Date.parse(renewed.expiresAt!)).toBeGreaterThan(Date.parse(lease.expiresAt!));
    expect((await registry.renew(lease.id)).ttl).toBe(7_200_000);
    await registry.release(lease);
    await expect(registry.renew(lease)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    const owned = await registry.reserve('o', scope);
    await expect(registry.renew(owned)).rejects.toThrow(/has no ttl/);
  });
});

describe('lookup, waitFor and list', () => {
  it('find live leases without the lock', async () => {
    const registry = openRegistry({ home: tempHome() });
    expect(await registry.lookup('db', scope)).toBeUndefined();
    const db = await registry.reserve('db', scope);
    expect(await registry.lookup('db', scope)).toEqual({ ...db });
    expect(await registry.lookup('db', { ...scope, instance: 'other' })).toBeUndefined();
    await registry.reserve({ label: 'anon', app: 'shop', instance: 'main' });
    expect((await registry.list({ service: null })).map((lease) => lease.label)).toEqual(['anon']);
    expect((await registry.list({ app: 'shop' })).length).toBe(2);
  });

  it('waitFor resolves when another writer reserves the service, and times out otherwise', async () => {
    const registry = openRegistry({ home: tempHome() });
    const waiting = registry.waitFor('late', { ...scope, timeout: 5000, interval: 10 });
    setTimeout(() => void registry.reserve('late', scope), 50);
    expect((await waiting).service).toBe('late');
    const error = await registry.waitFor('never', { ...scope, timeout: 30 }).catch((caught: unknown) => caught);
    expect(isPortleaseError(error, 'E_TIMEOUT')).toBe(true);
  });
});

describe('withPort and listen', () => {
  it('withPort releases after the function, even when it throws', async () => {
    const registry = openRegistry({ home: tempHome() });
    const seen = await registry.withPort(async (port) => {
      expect(await registry.list()).toHaveLength(1);
      return port;
    });
    expect(seen).toBeGreaterThan(0);
    await expect(registry.withPort(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await registry.list()).toEqual([]);
  });

  it('listen binds an http server on its lease and releases it when the server closes', async () => {
    const registry = openRegistry({ home: tempHome() });
    const server = createServer((_request, response) => response.end('ok'));
    const lease = await registry.listen(server, 'web', scope);
    expect((server.address() as { port: number }).port).toBe(lease.port);
    expect(await (await fetch(`http://127.0.0.1:${lease.port}/`)).text()).toBe('ok');
    await new Promise((done) => server.close(done));
    // The release runs on 'close', after the callback above: wait for it rather than guess how long it takes.
    await vi.waitFor(async () => expect(await registry.list()).toEqual([]), { timeout: 30_000, interval: 20 });
  });
});
