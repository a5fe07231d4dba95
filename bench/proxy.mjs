/**
 * The named-URL reverse proxy of `portlease serve` against the backend direct, http-proxy
 * (with a keep-alive agent) and portless's proxy (`portless proxy start --no-tls` with an
 * `alias` route), in the same run: requests/s and p50/p99 latency of small keep-alive GETs
 * (10 and 50 connections) and of a 1 MiB response (autocannon), WebSocket echo round trips,
 * the proxy's peak RSS and the most backend connections open at once. Backend, each proxy
 * and the load generator are separate processes; on a 2-core machine they share the
 * cores, so no user-space proxy reaches direct.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { WebSocket } from 'ws';
import { int, ms, ratio, summarize, table } from './lib/stats.mjs';

const lib = (name) => new URL(`./lib/${name}`, import.meta.url).pathname;

/** Starts `node <script> …args`; resolves with the child and its first stdout line. */
async function start(script, args, env = process.env) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([once(lines, 'line'), once(child, 'exit').then(([code]) => Promise.reject(new Error(`${script} exited with ${code}`)))]);
  return { child, line };
}

function stop(child) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

/** VmRSS of a process in bytes (Linux), or NaN. */
async function rssOf(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * Connections process `pid` holds open to `port` (ss), or NaN where ss is missing: counted
 * at the proxy, because the backend's own count also holds the idle pooled connections of
 * the proxy measured just before (the targets are interleaved).
 */
function connectionsOf(pid, port) {
  return new Promise((resolve) => {
    execFile('ss', ['-Htnp', 'state', 'established', `( dport = :${port} )`], { maxBuffer: 64 * 1024 ** 2 }, (error, stdout) => {
      resolve(error ? Number.NaN : stdout.split('\n').filter((line) => line.includes(`pid=${pid},`)).length);
    });
  });
}

function getJson(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/**
 * portless's proxy, sandboxed: its state in a temp directory (PORTLESS_STATE_DIR and HOME),
 * plain HTTP (`--no-tls`: no certificate authority, nothing added to a trust store), no
 * /etc/hosts sync, on an OS-chosen port. Resolves with the child and the Host to send, or
 * throws why it cannot run here.
 */
async function startPortless(root, tmp, port, backendPort) {
  // Its exports map names no entry a require can resolve: find the bin by path.
  const cli = join(root, 'node_modules', 'portless', 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error('portless is not installed (npm install)');
  const env = { ...process.env, HOME: tmp, PORTLESS_STATE_DIR: join(tmp, 'state'), PORTLESS_SYNC_HOSTS: '0' };
  const child = spawn(process.execPath, [cli, 'proxy', 'start', '--no-tls', '--port', String(port), '--foreground'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    await waitForPort(port);
    await new Promise((resolve, reject) =>
      execFile(process.execPath, [cli, 'alias', 'bench', String(backendPort)], { env, timeout: 20_000 }, (error, _out, err) =>
        error ? reject(new Error(`portless alias failed: ${err || error.message}`)) : resolve(),
      ),
    );
  } catch (error) {
    stop(child);
    throw new Error(`${error.message}${stderr ? ` (${stderr.trim().split('\n').pop()})` : ''}`);
  }
  return { child, host: `bench.localhost:${port}` };
}

async function load(port, host, path, connections, duration) {
  const result = await autocannon({ url: `http://127.0.0.1:${port}${path}`, headers: { host }, connections, duration, pipelining: 1 });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, bad: result.non2xx + result.errors + result.timeouts };
}

async function echoRoundTrips(port, host, count) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host } });
  await once(socket, 'open');
  const samples = [];
  const message = Buffer.alloc(32, 'x');
  for (let i = 0; i < count; i++) {
    const begin = performance.now();
    socket.send(message);
    await once(socket, 'message');
    samples.push(performance.now() - begin);
  }
  socket.close();
  return samples;
}

