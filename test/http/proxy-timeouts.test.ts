/**
 * The proxy's limits in time: a backend that accepts and never answers gets the client a
 * 504 page, while a response that has begun and an open WebSocket are never cut; a client
 * that vanishes from a WebSocket closes the backend with 1001; a release reaches the
 * routing table through the registry watch.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { liveRoutes } from '../../src/http/live-routes.js';
import { findTarget } from '../../src/http/proxy.js';
import { watchRegistry } from '../../src/http/registry-watch.js';
import { resolvePaths } from '../../src/paths.js';
import type { Lease } from '../../src/types.js';
import { startServer, type Harness } from './helpers.js';
import { backend, eventually, get, type Backend } from './proxy-helpers.js';

/** Short, so that the test waits past it; the assertions are on behaviour, not on time. */
const RESPONSE_TIMEOUT = 300;

let harness: Harness;
const backends: Backend[] = [];
const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
  for (const wss of servers.splice(0)) {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
  await harness?.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('backend response timeout', () => {
  it('answers 504 naming the lease when the backend accepts and never answers, and the next request still works', async () => {
    harness = await startServer({ responseTimeout: RESPONSE_TIMEOUT });
    const silent = await backend(harness, 'silent', {}, (req, res) => {
      if (req.url === '/answer') res.end('answered');
    });
    backends.push(silent);
    const got = await get(harness, 'silent.shop.localhost', '/never');
    expect(got.status).toBe(504);
    expect(got.text).toContain(`port <strong>${silent.port}</strong>`);
    // The stuck backend connection was closed, not pooled: the next request gets a fresh one.
    await eventually(() => silent.connections[0]!.destroyed);
    expect((await get(harness, 'silent.shop.localhost', '/answer')).text).toBe('answered');
  });

  it('gives the response time only once the request body is sent: a long upload is not a stuck backend', async () => {
    harness = await startServer({ responseTimeout: RESPONSE_TIMEOUT });
    backends.push(
      await backend(harness, 'upload', {}, (req, res) => {
        let bytes = 0;
        req.on('data', (chunk: Buffer) => (bytes += chunk.length));
        req.on('end', () => res.end(String(bytes)));
      }),
    );
    const port = harness.server.port;
    const reply = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { host: `upload.shop.localhost:${port}` } }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
      });
      req.on('error', reject);
      let sent = 0;
      // Four times the response timeout in all, a chunk every half of it.
      const timer = setInterval(() => {
        req.write('x'.repeat(10));
        if (++sent === 8) {
          clearInterval(timer);
          req.end();
        }
      }, RESPONSE_TIMEOUT / 2);
    });
    expect(reply).toBe('200 80');
  });

  it('never cuts a response that has begun, however slowly it streams', async () => {
    harness = await startServer({ responseTimeout: RESPONSE_TIMEOUT });
    backends.push(
      await backend(harness, 'slow', {}, (_req, res) => {
        res.write('first ');
        let left = 3;
        const timer = setInterval(() => {
          left -= 1;
          if (left > 0) return void res.write('. ');
          clearInterval(timer);
          res.end('done');
        }, RESPONSE_TIMEOUT);
      }),
    );
    const got = await get(harness, 'slow.shop.localhost');
    expect([got.status, got.text]).toEqual([200, 'first . . done']);
  });
});

describe('WebSockets and time', () => {
  async function echo(service: string, onClose?: (code: number, reason: string) => void): Promise<void> {
    const lease = await harness.registry.reserve(service, { app: 'shop', instance: 'default', durable: true });
    const wss = new WebSocketServer({ port: lease.port, host: '127.0.0.1' });
    servers.push(wss);
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
      socket.on('close', (code, reason) => onClose?.(code, reason.toString()));
    });
  }

  function open(service: string): Promise<WebSocket> {
    const port = harness.server.port;
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: `${service}.shop.localhost:${port}` } });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  it('keeps an idle WebSocket open past the response timeout', async () => {
    harness = await startServer({ responseTimeout: RESPONSE_TIMEOUT, timeout: RESPONSE_TIMEOUT });
    await echo('idle');
    const socket = await open('idle');
    await pause(RESPONSE_TIMEOUT * 4);
    const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('still there');
    expect(await reply).toBe('still there');
    socket.close();
  });

  it('closes the backend with 1001 when the client vanishes without a close frame', async () => {
    harness = await startServer();
    let closed!: (value: [number, string]) => void;
    const backendSaw = new Promise<[number, string]>((resolve) => (closed = resolve));
    await echo('vanish', (code, reason) => closed([code, reason]));
    const socket = await open('vanish');
    socket.terminate();
    expect(await backendSaw).toEqual([1001, 'client went away']);
  });
});

describe('routes after a release', () => {
  it('drops the cached table when the registry changes', async () => {
    harness = await startServer();
    const lease = await harness.registry.reserve('web', { app: 'shop', instance: 'default', durable: true });
    let changes = 0;
    const watch = watchRegistry(resolvePaths(harness.home), () => (changes += 1));
    try {
      await harness.registry.release(lease.id);
      await eventually(() => changes > 0);
    } finally {
      watch.close();
    }
  });

  it('never caches a table read before an invalidation', async () => {
    let finish!: (leases: Lease[]) => void;
    let reads = 0;
    const routes = liveRoutes(
      () =>
        new Promise<Lease[]>((resolve) => {
          reads += 1;
          finish = resolve;
        }),
      60_000,
    );
    const first = routes.get();
    // The registry changed while that read was under way: its result may answer its callers, but not be kept.
    routes.invalidate();
    finish([]);
    await first;
    expect(routes.current()).toBeUndefined();
    const second = routes.get();
    finish([]);
    await second;
    expect(routes.current()).toBeDefined();
    expect(reads).toBe(2);
  });

  it('reads the registry once for many requests that find the table stale, and once for many unknown names', async () => {
    let reads = 0;
    let clock = 0;
    const lease = {
      id: 1,
      port: 20001,
      app: 'shop',
      instance: 'default',
      service: 'web',
      label: null,
      owner: null,
      expiresAt: null,
      createdAt: '2026-01-01T00:00:00Z',
    };
    const routes = liveRoutes(
      async () => {
        reads += 1;
        return [lease as unknown as Lease];
      },
      250,
      () => clock,
    );
    const context = { routes, port: 51234 } as unknown as Parameters<typeof findTarget>[2];
    const ask = (labels: string[]) =>
      new Promise<string>((resolve) =>
        findTarget(labels, { target: '/', host: 'x', route: undefined }, context, (_error, target) => resolve(target && 'lease' in target ? 'lease' : 'page')),
      );
    expect(await ask(['web', 'shop'])).toBe('lease');
    clock += 300;
    expect(await Promise.all(Array.from({ length: 50 }, () => ask(['web', 'shop'])))).toEqual(Array(50).fill('lease'));
    expect(reads).toBe(2);
    expect(await Promise.all(Array.from({ length: 50 }, () => ask(['nope', 'shop'])))).toEqual(Array(50).fill('page'));
    expect(reads).toBe(3);
  });

  it('routes a request made after a release to the 404 page, not to the released port', async () => {
    harness = await startServer();
    const web = await backend(harness, 'web');
    backends.push(web);
    expect((await get(harness, 'web.shop.localhost')).status).toBe(200);
    await harness.registry.release('web', { app: 'shop', instance: 'default' });
    await eventually(async () => (await get(harness, 'web.shop.localhost')).status === 404);
    expect(web.requests.length).toBeGreaterThanOrEqual(1);
  });
});
