/**
 * The port-registry /v1 wire contract, route by route and error by error, against a real
 * server on a real socket (reference/port-registry-v1-api.md).
 */
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { getOsFreePort } from '../../src/index.js';
import { alloc, call, registryBytes, type Harness, useServer } from './helpers.js';

const CREATED_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const ALLOCATION_KEYS = ['id', 'app', 'instance', 'service', 'port', 'created_at'];

let h: Harness;
useServer((started) => {
  h = started;
});

/** A server bound on every address of a free port: "in use on system". */
async function occupy(): Promise<{ port: number; server: Server }> {
  const port = await getOsFreePort();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server };
}

describe('GET /healthz', () => {
  it('answers 200 {"status":"ok"} as JSON with a trailing newline', async () => {
    const res = await call(h.server, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text).toBe('{"status":"ok"}\n');
  });
});

describe('POST /v1/allocations', () => {
  it('auto-assigns from the portlease range: 201, keys in order, RFC 3339 created_at, newline', async () => {
    const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text.endsWith('}\n')).toBe(true);
    expect(Object.keys(res.json)).toEqual(ALLOCATION_KEYS);
    expect(res.json).toMatchObject({ app: 'shop', instance: 'main', service: 'db' });
    expect(res.json.created_at).toMatch(CREATED_AT);
    expect(res.json.port).toBeGreaterThanOrEqual(20000);
    expect(res.json.port).toBeLessThanOrEqual(29999);
  });

  it('makes a durable named lease whose id is the allocation id', async () => {
    const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    const lease = await h.registry.lookup('db', { app: 'shop', instance: 'main' });
    expect(lease).toMatchObject({ id: res.json.id, port: res.json.port, owner: null, expiresAt: null });
  });

  it('refuses a repeated triple: 409 service already allocated with the holder', async () => {
    const first = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    const again = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ error: 'service already allocated', holder: first.json });
    expect(Object.keys(again.json)).toEqual(['error', 'holder']);
  });

  it('trims names and requires all three: 400 app, instance, and service are required', async () => {
    for (const body of [{ app: 'a', instance: 'b' }, { app: ' ', instance: 'b', service: 'c' }, {}, null]) {
      const res = await call(h.server, 'POST', '/v1/allocations', { body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.text).toBe('{"error":"app, instance, and service are required"}\n');
    }
    const trimmed = await call(h.server, 'POST', '/v1/allocations', { body: alloc(' db ', { app: ' shop' }) });
    expect(trimmed.status).toBe(201);
    expect(trimmed.json).toMatchObject({ app: 'shop', service: 'db' });
  });

  it('answers 400 invalid JSON to what Go cannot decode into its struct', async () => {
    const bodies = [
      '',
      '{',
      '[]',
      '"db"',
      '42',
      '{"port":"80"}',
      '{"port":80.5}',
      '{"port":1e99}',
      '{"app":1}',
      '{"service":["db"]}',
      '{"port":43e0}',
      '{"port":43005.0}',
    ];
    for (const body of bodies) {
      const res = await call(h.server, 'POST', '/v1/allocations', { body });
      expect(res.status, body).toBe(400);
      expect(res.text, body).toBe('{"error":"invalid JSON"}\n');
    }
  });

  it('ignores unknown fields, matches keys case-insensitively and takes "port": null as auto', async () => {
    const res = await call(h.server, 'POST', '/v1/allocations', {
      body: { App: 'shop', INSTANCE: 'main', service: 'db', port: null, extra: { deep: [1, 2] } },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ app: 'shop', instance: 'main', service: 'db' });
  });

  it('checks the port range: 400 port must be between 1 and 65535', async () => {
    for (const port of [-1, 65536, 100000]) {
      const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db', { port }) });
      expect(res.status).toBe(400);
      expect(res.text).toBe('{"error":"port must be between 1 and 65535"}\n');
    }
  });

  it('gives an explicit free port: 201 with that port', async () => {
    const port = await getOsFreePort();
    const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db', { port }) });
    expect(res.status).toBe(201);
    expect(res.json.port).toBe(port);
  });

  it('refuses an explicit port the OS has in use: 409 port in use on system, no holder', async () => {
    const { port, server } = await occupy();
    try {
      const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db', { port }) });
      expect(res.status).toBe(409);
      expect(res.text).toBe('{"error":"port in use on system"}\n');
    } finally {
      server.close();
    }
  });

  it('refuses an explicit port another triple holds: 409 port already allocated with the holder', async () => {
    const port = await getOsFreePort();
    const first = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db', { port }) });
    const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('cache', { port }) });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({ error: 'port already allocated', holder: first.json });
  });

  it('probes the OS before any uniqueness check, as the contract orders', async () => {
    await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    const { port, server } = await occupy();
    try {
      const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db', { port }) });
      expect(res.status).toBe(409);
      expect(res.json).toEqual({ error: 'port in use on system' });
    } finally {
      server.close();
    }
  });

  it('refuses names portlease cannot store with a 400 naming the rule, and changes nothing', async () => {
    const before = await registryBytes(h.registry);
    const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db\u001b[2J') });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/not a valid name: it contains U\+001B \(use 1-200 characters, not blank, without control characters/);
    expect(await registryBytes(h.registry)).toBe(before);
  });
});

