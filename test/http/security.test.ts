/**
 * The protections a server on 127.0.0.1 needs against browsers (CSRF, DNS rebinding),
 * greedy or broken clients (size, time, malformed input) — and that a refused request
 * leaves the registry file byte for byte as it was.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alloc, call, raw, registryBytes, startServer, type Harness } from './helpers.js';

let h: Harness;
/** The registry after one allocation, to compare with after each refusal. */
let before: string | null;

beforeEach(async () => {
  h = await startServer({ timeout: 1000 });
  await call(h.server, 'POST', '/v1/allocations', { body: alloc('seed') });
  before = await registryBytes(h.registry);
  expect(before).not.toBeNull();
});
afterEach(async () => {
  await h.close();
});

async function expectUnchanged(): Promise<void> {
  expect(await registryBytes(h.registry)).toBe(before);
}

async function expectAlive(): Promise<void> {
  expect((await call(h.server, 'GET', '/healthz')).status).toBe(200);
}

function expectNoCors(headers: Record<string, unknown>): void {
  expect(Object.keys(headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
}

describe('Host allowlist (DNS rebinding)', () => {
  it('refuses any Host that is not a loopback name with the server port, and changes nothing', async () => {
    const { port } = h.server;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      '127.0.0.1',
      `127.0.0.1:${port + 1}`,
      `x.localhost:${port + 1}`,
    ]) {
      const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('evil'), headers: { host } });
      expect(res.status, host).toBe(403);
      expect(res.json.error).toMatch(/^forbidden/);
      expectNoCors(res.headers);
    }
    // A *.localhost name with the server's port is a named URL (the proxy), never the API.
    const named = await call(h.server, 'POST', '/v1/allocations', { body: alloc('evil'), headers: { host: `x.localhost:${port}` } });
    expect(named.status).toBe(404);
    expectNoCors(named.headers);
    await expectUnchanged();
  });

  it('accepts 127.0.0.1, localhost and [::1] with the port, in any case', async () => {
    const { port } = h.server;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`]) {
      expect((await call(h.server, 'GET', '/healthz', { headers: { host } })).status, host).toBe(200);
    }
  });

  it('refuses a request without Host and one with two Host headers', async () => {
    const { port } = h.server;
    const none = await raw(port, 'GET /v1/allocations HTTP/1.0\r\n\r\n');
    expect(none).toMatch(/^HTTP\/1\.1 403 /);
    // HTTP/1.1 requires Host: Node would answer its own bare-text 400; ours is the JSON 403.
    const none11 = await raw(port, 'GET /v1/allocations HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(none11).toMatch(/^HTTP\/1\.1 403 /);
    expect(none11).toContain('application/json');
    expect(none11).toContain('"error":"forbidden: the Host header must be one of');
    const two = await raw(port, `GET /v1/allocations HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
    expect(two).toMatch(/^HTTP\/1\.1 (403|400) /);
    await expectAlive();
  });
});

