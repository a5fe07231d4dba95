/**
 * Start-up cost of the CLI: cold wall time of `portlease --version`, `portlease reserve x`
 * and friends, each a fresh `node` process, against `node -e 0` measured in the same run
 * (interleaved, so that machine noise hits every command alike). Targets (issue 13): median
 * ≤ 1.3× `node -e 0` for `reserve x` (a lease that exists) and `--help`, ≤ 1.5× for a new lease.
 *
 * "Cold" here means a new process per call, as in `PORT=$(npx portlease reserve web)`;
 * the OS file cache is warm (a few warm-up calls are not counted), and `npx` itself is not
 * measured (it resolves the package and adds its own, much larger, start-up).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ms, ratio, summarize, table } from './lib/stats.mjs';

const WARMUP = 3;

/** @param {{ home: string, root: string, dist?: string, runs: number }} ctx */
export async function run(ctx) {
  const dist = ctx.dist ?? join(ctx.root, 'dist');
  const bin = join(dist, 'cli', 'bin.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first`);
  const base = { ...process.env, PORTLEASE_HOME: ctx.home, PORTLEASE_APP: 'bench', NO_COLOR: '1' };
  // Node reads $NODE_EXTRA_CA_CERTS at every start (`node -e 0` included): here it adds
  // ~30 ms to every process, which would hide the CLI's own cost in the ratios. Targets are
  // judged without it, as on a machine that does not set it; with it, when set, as well.
  const { NODE_EXTRA_CA_CERTS: caCerts, ...clean } = base;
  const envs = [['without `NODE_EXTRA_CA_CERTS`', clean], ...(caCerts ? [['with `NODE_EXTRA_CA_CERTS` (as set on this machine)', base]] : [])];
  let fresh = 0;

  /** label → argv factory (called per run, so `reserve (new service)` gets a new name each time). */
  const cases = [
    ['`node -e 0` (baseline)', () => ['-e', '0']],
    ['`portlease --version`', () => [bin, '--version']],
    ['`portlease reserve x` (same service again)', () => [bin, 'reserve', 'x']],
    ['`portlease reserve x<n>` (new lease)', () => [bin, 'reserve', `x${fresh++}`]],
    ['`portlease get x`', () => [bin, 'get', 'x']],
    ['`portlease --help`', () => [bin, '--help']],
  ];

  const time = (args, env) => {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const elapsed = performance.now() - start;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return elapsed;
  };

  for (let i = 0; i < WARMUP; i++) for (const [, env] of envs) for (const [, argv] of cases) time(argv(), env);
  const samples = envs.map(() => cases.map(() => []));
  for (let i = 0; i < ctx.runs; i++) {
    for (const [e, [, env]] of envs.entries()) for (const [index, [, argv]] of cases.entries()) samples[e][index].push(time(argv(), env));
  }

  const sections = envs.map(([name], e) => {
    const stats = samples[e].map(summarize);
    const baseline = stats[0].median;
    const rows = cases.map(([label], index) => [
      label,
      ms(stats[index].median),
      ms(stats[index].p99),
      ms(stats[index].min),
      index === 0 ? '1.00×' : ratio(stats[index].median, baseline),
      index === 0 ? '' : `+${ms(stats[index].median - baseline)}`,
    ]);
    const verdict = (index, target) =>
      `${stats[index].median <= target * baseline ? '**meets**' : '**misses**'} ≤ ${target}× (${ratio(stats[index].median, baseline)})`;
    return [
      `### ${name}`,
      '',
      table(['command', 'median ms', 'p99 ms', 'min ms', 'ratio to node -e 0', 'ms over node -e 0'], rows),
      '',
      `Targets, median against \`node -e 0\`: \`reserve x\` ${verdict(2, 1.3)}, a new lease ${verdict(3, 1.5)}, \`--help\` ${verdict(5, 1.3)}.`,
      '',
    ].join('\n');
  });

  return [
    '## CLI start-up',
    '',
    `Cold wall time of one \`node dist/cli/bin.js …\` process per call (spawnSync, ${ctx.runs} runs per command, interleaved, ${WARMUP} warm-up rounds not counted), temp registry home. Ratio = median / median of \`node -e 0\` in the same run and environment. Node reads \`$NODE_EXTRA_CA_CERTS\` at every start when it is set (${caCerts ? 'it is on this machine: about 30 ms more for every process, `node -e 0` included, which lowers every ratio' : 'it is not set here'}); the targets are judged without it.`,
    '',
    ...sections,
    "The bin is CommonJS (no ESM loader at start); `--version` and `--help` load only the bin, the dispatcher and package.json (`--help` reads one table of summaries, no command module). A command's module and the library load when it is typed; the pid-file module (node:fs/promises) only for commands that show named URLs (`get`, `list`, `run`, `reserve --json`); the server, the YAML parser and the import code, and get-port only for `serve`, `import` and `free`; node:child_process, node:perf_hooks and node:tty not on Linux for these commands. Output goes to the file descriptor (fs.writeSync) until a stream is needed, so `reserve x` of a live lease loads neither node:net nor the stream modules; node:crypto by none of them (SHA-1 of names in JavaScript), and node:net by none on a probe: in the CLI's process a probe binds through the TCP handle net is built on (process.binding('tcp_wrap'), the same socket, flags, bind and listen), since net's listen() loads node:net, the stream modules and cluster, with child_process, dgram and dns (whose resolver reads /etc/resolv.conf).",
    '',
  ].join('\n');
}
