/** The reverse proxy over real sockets: host forms, prefixes, pages, loops, keep-alive, teardown. */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_IDLE_TIMEOUT, BACKEND_MAX_SOCKETS } from '../../src/http/backend.js';
import { call, raw, startServer, type Harness } from './helpers.js';
import { backend, eventually, get, type Backend } from './proxy-helpers.js';

let harness: Harness;
const backends: Backend[] = [];
afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
  await harness?.close();
});
async function start(): Promise<Harness> {
  harness = await startServer();
  return harness;
}
async function up(service: string, options: Parameters<typeof backend>[2] = {}, handler?: Parameters<typeof backend>[3]): Promise<Backend> {
  const b = await backend(harness, service, options, handler);
  backends.push(b);
  return b;
}

describe('host routing', () => {
  it('reaches a lease by each of the three host forms', async () => {
    await start();
    await up('web');
    await up('web', { instance: 'feature/x' });
    await up('admin');
    expect((await get(harness, 'web.shop.localhost', '/a?b=1')).text).toBe('web GET /a?b=1');
    const wt = await get(harness, 'web.feature-x.shop.localhost', '/');
    expect(wt.status).toBe(200);
    expect(wt.text).toBe('web GET /');
    expect((await get(harness, 'admin.localhost')).text).toBe('admin GET /');
    // Two live leases named web: the short form is reported, not guessed.
    const ambiguous = await get(harness, 'web.localhost');
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.text).toContain('feature/x');
  });

  it('passes Host and X-Forwarded-* and drops hop-by-hop headers', async () => {
    await start();
    let seen: Record<string, unknown> = {};
    await up('web', {}, (req, res) => {
      seen = req.headers;
      res.setHeader('Connection', 'close, X-Secret');
      res.setHeader('X-Secret', 'hop');
      res.setHeader('Keep-Alive', 'timeout=1');
      res.end('ok');
    });
    const got = await get(harness, 'web.shop.localhost', '/', {
      headers: {
        connection: 'keep-alive, x-private',
        'x-private': '1',
        te: 'trailers',
        'proxy-authorization': 'x',
        'x-forwarded-for': '10.0.0.1',
        'user-agent': 'test',
      },
    });
    expect(got.status).toBe(200);
    expect(seen['host']).toBe(`web.shop.localhost:${harness.server.port}`);
    expect(seen['x-forwarded-host']).toBe(`web.shop.localhost:${harness.server.port}`);
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(seen['user-agent']).toBe('test');
    for (const name of ['x-private', 'te', 'proxy-authorization']) expect(seen[name]).toBeUndefined();
    expect(got.headers['x-secret']).toBeUndefined();
    // The backend's Keep-Alive is not passed on (the proxy's own connection has its own).
    expect(got.headers['keep-alive']).not.toBe('timeout=1');
  });

  it('refuses other hosts with 403 and answers an unknown *.localhost name with a 404 page listing the URLs', async () => {
    await start();
    await up('web');
    expect((await get(harness, 'evil.example')).status).toBe(403);
    expect((await get(harness, 'web.shop.localhost.evil.example')).status).toBe(403);
    const unknown = await get(harness, 'nope.shop.localhost');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toContain('text/html');
    expect(unknown.text).toContain(`http://web.shop.localhost:${harness.server.port}`);
  });

  it('answers on ::1 as well', async () => {
    await start();
    await up('web');
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '::1', port: harness.server.port, path: '/', headers: { host: `web.shop.localhost:${harness.server.port}` } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    expect(text).toBe('web GET /');
  });

  it('lists the live URLs at GET / on the loopback hosts and keeps /v1 JSON without new keys', async () => {
    await start();
    await up('api', { path: '/api' });
    // `/` is the dashboard: its live rows carry each lease's named URL.
    const home = await get(harness, 'localhost');
    expect(home.status).toBe(200);
    expect(home.text).toContain('<title>');
    expect(await firstEvents(harness.server.port)).toContain(`http://shop.localhost:${harness.server.port}/api`);
    const list = await call(harness.server, 'GET', '/v1/allocations');
    expect(Object.keys(list.json[0])).toEqual(['id', 'app', 'instance', 'service', 'port', 'created_at']);
    expect((await call(harness.server, 'GET', '/nope')).json).toEqual({ error: 'not found' });
  });
});

