/**
 * The server keeps no state of its own: what the library does shows over HTTP at once,
 * and what HTTP does shows in the library at once.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, it } from 'vitest';
import { alloc, call, type Harness, useServer } from './helpers.js';

let h: Harness;
useServer((started) => {
  h = started;
});

it('a library lease appears in GET at once, with its id, port and created_at', async () => {
  const lease = await h.registry.reserve('db', { app: 'shop', instance: 'main', durable: true });
  const res = await call(h.server, 'GET', '/v1/allocations');
  expect(res.json).toEqual([
    { id: lease.id, app: 'shop', instance: 'main', service: 'db', port: lease.port, created_at: lease.createdAt.replace(/\.\d+Z$/, 'Z') },
  ]);
  expect((await call(h.server, 'GET', `/v1/ports/${lease.port}`)).json.holder.id).toBe(lease.id);
});

it('an anonymous library lease is listed with an empty service', async () => {
  const lease = await h.registry.reserve({ label: 'scratch', app: 'shop', instance: 'main' });
  const res = await call(h.server, 'GET', '/v1/allocations');
  expect(res.json).toMatchObject([{ id: lease.id, service: '', port: lease.port }]);
});

it('an HTTP allocation is a durable lease the library sees and releases', async () => {
  const created = await call(h.server, 'POST', '/v1/allocations', { body: alloc('web') });
  const listed = await h.registry.list({ app: 'shop' });
  expect(listed).toMatchObject([{ id: created.json.id, port: created.json.port, service: 'web', owner: null, expiresAt: null }]);
  expect(await h.registry.release(created.json.id)).toBe(1);
  expect((await call(h.server, 'GET', '/v1/allocations')).json).toEqual([]);
});

it('an HTTP delete is seen by the library at once', async () => {
  const lease = await h.registry.reserve('db', { app: 'shop', instance: 'main', durable: true });
  expect((await call(h.server, 'DELETE', `/v1/allocations/${lease.id}`)).status).toBe(200);
  expect(await h.registry.lookup('db', { app: 'shop', instance: 'main' })).toBeUndefined();
});

it('the library reuses the port of a key allocated over HTTP (stickiness is shared)', async () => {
  const first = await call(h.server, 'POST', '/v1/allocations', { body: alloc('web') });
  await call(h.server, 'DELETE', '/v1/allocations', { body: { service: 'web' } });
  const lease = await h.registry.reserve('web', { app: 'shop', instance: 'main', durable: true });
  expect(lease.port).toBe(first.json.port);
  await h.registry.release(lease);
  const again = await call(h.server, 'POST', '/v1/allocations', { body: alloc('web') });
  expect(again.json.port).toBe(first.json.port);
  expect(again.json.id).toBeGreaterThan(lease.id);
});

it('a service held by a live process is refused over HTTP with that process’s lease as holder', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const lease = await h.registry.reserve('db', { app: 'shop', instance: 'main', owner: child.pid! });
    const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ error: 'service already allocated', holder: { id: lease.id, port: lease.port } });
    // Once the owner dies its lease is reclaimed, and HTTP gets the service (and its port).
    child.kill('SIGKILL');
    await once(child, 'exit');
    const after = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    expect(after.status).toBe(201);
    expect(after.json.port).toBe(lease.port);
  } finally {
    child.kill('SIGKILL');
  }
});
