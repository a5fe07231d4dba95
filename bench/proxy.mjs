/**
 * The named-URL reverse proxy of `portlease serve` against the backend direct, a raw TCP
 * relay (the ceiling, below), http-proxy (with a keep-alive agent) and portless's proxy
 * (`portless proxy start --no-tls` with an `alias` route), in the same run: requests/s and
 * p50/p99 latency of small keep-alive GETs (10 and 50 connections) and of a 1 MiB response,
 * WebSocket echo round trips, the proxy's peak RSS and the most backend connections open at
 * once. Backend, each proxy and the load generator are separate processes; on a 2-core
 * machine they share the cores, so no user-space proxy reaches direct. The HTTP cells run
 * once per load generator (wrk when on PATH, autocannon always: lib/proxy-load.mjs), each
 * row naming its generator and the CPU the generator, the proxy and the backend used.
 *
 * Why the TCP relay (lib/proxy-relay.mjs: node:net, one backend connection per client
 * connection, no HTTP, the backend read into one reused buffer as portlease reads it): it does the least any Node proxy must do — read from one socket,
 * write to the other — and pays the same extra process hop, so it is the ceiling a Node
 * proxy can reach on this machine, measured in the same rounds as the others; portlease's
 * share of it tells its own HTTP work apart from what the hop costs anyway. It is not a
 * correct HTTP proxy: it pins a client connection to one backend, so a second keep-alive
 * request with another Host would be misrouted — exactly what portlease must not do.
 */
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { generators } from './lib/proxy-load.mjs';
import { startPortless } from './lib/proxy-portless.mjs';
import { connectionsOf, cpuOf, getJson, machineBusy, rssOf, start, stop, stopped } from './lib/proxy-procs.mjs';
import { report } from './lib/proxy-report.mjs';
import { summarize } from './lib/stats.mjs';