describe('path prefixes on one origin', () => {
  it('routes by longest prefix and answers 404 without a fallback', async () => {
    await start();
    await up('front');
    await up('api', { path: '/api' });
    await up('admin', { path: '/admin', stripPath: true });
    expect((await get(harness, 'shop.localhost', '/')).text).toBe('front GET /');
    expect((await get(harness, 'shop.localhost', '/api/users?x=1')).text).toBe('api GET /api/users?x=1');
    expect((await get(harness, 'shop.localhost', '/apix')).text).toBe('front GET /apix');
    expect((await get(harness, 'shop.localhost', '/admin/x')).text).toBe('admin GET /x');
    await harness.registry.release('front', { app: 'shop', instance: 'default' });
    await eventually(async () => (await get(harness, 'shop.localhost', '/')).status === 404);
    expect((await get(harness, 'shop.localhost', '/api')).text).toBe('api GET /api');
  });
});

describe('errors', () => {
  it('answers 502 naming the lease when nothing listens on its port', async () => {
    await start();
    const lease = await harness.registry.reserve('web', { app: 'shop', instance: 'default', durable: true });
    const got = await get(harness, 'web.shop.localhost');
    expect(got.status).toBe(502);
    expect(got.text).toContain(`port <strong>${lease.port}</strong>`);
    expect(got.text).toContain('portlease run web');
  });

  it('answers 508 when a request comes back for a lease it already went to', async () => {
    await start();
    // The backend proxies every request to its own named URL.
    await up('loop', {}, (req, res) => {
      const again = request({ host: '127.0.0.1', port: harness.server.port, path: req.url, headers: req.headers, agent: false }, (answer) => {
        res.writeHead(answer.statusCode ?? 500, { 'x-inner': String(answer.statusCode) });
        answer.pipe(res);
      });
      again.end();
    });
    const got = await get(harness, 'loop.shop.localhost');
    expect(got.headers['x-inner']).toBe('508');
    expect(got.text).toContain('Loop detected');
  });

  it('refuses smuggling inputs and forwards none of them', async () => {
    await start();
    const web = await up('web');
    const host = `web.shop.localhost:${harness.server.port}`;
    const cases = [
      `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: ${host}\r\nX-A: b\r\n c\r\n\r\n`,
      `GET / HTTP/1.1\nHost: ${host}\n\n`,
      `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
      `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
      `POST / HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: identity\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: ${host}\r\nHost: ${host}\r\n\r\n`,
      `GET http://web.shop.localhost/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    ];
    for (const input of cases) {
      const reply = await raw(harness.server.port, input);
      // A 400/403, or a closed connection when Node's parser fails after the head.
      expect(reply, JSON.stringify(input)).toMatch(/^(HTTP\/1\.1 (400|403) |$)/);
    }
    expect(web.requests.length).toBe(0);
  });

  it('lets an in-flight request finish when its lease is released, then answers 404', async () => {
    await start();
    let release!: () => void;
    const waiting = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    await up('slow', {}, (_req, res) => {
      arrived();
      void waiting.then(() => res.end('late'));
    });
    const pending = get(harness, 'slow.shop.localhost');
    await arrival;
    await harness.registry.release('slow', { app: 'shop', instance: 'default' });
    release();
    expect((await pending).text).toBe('late');
    await eventually(async () => (await get(harness, 'slow.shop.localhost')).status === 404);
  });
});

describe('connections', () => {
  it('sends a second request on the same client connection with another Host to its own backend', async () => {
    await start();
    await up('web');
    await up('api', { path: '/api' });
    await up('v2', { path: '/v2' });
    const port = harness.server.port;
    const socket = connect(port, '127.0.0.1');
    const replies: string[] = [];
    let buffer = '';
    const oneReply = () =>
      new Promise<string>((resolve) => {
        const onData = (chunk: Buffer) => {
          buffer += chunk.toString('latin1');
          const end = buffer.indexOf('\r\n\r\n');
          if (end === -1) return;
          const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
          if (buffer.length < end + 4 + length) return;
          socket.off('data', onData);
          resolve(buffer.slice(end + 4, end + 4 + length));
          buffer = buffer.slice(end + 4 + length);
        };
        socket.on('data', onData);
      });
    for (const service of ['web', 'api', 'web', 'api']) {
      socket.write(`GET /${service} HTTP/1.1\r\nHost: ${service}.shop.localhost:${port}\r\n\r\n`);
      replies.push(await oneReply());
    }
    // And by path prefix on one origin: each request to the lease its own path names.
    for (const path of ['/v2/x', '/', '/v2', '/v2x']) {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: shop.localhost:${port}\r\n\r\n`);
      replies.push(await oneReply());
    }
    socket.destroy();
    expect(replies).toEqual(['web GET /web', 'api GET /api', 'web GET /web', 'api GET /api', 'v2 GET /v2/x', 'web GET /', 'v2 GET /v2', 'web GET /v2x']);
  });

  it('reuses backend connections and never opens more than the bound', async () => {
    await start();
    const web = await up('web');
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    for (let round = 0; round < 5; round++) {
      const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => get(harness, 'web.shop.localhost', `/${round}-${i}`, { agent })));
      expect(replies.every((reply) => reply.status === 200)).toBe(true);
    }
    agent.destroy();
    expect(web.requests.length).toBe(200);
    expect(web.connections.length).toBeLessThanOrEqual(8);

    // 200 concurrent requests to a backend that holds them: at most the bound at once.
    let held = 0;
    let releaseAll!: () => void;
    const gate = new Promise<void>((resolve) => (releaseAll = resolve));
    const slow = await up('slow', {}, (_req, res) => {
      held += 1;
      void gate.then(() => res.end('ok'));
    });
    const many = Promise.all(Array.from({ length: 200 }, () => get(harness, 'slow.shop.localhost')));
    await eventually(() => held >= BACKEND_MAX_SOCKETS);
    expect(slow.connections.length).toBe(BACKEND_MAX_SOCKETS);
    releaseAll();
    const done = await many;
    expect(done.every((reply) => reply.status === 200)).toBe(true);
    expect(slow.connections.length).toBe(BACKEND_MAX_SOCKETS);
  });

  it('tears the backend request down when the client disconnects mid-response', async () => {
    await start();
    let closed = 0;
    const web = await up('stream', {}, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 5);
      res.on('close', () => {
        clearInterval(timer);
        closed += 1;
      });
      req.resume();
    });
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: harness.server.port, path: '/', headers: { host: `stream.shop.localhost:${harness.server.port}` }, agent: false },
          (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', () => undefined);
        req.on('close', () => resolve());
        req.end();
        void reject;
      });
    }
    await eventually(() => closed === 5);
    await eventually(() => web.connections.every((socket) => socket.destroyed));
  });
});

