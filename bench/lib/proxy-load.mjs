/**
 * The load generators of the proxy benchmark, each measured for its own CPU time.
 *
 * wrk (C, epoll, one thread here) when it is on PATH, and autocannon (Node, in this very
 * process) always. On a 2-core machine the generator shares the cores with the backend and
 * the proxy: a generator that needs most of a core for itself starves the proxied case
 * (three busy processes) more than the direct one (two), so the proxy's ratio to direct
 * depends on the generator. Both run in the same run, in their own rows, with the CPU
 * each used per cell, so that the choice of generator is visible rather than hidden.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** The path of `name` on PATH, or undefined. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Milliseconds from a wrk duration such as `204.00us`, `1.49ms` or `2.01s`. */
function wrkMs(text) {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) return Number.NaN;
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2]];
  return Number(match[1]) * scale;
}

/**
 * Parses what `wrk --latency` prints: Requests/sec, the 50% and 99% lines of the latency
 * distribution, and the non-2xx/3xx and socket error counts (absent when zero).
 * @param {string} out
 */
export function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = wrkMs(/^\s*50%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const p99 = wrkMs(/^\s*99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { rps, p50, p99, bad: non2xx + errors };
}

/**
 * Seconds of CPU (user + system) of the shell's finished children, from what POSIX `times`
 * prints on its second line (`0m1.234s 0m0.567s`, in dash and bash alike).
 */
function childTimes(out) {
  const lines = out.trim().split('\n');
  const values = [...(lines.at(-1) ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return values.length === 2 ? values[0] + values[1] : Number.NaN;
}

/**
 * wrk, no Lua script: `wrk -t1 -c<n> -d<s>s --latency -H 'Host: …' URL`, one thread (the
 * machine has two cores to share). It runs under `sh -c '…; times'`, whose children's
 * times are wrk's exact CPU once it has exited (a child's /proc entry is gone by then).
 */
function wrkGenerator(bin) {
  return {
    name: 'wrk',
    async load({ port, host, path, connections, duration }) {
      const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', '-H', `Host: ${host}`, `http://127.0.0.1:${port}${path}`];
      const script = '"$0" "$@" && times';
      const begin = performance.now();
      const out = await new Promise((resolve, reject) =>
        execFile('sh', ['-c', script, bin, ...args], { timeout: (duration + 30) * 1000 }, (error, stdout, stderr) =>
          error ? reject(new Error(`wrk failed: ${(stderr || error.message).trim()}`)) : resolve(stdout),
        ),
      );
      const wall = (performance.now() - begin) / 1000;
      return { ...parseWrk(out), cpu: childTimes(out), wall };
    },
  };
}

/**
 * autocannon in this process; its CPU is this process's over the cell (process.cpuUsage),
 * which also holds the RSS/socket sampler of the cell — the wrk rows show what the sampler
 * alone costs. Its latencies have a resolution of 1 ms.
 */
const autocannonGenerator = {
  name: 'autocannon',
  async load({ port, host, path, connections, duration }) {
    const before = process.cpuUsage();
    const begin = performance.now();
    const result = await autocannon({ url: `http://127.0.0.1:${port}${path}`, headers: { host }, connections, duration, pipelining: 1 });
    const wall = (performance.now() - begin) / 1000;
    const used = process.cpuUsage(before);
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      bad: result.non2xx + result.errors + result.timeouts,
      cpu: (used.user + used.system) / 1e6,
      wall,
      // Its CPU is this process's: not to be counted twice.
      inProcess: true,
    };
  },
};

/**
 * The generators this machine has, lightest first: wrk when on PATH (optional:
 * `apt-get install wrk`, `brew install wrk`), then autocannon (a devDependency).
 * PROXY_BENCH_GENERATORS=autocannon (or wrk) keeps only the named ones.
 */
export function generators() {
  const wrk = onPath('wrk');
  const all = [...(wrk ? [wrkGenerator(wrk)] : []), autocannonGenerator];
  const wanted = process.env.PROXY_BENCH_GENERATORS?.split(',').map((name) => name.trim());
  return wanted ? all.filter((generator) => wanted.includes(generator.name)) : all;
}
