/**
 * The dashboard's HTTP side, over a real server and temp homes: the page and its headers,
 * the Host rules, the event stream (snapshot, then diffs), the feed shared by many
 * streams, and the actions' refusals (403, registry unchanged).
 */
import { writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/paths.js';
import { createFeed, type FeedEvent } from '../../src/http/dashboard/feed.js';
import { MAX_STREAMS } from '../../src/http/dashboard/index.js';
import { call, registryBytes, startServer, type Harness } from './helpers.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: Parameters<typeof startServer>[0] = {}): Promise<Harness> {
  harness = await startServer(options);
  return harness;
}

const tokenOf = (page: string) => /name="portlease-token" content="([\w-]+)"/.exec(page)![1]!;

/** An action as the dashboard page sends it; `headers` override or remove ('') any of them. */
function action(h: Harness, path: string, body: unknown, token: string, headers: Record<string, string> = {}) {
  const origin = `http://127.0.0.1:${h.server.port}`;
  return call(h.server, 'POST', path, { body, headers: { origin, 'sec-fetch-site': 'same-origin', 'x-portlease-token': token, ...headers } });
}

type Sse = { event: string; data: any };

/** Opens `GET /events`; `seen` fills with the events as they arrive. */
function events(h: Harness): { seen: Sse[]; close(): void } {
  const seen: Sse[] = [];
  let response: IncomingMessage | undefined;
  const req = request({ host: '127.0.0.1', port: h.server.port, path: '/events', headers: { host: `127.0.0.1:${h.server.port}` }, agent: false });
  let buffer = '';
  req.on('response', (res) => {
    response = res;
    res.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) seen.push({ event, data: JSON.parse(data) });
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return {
    seen,
    close: () => {
      response?.destroy();
      req.destroy();
    },
  };
}

const added = (seen: Sse[], id: number) => seen.some((entry) => entry.event === 'diff' && entry.data.added.some((row: { id: number }) => row.id === id));
const removed = (seen: Sse[], id: number) => seen.some((entry) => entry.event === 'diff' && entry.data.removed.includes(id));

describe('GET /', () => {
  it('serves one self-contained page under 50 KB with a strict CSP', async () => {
    const h = await start();
    const page = await call(h.server, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(Buffer.byteLength(page.text)).toBeLessThanOrEqual(50 * 1024);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[\w+/=]+'(;|$)/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    // Nothing is loaded from anywhere: no src or href to another host.
    expect(page.text).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(tokenOf(page.text).length).toBeGreaterThanOrEqual(40);
    console.log(`[dashboard] page size ${Buffer.byteLength(page.text)} bytes`);
  });

  it('answers loopback Hosts only, like /v1', async () => {
    const h = await start();
    for (const host of ['evil.example', `evil.example:${h.server.port}`, `localhost.evil.example:${h.server.port}`]) {
      const refused = await call(h.server, 'GET', '/', { headers: { host } });
      expect(refused.status).toBe(403);
      expect(refused.text).not.toContain('portlease-token');
      expect((await call(h.server, 'GET', '/events', { headers: { host } })).status).toBe(403);
    }
    expect((await call(h.server, 'GET', '/', { headers: { host: `localhost:${h.server.port}` } })).status).toBe(200);
  });

  it('answers HEAD, refuses other methods with 405 and no CORS', async () => {
    const h = await start();
    expect((await call(h.server, 'HEAD', '/')).status).toBe(200);
    const post = await call(h.server, 'POST', '/', { body: {} });
    expect(post.status).toBe(405);
    const preflight = await call(h.server, 'OPTIONS', '/dashboard/release', {
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('keeps /v1 working next to it', async () => {
    const h = await start();
    expect((await call(h.server, 'GET', '/v1/allocations')).json).toEqual([]);
  });
});

describe('GET /events', () => {
  it('sends a snapshot, then a diff for each change made by another writer', async () => {
    const h = await start();
    const kept = await h.registry.reserve('db', { app: 'shop', instance: 'main', durable: true });
    const stream = events(h);
    await expect.poll(() => stream.seen.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const [snapshot] = stream.seen;
    expect(snapshot!.event).toBe('snapshot');
    expect(snapshot!.data.rows.map((row: { id: number }) => row.id)).toEqual([kept.id]);
    const web = await h.registry.reserve('web', { app: 'shop', instance: 'main', durable: true });
    await expect.poll(() => added(stream.seen, web.id), { timeout: 20_000 }).toBe(true);
    const diff = stream.seen.find((entry) => entry.event === 'diff')!;
    expect(diff.data).toMatchObject({ added: [{ id: web.id, service: 'web', kind: 'durable', state: 'live', owner: null }], changed: [], removed: [] });
    await h.registry.release(web.id);
    await expect.poll(() => removed(stream.seen, web.id), { timeout: 20_000 }).toBe(true);
    // Diffs only: the unchanged lease is never sent again.
    for (const entry of stream.seen.slice(1)) expect(JSON.stringify(entry.data)).not.toContain(`"id":${kept.id},`);
    stream.close();
  });

  it('serves 100 streams from one registry read per change', async () => {
    const h = await start();
    await h.registry.reserve('db', { app: 'shop', instance: 'main', durable: true });
    const feed = createFeed({ paths: resolvePaths(h.home) });
    const got: FeedEvent[][] = [];
    const subscriptions = await Promise.all(
      Array.from({ length: 100 }, (_, index) => {
        got[index] = [];
        return feed.subscribe((event) => got[index]!.push(event));
      }),
    );
    const before = feed.reads;
    await h.registry.reserve('web', { app: 'shop', instance: 'main', durable: true });
    await expect.poll(() => got.every((events) => events.some((event) => event.type === 'diff')), { timeout: 20_000 }).toBe(true);
    // Let the fallback timer run at least once more: it must not read an unchanged revision.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(feed.reads - before).toBe(1);
    for (const subscription of subscriptions) subscription.close();
    feed.close();
  });

  it('fans one change out to 100 open event streams', async () => {
    const h = await start();
    const streams = Array.from({ length: 100 }, () => events(h));
    await expect.poll(() => streams.every((stream) => stream.seen.length > 0), { timeout: 20_000 }).toBe(true);
    const { id } = await h.registry.reserve('web', { app: 'shop', instance: 'main', durable: true });
    await expect.poll(() => streams.every((stream) => added(stream.seen, id)), { timeout: 20_000 }).toBe(true);
    for (const stream of streams) stream.close();
  });
});

describe('GET /events, over time', () => {
  it('outlives the request timeout: a stream is an answer, not a slow request', async () => {
    const h = await start({ timeout: 300 });
    const stream = events(h);
    await expect.poll(() => stream.seen.length, { timeout: 20_000 }).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { id } = await h.registry.reserve('web', { app: 'shop', instance: 'main', durable: true });
    await expect.poll(() => added(stream.seen, id), { timeout: 20_000 }).toBe(true);
    stream.close();
  });

  it('says when the registry cannot be read, and keeps the last rows', async () => {
    const h = await start();
    const lease = await h.registry.reserve('web', { app: 'shop', instance: 'main', durable: true });
    const stream = events(h);
    await expect.poll(() => stream.seen.length, { timeout: 20_000 }).toBeGreaterThan(0);
    // A revision from a newer portlease: refused for reading, never guessed at.
    const future = { schema: 99, rev: 99, nextId: 1, leases: [], sticky: [] };
    writeFileSync(join(h.home, 'registry', 'rev-000000000099.json'), JSON.stringify(future), { mode: 0o600 });
    await expect.poll(() => stream.seen.find((entry) => entry.event === 'problem')?.data.message, { timeout: 20_000 }).toMatch(/newer portlease/);
    expect(removed(stream.seen, lease.id)).toBe(false);
    stream.close();
  });

  it(`keeps room for /v1 clients: past ${MAX_STREAMS} open streams, 503`, async () => {
    const h = await start();
    const streams = Array.from({ length: MAX_STREAMS }, () => events(h));
    await expect.poll(() => streams.every((stream) => stream.seen.length > 0), { timeout: 30_000 }).toBe(true);
    const refused = await call(h.server, 'GET', '/events');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect((await call(h.server, 'GET', '/v1/allocations')).status).toBe(200);
    for (const stream of streams) stream.close();
  });
});

describe('actions', () => {
  it('release with the token from the page, same origin: the lease goes', async () => {
    const h = await start();
    const lease = await h.registry.reserve('web', { app: 'shop', instance: 'main', durable: true });
    const token = tokenOf((await call(h.server, 'GET', '/')).text);
    const reply = await action(h, '/dashboard/release', { id: lease.id }, token);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ released: 1 });
    expect(await h.registry.list()).toEqual([]);
    expect((await action(h, '/dashboard/release', { id: lease.id }, token)).status).toBe(404);
    expect((await action(h, '/dashboard/release', { id: 'x' }, token)).status).toBe(400);
  });

  it('prune removes expired leases', async () => {
    const h = await start();
    const lease = await h.registry.reserve({ app: 'shop', instance: 'main', label: 'short', ttl: '1s', owner: false });
    const token = tokenOf((await call(h.server, 'GET', '/')).text);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const reply = await action(h, '/dashboard/prune', {}, token);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ pruned: [lease.id] });
  });

  it.each([
    ['no token', { 'x-portlease-token': '' }],
    ['a wrong token', { 'x-portlease-token': 'A'.repeat(43) }],
    ['no Origin', { origin: '' }],
    ['another port of localhost as Origin', { origin: 'http://127.0.0.1:3000' }],
    ['another site as Origin', { origin: 'https://evil.example' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ['a text/plain body', { 'content-type': 'text/plain' }],
    ['a foreign Host', { host: 'evil.example' }],
  ])('refuses a release with %s: 403, registry unchanged', async (_name, headers) => {
    const h = await start();
    const lease = await h.registry.reserve('web', { app: 'shop', instance: 'main', durable: true });
    const token = tokenOf((await call(h.server, 'GET', '/')).text);
    const before = await registryBytes(h.registry);
    for (const path of ['/dashboard/release', '/dashboard/prune']) {
      const reply = await action(h, path, { id: lease.id }, token, headers);
      expect(reply.status).toBe(403);
      expect(reply.json.error).toMatch(/^forbidden/);
    }
    expect(await registryBytes(h.registry)).toBe(before);
  });

  it('each server has its own token', async () => {
    const h = await start();
    const other = await startServer();
    try {
      const lease = await h.registry.reserve('web', { app: 'shop', instance: 'main', durable: true });
      const foreign = tokenOf((await call(other.server, 'GET', '/')).text);
      expect(foreign).not.toBe(tokenOf((await call(h.server, 'GET', '/')).text));
      expect((await action(h, '/dashboard/release', { id: lease.id }, foreign)).status).toBe(403);
    } finally {
      await other.close();
    }
  });
});