describe('request kinds', () => {
  it('answers Expect: 100-continue itself and forwards the body; HEAD gets headers only', async () => {
    await start();
    const web = await up('web', {}, (req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        res.setHeader('content-type', 'text/plain');
        res.end(`${req.method} ${body} ${req.headers['expect'] ?? 'no-expect'}`);
      });
    });
    const reply = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: harness.server.port,
          method: 'POST',
          path: '/',
          agent: false,
          headers: { host: `web.shop.localhost:${harness.server.port}`, expect: '100-continue', 'content-length': '5' },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve(text));
        },
      );
      req.on('continue', () => req.end('hello'));
      req.on('error', reject);
    });
    expect(reply).toBe('POST hello no-expect');
    const head = await get(harness, 'web.shop.localhost', '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(web.requests.map((req) => req.method)).toEqual(['POST', 'HEAD']);
  });
});

describe('backend connection lifetime', () => {
  it('closes idle backend connections, but never a busy one that pauses', async () => {
    await start();
    const web = await up('pausing', {}, (_req, res) => {
      res.write('first ');
      // Longer than the idle timeout of backend connections: a busy one is not idle.
      setTimeout(() => res.end('second'), BACKEND_IDLE_TIMEOUT + 500);
    });
    expect((await get(harness, 'pausing.shop.localhost')).text).toBe('first second');
    // Now idle in the pool: closed once the idle timeout passes.
    await eventually(() => web.connections.length === 1 && web.connections[0]!.destroyed);
  });
});

/** The dashboard's event stream as text, until its first rows arrived (or 10 s passed). */
function firstEvents(port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const req = request({ host: '127.0.0.1', port, path: '/events', headers: { host: `127.0.0.1:${port}` }, agent: false }, (res) => {
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('"added"')) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', () => resolve(text));
    setTimeout(() => {
      req.destroy();
      resolve(text);
    }, 10_000).unref();
    req.end();
  });
}