describe('GET /v1/allocations', () => {
  it('answers [] (never null) when empty', async () => {
    const res = await call(h.server, 'GET', '/v1/allocations');
    expect(res.status).toBe(200);
    expect(res.text).toBe('[]\n');
  });

  it('lists by id ascending and filters exactly by app, instance and service', async () => {
    const a = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    const b = await call(h.server, 'POST', '/v1/allocations', { body: alloc('web') });
    const c = await call(h.server, 'POST', '/v1/allocations', { body: { app: 'blog', instance: 'main', service: 'db' } });
    const all = await call(h.server, 'GET', '/v1/allocations');
    expect(all.json).toEqual([a.json, b.json, c.json]);
    expect((await call(h.server, 'GET', '/v1/allocations?app=shop')).json).toEqual([a.json, b.json]);
    expect((await call(h.server, 'GET', '/v1/allocations?service=db')).json).toEqual([a.json, c.json]);
    expect((await call(h.server, 'GET', '/v1/allocations?app=shop&instance=main&service=web')).json).toEqual([b.json]);
    expect((await call(h.server, 'GET', '/v1/allocations?app=SHOP')).json).toEqual([]);
    // An empty value is no filter, as in Go's Query().Get.
    expect((await call(h.server, 'GET', '/v1/allocations?app=&service=')).json).toHaveLength(3);
    // A value no lease can have matches nothing rather than failing.
    expect((await call(h.server, 'GET', '/v1/allocations?app=a%2Fb')).text).toBe('[]\n');
  });
});

