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
  const env = { ...process.env, PORTLEASE_HOME: ctx.home, PORTLEASE_APP: 'bench', NO_COLOR: '1' };
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

  const time = (args) => {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const elapsed = performance.now() - start;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return elapsed;
  };

  for (let i = 0; i < WARMUP; i++) for (const [, argv] of cases) time(argv());
  const samples = cases.map(() => []);
  for (let i = 0; i < ctx.runs; i++) {
    for (const [index, [, argv]] of cases.entries()) samples[index].push(time(argv()));
  }

  const stats = samples.map(summarize);
  const baseline = stats[0].median;
  const rows = cases.map(([label], index) => [
    label,
    ms(stats[index].median),
    ms(stats[index].p99),
    ms(stats[index].min),
    index === 0 ? '1.00×' : ratio(stats[index].median, baseline),
  ]);
  const verdict = (index, target) => `${stats[index].median <= target * baseline ? 'meets' : 'misses'} ≤ ${target}× (${ratio(stats[index].median, baseline)})`;

  return [
    '## CLI start-up',
    '',
    `Cold wall time of one \`node dist/cli/bin.js …\` process per call (spawnSync, ${ctx.runs} runs per command, interleaved, ${WARMUP} warm-up rounds not counted), temp registry home. Ratio = median / median of \`node -e 0\` in the same run.`,
    '',
    table(['command', 'median ms', 'p99 ms', 'min ms', 'ratio to node -e 0'], rows),
    '',
    `Targets, median against \`node -e 0\`: \`reserve x\` ${verdict(2, 1.3)}, a new lease ${verdict(3, 1.5)}, \`--help\` ${verdict(5, 1.3)}. The bin is CommonJS (no ESM loader at start); \`--version\` and \`--help\` load only the bin, the dispatcher and package.json (\`--help\` reads one table of summaries, no command module). A command's module and the library load when it is typed; the pid-file module (node:fs/promises) only for commands that show named URLs (\`get\`, \`list\`, \`run\`, \`reserve --json\`); the server, the YAML parser and the import code, and get-port only for \`serve\`, \`import\` and \`free\`; node:child_process, node:perf_hooks and node:tty not on Linux for these commands. Output goes to the file descriptor (fs.writeSync) until a stream is needed, so \`reserve x\` of a live lease loads neither node:net nor the stream modules; node:net loads for a probe only (with cluster, dgram and dns, which net's listen() requires), node:crypto by none of them (SHA-1 of names in JavaScript), and a probe's listen() skips dns.lookup's IPv6 test of its literal addresses (the first one compiles a large regular expression, 3–4 ms). Every node start here also reads $NODE_EXTRA_CA_CERTS when it is set (node -e 0 included): ${process.env.NODE_EXTRA_CA_CERTS ? 'set in this run, which adds the same ~30 ms to every row and so lowers every ratio' : 'not set in this run'}.`,
    '',
  ].join('\n');
}
