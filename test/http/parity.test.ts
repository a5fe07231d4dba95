/**
 * Where port-registry's clients used to break against portlease (issue 10), as contract
 * tests on a real socket: names as port-registry accepts them, `/v1/ports/{port}` never
 * `available:false` without a holder, bodies without `application/json`, and Go's JSON
 * decoding (integer literals only; the first value read, trailing data ignored).
 */
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { getOsFreePort } from '../../src/index.js';
import { ODD_NAMES } from '../helpers.js';
import { alloc, call, registryBytes, type Harness, useServer } from './helpers.js';

const NAMES = ODD_NAMES;

let h: Harness;
useServer((started) => {
  h = started;
});

describe('names: any non-blank string, as port-registry', () => {
  it.each(NAMES)('allocates, lists, checks and releases %j as app, instance and service', async (name) => {
    const created = await call(h.server, 'POST', '/v1/allocations', { body: { app: name, instance: name, service: name } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ app: name, instance: name, service: name });

    const query = new URLSearchParams({ app: name, instance: name, service: name }).toString();
    const listed = await call(h.server, 'GET', `/v1/allocations?${query}`);
    expect(listed.json).toEqual([created.json]);
    const status = await call(h.server, 'GET', `/v1/ports/${created.json.port}`);
    expect(status.json).toEqual({ port: created.json.port, available: false, holder: created.json });

    const deleted = await call(h.server, 'DELETE', '/v1/allocations', { body: { app: name, instance: name, service: name } });
    expect(deleted.json).toEqual({ deleted: 1 });
  });

  it('stores names trimmed and filters exactly, so an untrimmed filter matches nothing', async () => {
    const created = await call(h.server, 'POST', '/v1/allocations', { body: alloc(' db ', { instance: '\tfeature/x ' }) });
    expect(created.json).toMatchObject({ instance: 'feature/x', service: 'db' });
    expect((await call(h.server, 'GET', '/v1/allocations?service=%20db')).json).toEqual([]);
    expect((await call(h.server, 'DELETE', '/v1/allocations', { body: { service: ' db' } })).json).toEqual({ deleted: 0 });
    expect((await call(h.server, 'GET', '/v1/allocations?instance=feature%2Fx')).json).toEqual([created.json]);
  });

  it('keeps apart triples that differ only in where the / falls', async () => {
    const one = await call(h.server, 'POST', '/v1/allocations', { body: { app: 'a/b', instance: 'c', service: 'd' } });
    const two = await call(h.server, 'POST', '/v1/allocations', { body: { app: 'a', instance: 'b/c', service: 'd' } });
    expect([one.status, two.status]).toEqual([201, 201]);
    expect(one.json.port).not.toBe(two.json.port);
  });

  it('refuses control characters and over-long names with 400 stating the rule, changing nothing', async () => {
    const before = await registryBytes(h.registry);
    for (const service of ['a\u0007b', 'x\u202ey', 'x'.repeat(201)]) {
      const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc(service) });
      expect(res.status, service).toBe(400);
      expect(res.json.error).toMatch(/not a valid name: .* \(use 1-200 characters, not blank, without control characters, line separators or bidi controls\)$/);
    }
    expect(await registryBytes(h.registry)).toBe(before);
  });
});

describe('GET /v1/ports/{port}: the registry view, never available:false without a holder', () => {
  it('answers available:true for a port only the OS has bound (portctl dereferences holder otherwise)', async () => {
    const port = await getOsFreePort();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const res = await call(h.server, 'GET', `/v1/ports/${port}`);
      expect(res.status).toBe(200);
      expect(res.text).toBe(`{"port":${port},"available":true}\n`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers available:false only with a holder in the allocation shape', async () => {
    const db = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    const res = await call(h.server, 'GET', `/v1/ports/${db.json.port}`);
    expect(Object.keys(res.json)).toEqual(['port', 'available', 'holder']);
    expect(Object.keys(res.json.holder)).toEqual(['id', 'app', 'instance', 'service', 'port', 'created_at']);
  });

  it('names a library lease as holder too, anonymous ones with an empty service', async () => {
    const lease = await h.registry.reserve({ label: 'worker', durable: true });
    const res = await call(h.server, 'GET', `/v1/ports/${lease.port}`);
    expect(res.json).toMatchObject({ available: false, holder: { id: lease.id, service: '', port: lease.port } });
  });
});

describe('bodies without Content-Type: application/json, from non-browser clients', () => {
  it.each([
    ['text/plain', 'text/plain'],
    ["curl -d's form type", 'application/x-www-form-urlencoded'],
    ['no Content-Type at all', ''],
  ])('POST with %s allocates like port-registry', async (_label, type) => {
    const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc(`svc-${type.length}`), headers: { 'content-type': type } });
    expect(res.status).toBe(201);
    const del = await call(h.server, 'DELETE', '/v1/allocations', { body: { service: `svc-${type.length}` }, headers: { 'content-type': type } });
    expect(del.json).toEqual({ deleted: 1 });
  });

  it("Node's fetch with a string body (text/plain, Sec-Fetch-Mode but no Origin) allocates", async () => {
    const res = await fetch(`${h.server.url}/v1/allocations`, { method: 'POST', body: JSON.stringify(alloc('from-fetch')) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ service: 'from-fetch' });
  });

  it('still refuses the same body from a web page, changing nothing', async () => {
    const before = await registryBytes(h.registry);
    const res = await call(h.server, 'POST', '/v1/allocations', {
      body: alloc('evil'),
      headers: { 'content-type': 'text/plain', origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' },
    });
    expect(res.status).toBe(403);
    expect(await registryBytes(h.registry)).toBe(before);
  });
});

describe("JSON as Go's decoder reads it", () => {
  it.each(['43e0', '43005.0', '4.3e1', '-0.0'])('refuses "port": %s with 400 invalid JSON, changing nothing', async (literal) => {
    const before = await registryBytes(h.registry);
    const res = await call(h.server, 'POST', '/v1/allocations', { body: `{"app":"shop","instance":"main","service":"db","port":${literal}}` });
    expect(res.status).toBe(400);
    expect(res.text).toBe('{"error":"invalid JSON"}\n');
    const del = await call(h.server, 'DELETE', '/v1/allocations', { body: `{"port":${literal}}` });
    expect(del.text).toBe('{"error":"invalid JSON"}\n');
    expect(await registryBytes(h.registry)).toBe(before);
  });

  it('refuses a non-integer id in the path with 400 invalid id', async () => {
    for (const id of ['43e0', '1.0']) expect((await call(h.server, 'DELETE', `/v1/allocations/${id}`)).text).toBe('{"error":"invalid id"}\n');
  });

  it('reads the first JSON value and ignores trailing data', async () => {
    const res = await call(h.server, 'POST', '/v1/allocations', { body: '{"app":"shop","instance":"main","service":"db"} xyz{' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ service: 'db' });
    const del = await call(h.server, 'DELETE', '/v1/allocations', { body: '{"service":"db"}\n{"service":"other"}' });
    expect(del.json).toEqual({ deleted: 1 });
  });
});
