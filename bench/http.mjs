/**
 * What the HTTP face costs over the library it wraps: one allocate + release cycle over
 * `POST /v1/allocations` and `DELETE /v1/allocations/{id}` (a fresh connection each: the
 * worst case, since Go's default client keeps connections alive) against `reserve()` +
 * `release()` in the same process, measured interleaved in the same run; plus
 * `GET /v1/allocations` against `list()`, and a burst of 50 parallel auto-assign POSTs
 * (all must be 201 with distinct ports).
 */
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ms, ratio, summarize, table } from './lib/stats.mjs';

function call(port, method, path, body) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = { host: `127.0.0.1:${port}` };
  if (text !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let data = '';
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** @param {{ home: string, root: string, dist?: string, runs: number, quick?: boolean }} ctx */
export async function run(ctx) {
  const dist = ctx.dist ?? join(ctx.root, 'dist');
  const { serve } = await import(pathToFileURL(join(dist, 'http.js')).href);
  const { openRegistry } = await import(pathToFileURL(join(dist, 'index.js')).href);
  const home = await mkdtemp(join(ctx.home, 'http-'));
  const registry = openRegistry({ home });
  const server = await serve({ port: 0, home });
  const { port } = server;
  const cycles = Math.max(10, ctx.runs * 4);

  try {
    const http = [];
    const lib = [];
    const httpList = [];
    const libList = [];
    for (let i = 0; i < 5; i++) {
      const res = await call(port, 'POST', '/v1/allocations', { app: 'bench', instance: 'main', service: `warm${i}` });
      await call(port, 'DELETE', `/v1/allocations/${res.json.id}`);
    }
    for (let i = 0; i < cycles; i++) {
      http.push(
        await timed(async () => {
          const res = await call(port, 'POST', '/v1/allocations', { app: 'bench', instance: 'main', service: `h${i}` });
          if (res.status !== 201) throw new Error(`POST answered ${res.status}`);
          await call(port, 'DELETE', `/v1/allocations/${res.json.id}`);
        }),
      );
      lib.push(
        await timed(async () => {
          const lease = await registry.reserve(`l${i}`, { app: 'bench', instance: 'main', durable: true });
          await registry.release(lease);
        }),
      );
      httpList.push(await timed(() => call(port, 'GET', '/v1/allocations')));
      libList.push(await timed(() => registry.list()));
    }

    const burstStart = performance.now();
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(port, 'POST', '/v1/allocations', { app: 'bench', instance: 'burst', service: `b${i}` })),
    );
    const burst = performance.now() - burstStart;
    const created = replies.filter((reply) => reply.status === 201).length;
    const distinct = new Set(replies.map((reply) => reply.json.port)).size;

    const rows = [
      ['allocate + release', 'HTTP POST + DELETE', http],
      ['allocate + release', '`reserve()` + `release()` (baseline)', lib],
      ['list', 'HTTP GET /v1/allocations', httpList],
      ['list', '`list()` (baseline)', libList],
    ].map(([what, how, samples]) => {
      const stats = summarize(samples);
      return [what, how, stats.n, ms(stats.median), ms(stats.p99)];
    });
    const overhead = ratio(summarize(http).median, summarize(lib).median);
    const listOverhead = ratio(summarize(httpList).median, summarize(libList).median);

    return [
      '## HTTP server (`portlease serve`)',
      '',
      'One server on 127.0.0.1, a fresh TCP connection per request (the worst case), a temp registry.',
      'Baselines are the library calls the routes make, in the same process, interleaved with the HTTP runs.',
      '',
      table(['operation', 'how', 'n', 'median ms', 'p99 ms'], rows),
      '',
      `HTTP over library, median: allocate + release ${overhead}, list ${listOverhead}.`,
      '',
      `50 parallel auto-assign POSTs: ${ms(burst)} ms in all, ${created}/50 answered 201, ${distinct} distinct ports.`,
      '',
    ].join('\n');
  } finally {
    await server.close();
  }
}