/** @param {{ home: string, root: string, dist?: string, runs: number, quick?: boolean }} ctx */
export async function run(ctx) {
  const dist = ctx.dist ?? join(ctx.root, 'dist');
  const { openRegistry, getOsFreePort } = await import(pathToFileURL(join(dist, 'index.js')).href);
  const home = await mkdtemp(join(ctx.home, 'proxy-'));
  const lease = await openRegistry({ home }).reserve('bench', { app: 'bench', instance: 'default', durable: true });
  // Several short rounds, the targets interleaved in each, rather than one long cell per
  // target: on a shared machine the load moves between cells, and a ratio taken within a
  // round (portlease and direct seconds apart) is what compares.
  const duration = ctx.quick ? 2 : 4;
  const rounds = ctx.quick ? 1 : 3;
  const echoes = ctx.quick ? 300 : 3000;
  const children = [];
  const notes = [];
  try {
    const backend = await start(lib('proxy-backend.mjs'), [String(lease.port)]);
    children.push(backend.child);
    const portlease = await start(lib('proxy-portlease.mjs'), [dist, home]);
    children.push(portlease.child);
    const httpProxy = await start(lib('proxy-http-proxy.mjs'), [String(lease.port)]);
    children.push(httpProxy.child);
    const targets = [
      { name: 'direct', port: lease.port, host: `127.0.0.1:${lease.port}`, pid: undefined },
      { name: 'portlease serve', port: Number(portlease.line), host: `bench.bench.localhost:${portlease.line}`, pid: portlease.child.pid },
      { name: 'http-proxy (keep-alive agent)', port: Number(httpProxy.line), host: `127.0.0.1:${httpProxy.line}`, pid: httpProxy.child.pid },
    ];
    try {
      const port = await getOsFreePort();
      const portless = await startPortless(ctx.root, await mkdtemp(join(ctx.home, 'portless-')), port, lease.port);
      children.push(portless.child);
      targets.push({ name: 'portless proxy (--no-tls, alias)', port, host: portless.host, pid: portless.child.pid });
    } catch (error) {
      notes.push(`portless could not run here, so it is left out: ${error.message}.`);
    }

    const scenarios = [
      { name: 'small GET, 10 connections', path: '/', connections: 10 },
      { name: 'small GET, 50 connections', path: '/', connections: 50 },
      { name: '1 MiB GET, 10 connections', path: '/1mb', connections: 10 },
    ];
    const results = new Map(
      targets.map((target) => [target.name, { rss: 0, sockets: Number.NaN, backendMax: 0, backendTotal: 0, runs: scenarios.map(() => []) }]),
    );
    const measure = async (target, scenario, index) => {
      const entry = results.get(target.name);
      // A proxy that wrecks the backend (portless leaves thousands of sockets open) makes
      // later calls fail: the cell says so instead of ending the whole module.
      await getJson(lease.port, '/__stats?reset').catch(() => {});
      let sampling = true;
      const sampler = (async () => {
        while (sampling && target.pid !== undefined) {
          entry.rss = Math.max(entry.rss, await rssOf(target.pid));
          const open = await connectionsOf(target.pid, lease.port);
          if (Number.isFinite(open)) entry.sockets = Math.max(Number.isFinite(entry.sockets) ? entry.sockets : 0, open);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      const measured = await load(target.port, target.host, scenario.path, scenario.connections, duration).catch((error) => {
        notes.push(`${scenario.name} through ${target.name} failed: ${error.message}.`);
        return { rps: 0, p50: Number.NaN, p99: Number.NaN, bad: 'failed' };
      });
      sampling = false;
      await sampler;
      const stats = await getJson(lease.port, '/__stats').catch((error) => {
        notes.push(`backend statistics after ${scenario.name} through ${target.name} unavailable: ${error.message}.`);
        return { max: 0, total: 0 };
      });
      entry.backendMax = Math.max(entry.backendMax, stats.max);
      entry.backendTotal += stats.total;
      entry.runs[index].push(measured);
    };
    // portless last and in one round: it leaves a backend connection open per request, which
    // must not inflate the counts of the targets measured after it.
    const [interleaved, last] = [
      targets.filter((target) => !target.name.startsWith('portless')),
      targets.filter((target) => target.name.startsWith('portless')),
    ];
    for (let round = 0; round < rounds; round++) {
      for (const [index, scenario] of scenarios.entries()) for (const target of interleaved) await measure(target, scenario, index);
    }
    for (const target of last) for (const [index, scenario] of scenarios.entries()) await measure(target, scenario, index);

    // WebSocket echo: a warm-up, then the round trips split over the rounds, targets interleaved.
    const ws = new Map();
    const samples = new Map();
    for (let round = -1; round < rounds; round++) {
      for (const target of targets) {
        if (round >= 0 && !samples.has(target.name)) continue; // failed in the warm-up
        try {
          const got = await echoRoundTrips(target.port, target.host, round < 0 ? 200 : Math.ceil(echoes / rounds));
          if (round >= 0) samples.get(target.name).push(...got);
          else samples.set(target.name, []);
        } catch (error) {
          notes.push(`WebSocket echo through ${target.name} failed: ${error.message}.`);
          samples.delete(target.name);
        }
      }
    }
    for (const [name, list] of samples) ws.set(name, summarize(list));

    // A cell is its median round; a ratio is the median of the ratios within each round
    // (portless, measured in one round of its own, against direct's median round).
    const median = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];
    const cell = (name, index) => {
      const runs = results.get(name).runs[index];
      return [...runs].sort((x, y) => x.rps - y.rps)[runs.length >> 1];
    };
    const within = (name, base, index) => {
      const [mine, theirs] = [results.get(name).runs[index], results.get(base).runs[index]];
      if (mine.length !== theirs.length) return ratio(cell(name, index).rps, cell(base, index).rps);
      return ratio(median(mine.map((run, round) => run.rps / theirs[round].rps)), 1);
    };
    const rows = [];
    scenarios.forEach((scenario, index) => {
      for (const target of targets) {
        const run = cell(target.name, index);
        rows.push([scenario.name, target.name, int(run.rps), ms(run.p50), ms(run.p99), within(target.name, 'direct', index), run.bad]);
      }
    });
    const versus = scenarios.map((scenario, index) => {
      const parts = targets
        .filter((target) => target.name !== 'portlease serve' && target.name !== 'direct')
        .map((target) => `${within('portlease serve', target.name, index)} ${target.name.split(' ')[0]}`);
      return `- ${scenario.name}: portlease ${within('portlease serve', 'direct', index)} of direct; ${parts.join(', ')}`;
    });
    const wsRows = targets
      .filter((target) => ws.has(target.name))
      .map((target) => {
        const stats = ws.get(target.name);
        return [target.name, stats.n, ms(stats.median), ms(stats.p99), ratio(stats.median, ws.get('direct')?.median)];
      });
    const resources = targets
      .filter((target) => target.pid !== undefined)
      .map((target) => {
        const entry = results.get(target.name);
        return [
          target.name,
          `${(entry.rss / 1024 ** 2).toFixed(0)} MiB`,
          Number.isFinite(entry.sockets) ? entry.sockets : `${entry.backendMax} (backend's count)`,
          int(entry.backendTotal),
        ];
      });

    return [
      '## Named-URL reverse proxy (`portlease serve`)',
      '',
      `Backend, each proxy and autocannon in separate processes on this machine; ${rounds} round(s) of ${duration} s per cell, pipelining 1; in each round every scenario runs through direct, portlease and http-proxy one after another, and a cell shows its median round; "of direct" and the comparisons are medians of the ratios within a round. portless runs last, in one round (it leaves a backend connection open per request).`,
      '',
      table(['scenario', 'through', 'req/s', 'p50 ms', 'p99 ms', 'of direct', 'errors'], rows),
      '',
      'portlease throughput against the others, same run:',
      ...versus,
      '',
      `WebSocket echo, ${echoes} sequential round trips of 32 bytes, after 200 not counted, split over ${rounds} round(s) with the targets interleaved (one connection per target and round):`,
      '',
      table(['through', 'n', 'median ms', 'p99 ms', 'median over direct'], wsRows),
      '',
      'Proxy peak RSS and backend connections (most the proxy held open at once, sampled every 200 ms with ss during the HTTP cells; all the backend accepted while that proxy was measured):',
      '',
      table(['proxy', 'peak RSS', 'max backend connections open', 'backend connections accepted'], resources),
      '',
      ...notes.map((note) => `Note: ${note}`),
      '',
    ].join('\n');
  } finally {
    for (const child of children) stop(child);
  }
}