describe('DELETE /v1/allocations (by filter)', () => {
  it('answers 400 invalid JSON to an empty or malformed body', async () => {
    for (const body of ['', '{', '[1]', '{"port":"5"}']) {
      const res = await call(h.server, 'DELETE', '/v1/allocations', { body });
      expect(res.status, body).toBe(400);
      expect(res.text).toBe('{"error":"invalid JSON"}\n');
    }
  });

  it('requires a filter: 400 at least one filter is required for delete', async () => {
    await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    const before = await registryBytes(h.registry);
    for (const body of [{}, { bogus: 1 }, { app: '', port: 0 }, null]) {
      const res = await call(h.server, 'DELETE', '/v1/allocations', { body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(res.text).toBe('{"error":"at least one filter is required for delete"}\n');
    }
    expect(await registryBytes(h.registry)).toBe(before);
  });

  it('deletes what matches all given fields and counts it', async () => {
    const db = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    await call(h.server, 'POST', '/v1/allocations', { body: alloc('web') });
    await call(h.server, 'POST', '/v1/allocations', { body: { app: 'blog', instance: 'main', service: 'db' } });
    expect((await call(h.server, 'DELETE', '/v1/allocations', { body: { app: 'shop', service: 'db' } })).text).toBe('{"deleted":1}\n');
    expect((await call(h.server, 'DELETE', '/v1/allocations', { body: { port: db.json.port } })).json).toEqual({ deleted: 0 });
    expect((await call(h.server, 'DELETE', '/v1/allocations', { body: { port: 70000 } })).json).toEqual({ deleted: 0 });
    expect((await call(h.server, 'DELETE', '/v1/allocations', { body: { instance: 'main' } })).json).toEqual({ deleted: 2 });
    expect((await call(h.server, 'GET', '/v1/allocations')).json).toEqual([]);
  });

  it('accepts a DELETE body without Content-Type (only POST is reachable from a web page)', async () => {
    await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    const res = await call(h.server, 'DELETE', '/v1/allocations', { body: { service: 'db' }, headers: { 'content-type': '' } });
    expect(res.json).toEqual({ deleted: 1 });
  });
});

describe('DELETE /v1/allocations/{id}', () => {
  it('deletes by id: 200 {"status":"deleted"}, then 404 allocation not found', async () => {
    const db = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    const res = await call(h.server, 'DELETE', `/v1/allocations/${db.json.id}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"status":"deleted"}\n');
    const again = await call(h.server, 'DELETE', `/v1/allocations/${db.json.id}`);
    expect(again.status).toBe(404);
    expect(again.text).toBe('{"error":"allocation not found"}\n');
  });

  it('answers 400 invalid id to what is not a 64-bit integer, 404 to ids no lease has', async () => {
    for (const id of ['abc', '1.5', '0x10', '99999999999999999999', '%31']) {
      const res = await call(h.server, 'DELETE', `/v1/allocations/${id}`);
      expect(res.status, id).toBe(400);
      expect(res.text).toBe('{"error":"invalid id"}\n');
    }
    for (const id of ['999', '-1', '0', '9223372036854775807']) {
      const res = await call(h.server, 'DELETE', `/v1/allocations/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.json).toEqual({ error: 'allocation not found' });
    }
  });
});

describe('GET /v1/ports/{port}', () => {
  it('answers 400 invalid port and 400 port must be between 1 and 65535', async () => {
    expect((await call(h.server, 'GET', '/v1/ports/http')).text).toBe('{"error":"invalid port"}\n');
    for (const port of ['0', '-5', '65536']) {
      const res = await call(h.server, 'GET', `/v1/ports/${port}`);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'port must be between 1 and 65535' });
    }
  });

  it('says available for a port neither leased nor bound', async () => {
    const port = await getOsFreePort();
    const res = await call(h.server, 'GET', `/v1/ports/${port}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe(`{"port":${port},"available":true}\n`);
  });

  it('names the holder of a leased port', async () => {
    const db = await call(h.server, 'POST', '/v1/allocations', { body: alloc('db') });
    const res = await call(h.server, 'GET', `/v1/ports/${db.json.port}`);
    expect(res.json).toEqual({ port: db.json.port, available: false, holder: db.json });
    expect(Object.keys(res.json)).toEqual(['port', 'available', 'holder']);
  });

  it('answers from the registry, like port-registry: a port bound outside it is available', async () => {
    const { port, server } = await occupy();
    try {
      const res = await call(h.server, 'GET', `/v1/ports/${port}`);
      expect(res.text).toBe(`{"port":${port},"available":true}\n`);
    } finally {
      server.close();
    }
  });
});

describe('everything else', () => {
  it('answers unknown routes 404 and wrong methods 405, in JSON', async () => {
    const missing = await call(h.server, 'GET', '/v2/allocations');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'not found' });
    const wrong = await call(h.server, 'PUT', '/v1/allocations', { body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, POST, DELETE');
    expect(wrong.json).toEqual({ error: 'method not allowed' });
    expect((await call(h.server, 'GET', '/v1/allocations/1')).status).toBe(405);
  });
});
