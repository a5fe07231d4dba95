/**
 * What the HTTP face costs over the library it wraps: one allocate + release cycle over
 * `POST /v1/allocations` and `DELETE /v1/allocations/{id}` (a fresh connection each: the
 * worst case, since Go's default client keeps connections alive) against `reserve()` +
 * `release()` in the same process, measured interleaved in the same run; plus
 * `GET /v1/allocations` against `list()`, and a burst of 50 parallel auto-assign POSTs
 * (all must be 201 with distinct ports); and the share of `GET /healthz` answered within
 * 1 s while 300 slow and idle sockets (lib/slowloris.mjs, its own process) press on the
 * connection cap of 256.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ms, ratio, summarize, table } from './lib/stats.mjs';

/** GET /healthz over a fresh connection: its time in ms, or `undefined` when it failed or took over `deadline`. */
function probe(port, deadline) {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', headers: { host: `127.0.0.1:${port}` }, agent: false, timeout: deadline }, (res) => {
      res.resume();
      res.on('end', () => {
        const elapsed = performance.now() - start;
        resolve(res.statusCode === 200 && elapsed <= deadline ? elapsed : undefined);
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Legitimate requests, two at a time, while a slowloris process holds `sockets` connections for `seconds`. */
async function underSlowloris(port, sockets, seconds) {
  const script = new URL('./lib/slowloris.mjs', import.meta.url);
  const child = spawn(process.execPath, [script.pathname, String(port), String(sockets), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  await iterator.next(); // 'ready': every socket is open
  await new Promise((resolve) => setTimeout(resolve, 500));
  const samples = [];
  let failed = 0;
  const until = performance.now() + (seconds - 1.5) * 1000;
  while (performance.now() < until) {
    for (const elapsed of await Promise.all([probe(port, 1000), probe(port, 1000)])) {
      if (elapsed === undefined) failed += 1;
      else samples.push(elapsed);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const last = await iterator.next();
  await once(child, 'exit');
  const { reconnects } = JSON.parse(last.value ?? '{"reconnects":0}');
  return { samples, failed, reconnects };
}

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

    const loris = await underSlowloris(port, 300, ctx.quick ? 6 : 12);
    const asked = loris.samples.length + loris.failed;
    const lorisStats = summarize(loris.samples);

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
      `Under slowloris (300 sockets from another process over the cap of 256: 150 trickling headers, 150 idle keep-alive, each closed one back after 200 ms): ` +
        `${loris.samples.length}/${asked} \`GET /healthz\` answered 200 within 1 s (${((100 * loris.samples.length) / Math.max(1, asked)).toFixed(1)}%), ` +
        `median ${ms(lorisStats.median)} ms, p99 ${ms(lorisStats.p99)} ms; the attackers were closed and came back ${loris.reconnects} times.`,
      '',
    ].join('\n');
  } finally {
    await server.close();
  }
}