const lib = (name) => new URL(`./lib/${name}`, import.meta.url).pathname;

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
  const loaders = generators();
  const children = new Set();
  const notes = [];
  let backend;
  // A fresh backend drops every connection a proxy left open to it (portless leaves one per
  // request, ~20k, near the file limit): each portless block and the WebSocket echo start clean.
  const freshBackend = async () => {
    if (backend) {
      await stopped(backend);
      children.delete(backend);
    }
    backend = (await start(lib('proxy-backend.mjs'), [String(lease.port)])).child;
    children.add(backend);
  };
  try {
    await freshBackend();
    const portlease = await start(lib('proxy-portlease.mjs'), [dist, home]);
    children.add(portlease.child);
    const httpProxy = await start(lib('proxy-http-proxy.mjs'), [String(lease.port)]);
    children.add(httpProxy.child);
    const relay = await start(lib('proxy-relay.mjs'), [String(lease.port)]);
    children.add(relay.child);
    // `short` names a target in the report's comparison lines; `ceiling` marks the relay,
    // which the report compares portlease with rather than counts among the proxies.
    const targets = [
      { name: 'direct', short: 'direct', port: lease.port, host: `127.0.0.1:${lease.port}`, pid: undefined },
      {
        name: 'TCP relay (node:net pipes, no HTTP; a ceiling, not a proxy)',
        short: 'relay',
        ceiling: true,
        port: Number(relay.line),
        host: `127.0.0.1:${relay.line}`,
        pid: relay.child.pid,
      },
      { name: 'portlease serve', short: 'portlease', port: Number(portlease.line), host: `bench.bench.localhost:${portlease.line}`, pid: portlease.child.pid },
      {
        name: 'http-proxy (keep-alive agent)',
        short: 'http-proxy',
        port: Number(httpProxy.line),
        host: `127.0.0.1:${httpProxy.line}`,
        pid: httpProxy.child.pid,
      },
    ];
    try {
      const port = await getOsFreePort();
      const portless = await startPortless(ctx.root, await mkdtemp(join(ctx.home, 'portless-')), port, lease.port);
      children.add(portless.child);
      targets.push({ name: 'portless proxy (--no-tls, alias)', short: 'portless', port, host: portless.host, pid: portless.child.pid });
    } catch (error) {
      notes.push(`portless could not run here, so it is left out: ${error.message}.`);
    }

    const scenarios = [
      { name: 'small GET, 10 connections', path: '/', connections: 10 },
      { name: 'small GET, 50 connections', path: '/', connections: 50 },
      { name: '1 MiB GET, 10 connections', path: '/1mb', connections: 10 },
    ];
    const resources = new Map(targets.map((target) => [target.name, { rss: 0, sockets: Number.NaN, backendMax: 0, backendTotal: 0 }]));
    /** generator name → target name → per scenario, the cells of each round */
    const cells = new Map(loaders.map((loader) => [loader.name, new Map(targets.map((target) => [target.name, scenarios.map(() => [])]))]));
    const measure = async (loader, target, scenario, index) => {
      const entry = resources.get(target.name);
      // A proxy that wrecks the backend (portless leaves thousands of sockets open) makes
      // later calls fail: the cell says so instead of ending the whole module.
      await getJson(lease.port, '/__stats?reset').catch(() => {});
      let sampling = true;
      const sampler = (async () => {
        while (sampling && target.pid !== undefined) {
          // NaN once the process is gone (portless's proxy crashed in one run): keep the peak seen.
          const rss = await rssOf(target.pid);
          if (Number.isFinite(rss)) entry.rss = Math.max(entry.rss, rss);
          const open = await connectionsOf(target.pid, lease.port);
          if (Number.isFinite(open)) entry.sockets = Math.max(Number.isFinite(entry.sockets) ? entry.sockets : 0, open);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      const [proxyBefore, backendBefore, machineBefore, selfBefore] = [
        await cpuOf(target.pid),
        await cpuOf(backend.pid),
        await machineBusy(),
        process.cpuUsage(),
      ];
      const measured = await loader.load({ ...target, ...scenario, duration }).catch((error) => {
        notes.push(`${scenario.name} through ${target.name} with ${loader.name} failed: ${error.message}.`);
        return { rps: 0, p50: Number.NaN, p99: Number.NaN, bad: 'failed', cpu: Number.NaN, wall: duration };
      });
      const self = process.cpuUsage(selfBefore);
      measured.proxyCpu = (await cpuOf(target.pid)) - proxyBefore;
      measured.backendCpu = (await cpuOf(backend.pid)) - backendBefore;
      measured.selfCpu = (self.user + self.system) / 1e6;
      measured.machineCpu = (await machineBusy()) - machineBefore;
      sampling = false;
      await sampler;
      const stats = await getJson(lease.port, '/__stats').catch((error) => {
        notes.push(`backend statistics after ${scenario.name} through ${target.name} unavailable: ${error.message}.`);
        return { max: 0, total: 0 };
      });
      entry.backendMax = Math.max(entry.backendMax, stats.max);
      entry.backendTotal += stats.total;
      cells.get(loader.name).get(target.name)[index].push(measured);
    };
    // portless last and in one round per generator: it leaves a backend connection open per
    // request, which must not inflate the counts of the targets measured after it.
    const [interleaved, last] = [
      targets.filter((target) => !target.name.startsWith('portless')),
      targets.filter((target) => target.name.startsWith('portless')),
    ];
    for (let round = 0; round < rounds; round++) {
      for (const [index, scenario] of scenarios.entries()) {
        for (const loader of loaders) for (const target of interleaved) await measure(loader, target, scenario, index);
      }
    }
    for (const target of last) {
      for (const loader of loaders) {
        await freshBackend();
        for (const [index, scenario] of scenarios.entries()) await measure(loader, target, scenario, index);
      }
    }
    if (last.length > 0) await freshBackend();

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

    return report({ targets, loaders, scenarios, cells, resources, ws, notes, rounds, duration, echoes });
  } finally {
    for (const child of children) stop(child);
  }
}