describe('cross-site requests (CSRF)', () => {
  it('refuses a foreign Origin (also "null") with 403 and changes nothing', async () => {
    for (const origin of ['http://evil.example', 'null', 'http://localhost.evil.example', 'https://127.0.0.1.evil.example:443']) {
      const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('evil'), headers: { origin } });
      expect(res.status, origin).toBe(403);
      const del = await call(h.server, 'DELETE', '/v1/allocations', { body: { service: 'seed' }, headers: { origin } });
      expect(del.status, origin).toBe(403);
    }
    await expectUnchanged();
  });

  it('refuses Sec-Fetch-Site: cross-site, and same-site without a loopback Origin', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('evil'), headers: { 'sec-fetch-site': site } });
      expect(res.status, site).toBe(403);
    }
    await expectUnchanged();
    for (const site of ['same-origin', 'none']) {
      expect((await call(h.server, 'GET', '/v1/allocations', { headers: { 'sec-fetch-site': site } })).status).toBe(200);
    }
  });

  it('lets the user’s own loopback pages through', async () => {
    const res = await call(h.server, 'GET', '/v1/allocations', { headers: { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' } });
    expect(res.status).toBe(200);
    expectNoCors(res.headers);
  });

  it('refuses the bodies a page can POST without a preflight (text/plain, forms, multipart, none), even from a loopback page', async () => {
    // What a browser sends with such a POST: an Origin, and (current browsers) Sec-Fetch-Site.
    const marks: Record<string, string>[] = [
      { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' },
      { origin: 'http://127.0.0.1:8080' },
      { origin: `http://127.0.0.1:${h.server.port}`, 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const type of ['text/plain', 'text/plain; application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      for (const headers of marks) {
        const res = await call(h.server, 'POST', '/v1/allocations', { body: alloc('evil'), headers: { 'content-type': type, ...headers } });
        expect(res.status, `${type} ${JSON.stringify(headers)}`).toBe(403);
        expect(res.json.error).toMatch(/^forbidden: /);
      }
    }
    await expectUnchanged();
    // JSON from a loopback page needs a preflight in a browser; sent directly, it is fine.
    const ok = await call(h.server, 'POST', '/v1/allocations', {
      body: alloc('ok'),
      headers: { 'content-type': 'Application/JSON; charset=utf-8', origin: 'http://localhost:3000' },
    });
    expect(ok.status).toBe(201);
  });

  it('never answers a CORS preflight: OPTIONS is 405 without Access-Control-* headers', async () => {
    const res = await call(h.server, 'OPTIONS', '/v1/allocations', {
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(res.status).toBe(405);
    expectNoCors(res.headers);
    expect(res.json).toEqual({ error: 'method not allowed' });
  });
});

describe('size limits', () => {
  it('refuses a body over 64 KiB with 413, declared or chunked, and changes nothing', async () => {
    const big = JSON.stringify({ ...alloc('big'), pad: 'x'.repeat(70 * 1024) });
    const declared = await call(h.server, 'POST', '/v1/allocations', { body: big });
    expect(declared.status).toBe(413);
    expect(declared.json.error).toMatch(/too large/);
    const chunked = await call(h.server, 'POST', '/v1/allocations', { body: big, chunked: true });
    expect(chunked.status).toBe(413);
    const huge = await call(h.server, 'POST', '/v1/allocations', { body: 'x'.repeat(10 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    await expectUnchanged();
    await expectAlive();
  });

  it('accepts a body of exactly 64 KiB', async () => {
    const body = JSON.stringify(alloc('edge'));
    const padded = body + ' '.repeat(64 * 1024 - body.length);
    const res = await call(h.server, 'POST', '/v1/allocations', { body: padded });
    expect(res.status).toBe(201);
  });

  it('answers oversized headers with 431 in JSON and stays up', async () => {
    const { port } = h.server;
    const reply = await raw(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    expect(reply).toContain('{"error":"request headers too large"}');
    await expectAlive();
  });
});

describe('slow and idle clients', () => {
  it('closes a connection that never finishes its headers (slow loris)', async () => {
    const { port } = h.server;
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`));
      let data = '';
      const drip = setInterval(() => socket.writable && socket.write('X-a: b\r\n'), 200);
      socket.on('data', (chunk) => (data += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(drip);
        resolve(data);
      });
    });
    expect(reply === '' || /^HTTP\/1\.1 408 /.test(reply)).toBe(true);
    await expectAlive();
  });

  it('closes a connection whose body never completes', async () => {
    const { port } = h.server;
    const reply = await raw(
      port,
      `POST /v1/allocations HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"app":`,
    );
    expect(reply === '' || /^HTTP\/1\.1 408 /.test(reply)).toBe(true);
    await expectUnchanged();
  });

  it('closes a connection that sends nothing', async () => {
    const { port } = h.server;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
  });
});

describe('malformed input never crashes the server', () => {
  it('answers deep nesting, broken JSON and binary junk with 400 invalid JSON', async () => {
    const bodies = [
      '['.repeat(60_000),
      `{"app":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
      '{"app": "\\ud800"',
      '\u0000\u0001\u00ff',
      '{"__proto__":{"app":"x"}}',
      '\ufeff{}',
    ];
    for (const body of bodies) {
      const res = await call(h.server, 'POST', '/v1/allocations', { body });
      expect(res.status).toBe(400);
      expect(res.text).not.toMatch(/\n\s+at /);
    }
    const proto = await call(h.server, 'POST', '/v1/allocations', { body: '{"__proto__":{"app":"x"},"app":"shop","instance":"main","service":"proto"}' });
    expect(proto.status).toBe(201);
    await expectAlive();
  });

  it('answers a garbage request line with 400 JSON and stays up', async () => {
    const reply = await raw(h.server.port, 'HELLO WORLD\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('{"error":"bad request"}');
    await expectAlive();
  });

  it('answers CONNECT, made-up and WebDAV methods with 405 JSON, and changes nothing', async () => {
    const { port } = h.server;
    const host = `Host: 127.0.0.1:${port}\r\n`;
    for (const request of [
      `CONNECT 127.0.0.1:22 HTTP/1.1\r\n${host}\r\n`,
      `CONNECT example.com:443 HTTP/1.1\r\n${host}\r\n`,
      `FROB /v1/allocations HTTP/1.1\r\n${host}\r\n`,
      `PROPFIND /v1/allocations HTTP/1.1\r\n${host}\r\n`,
      `MKCOL /nowhere HTTP/1.1\r\n${host}\r\n`,
    ]) {
      const reply = await raw(port, request);
      expect(reply, request).toMatch(/^HTTP\/1\.1 405 /);
      expect(reply, request).toContain('Content-Type: application/json');
      expect(reply, request).toContain('{"error":"method not allowed"}');
    }
    await expectUnchanged();
    await expectAlive();
  });

  it('survives clients that hang up mid-request', async () => {
    const { port } = h.server;
    await Promise.all(
      Array.from(
        { length: 20 },
        (_, index) =>
          new Promise<void>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => {
              socket.write(
                `POST /v1/allocations HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{"app":"shop","instance":"main","service":"s${index}"`,
              );
              setTimeout(() => socket.destroy(), 10);
            });
            socket.on('error', () => undefined);
            socket.on('close', () => resolve());
          }),
      ),
    );
    await expectAlive();
    await expectUnchanged();
  });
});
