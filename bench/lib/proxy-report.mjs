/**
 * The markdown section of the proxy benchmark (bench/proxy.mjs) from its measurements:
 * HTTP cells per generator with the CPU each process used, portlease against the others,
 * WebSocket echo, and the proxies' RSS and backend connections.
 */
import { int, ms, ratio, table } from './stats.mjs';

const median = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];

/** CPU seconds over wall seconds as a share of one core: `87%`, or n/a. */
function share(cpu, wall) {
  return Number.isFinite(cpu) && wall > 0 ? `${Math.round((cpu / wall) * 100)}%` : 'n/a';
}

/**
 * The whole machine's busy CPU over the cell (of 100% per core) and, in brackets, what of
 * it was not the generator, proxy, backend or bench process: other processes, and kernel
 * work charged to no process (softirq: much of loopback TCP).
 */
function machine(run, proxied) {
  if (!Number.isFinite(run.machineCpu)) return 'n/a';
  const ours = run.cpu + (proxied ? run.proxyCpu : 0) + run.backendCpu + (run.inProcess ? 0 : run.selfCpu);
  return `${share(run.machineCpu, run.wall)} (${share(run.machineCpu - ours, run.wall)})`;
}

/**
 * @param {{ targets: {name: string, pid?: number}[], loaders: {name: string}[], scenarios: {name: string}[],
 *   cells: Map<string, Map<string, object[][]>>, resources: Map<string, object>, ws: Map<string, object>,
 *   notes: string[], rounds: number, duration: number, echoes: number }} m
 */
export function report({ targets, loaders, scenarios, cells, resources, ws, notes, rounds, duration, echoes }) {
  const runsOf = (loader, name, index) => cells.get(loader).get(name)[index];
  // A cell is its median round; a ratio is the median of the ratios within each round
  // (portless, measured in one round of its own, against direct's median round).
  const cell = (loader, name, index) => {
    const runs = runsOf(loader, name, index);
    return [...runs].sort((x, y) => x.rps - y.rps)[runs.length >> 1];
  };
  const within = (loader, name, base, index) => {
    const [mine, theirs] = [runsOf(loader, name, index), runsOf(loader, base, index)];
    if (mine.length !== theirs.length) return ratio(cell(loader, name, index).rps, cell(loader, base, index).rps);
    return ratio(median(mine.map((run, round) => run.rps / theirs[round].rps)), 1);
  };
  const rows = [];
  const versus = [];
  scenarios.forEach((scenario, index) => {
    for (const { name: loader } of loaders) {
      for (const target of targets) {
        const run = cell(loader, target.name, index);
        if (!run) continue;
        rows.push([
          scenario.name,
          loader,
          target.name,
          int(run.rps),
          ms(run.p50),
          ms(run.p99),
          within(loader, target.name, 'direct', index),
          run.bad,
          share(run.cpu, run.wall),
          target.pid === undefined ? '–' : share(run.proxyCpu, run.wall),
          share(run.backendCpu, run.wall),
          machine(run, target.pid !== undefined),
        ]);
      }
      const parts = targets
        .filter((target) => target.name !== 'portlease serve' && target.name !== 'direct')
        .map((target) => `${within(loader, 'portlease serve', target.name, index)} ${target.name.split(' ')[0]}`);
      versus.push(`- ${scenario.name}, ${loader}: portlease ${within(loader, 'portlease serve', 'direct', index)} of direct; ${parts.join(', ')}`);
    }
  });
  // The generator's own CPU in every cell it ran (all rounds, all targets), and what this
  // process used besides during the wrk cells: the RSS/socket sampler, which the autocannon
  // figures include.
  const cpuLines = loaders.map(({ name: loader }) => {
    const all = [...cells.get(loader).values()].flat(2).filter((run) => Number.isFinite(run.cpu));
    const shares = all.map((run) => run.cpu / run.wall);
    const self = all.some((run) => run.inProcess) ? '' : `; this process (sampler) meanwhile ${share(median(all.map((run) => run.selfCpu / run.wall)), 1)}`;
    return `- ${loader}: median ${share(median(shares), 1)} of one core, ${share(Math.min(...shares), 1)}–${share(Math.max(...shares), 1)} over its ${all.length} cells${self}`;
  });
  const wsRows = targets
    .filter((target) => ws.has(target.name))
    .map((target) => {
      const stats = ws.get(target.name);
      return [target.name, stats.n, ms(stats.median), ms(stats.p99), ratio(stats.median, ws.get('direct')?.median)];
    });
  const resourceRows = targets
    .filter((target) => target.pid !== undefined)
    .map((target) => {
      const entry = resources.get(target.name);
      return [
        target.name,
        entry.rss > 0 ? `${(entry.rss / 1024 ** 2).toFixed(0)} MiB` : 'n/a (process not found)',
        Number.isFinite(entry.sockets) ? entry.sockets : `${entry.backendMax} (backend's count)`,
        int(entry.backendTotal),
      ];
    });
  const names = loaders.map((loader) => loader.name).join(' and ');
  return [
    '## Named-URL reverse proxy (`portlease serve`)',
    '',
    `Backend, each proxy and the load generator in separate processes on this machine; ${rounds} round(s) of ${duration} s per cell, pipelining 1; in each round every scenario runs through direct, portlease and http-proxy one after another, with each generator (${names}); a cell shows its median round; "of direct" and the comparisons are medians of the ratios within a round, always with the same generator. portless runs last, in one round per generator, each on a freshly started backend (it leaves a backend connection open per request).`,
    '',
    'Why two generators: generator, backend and proxy share the cores, and a proxied request passes through three processes where a direct one passes through two, so a generator that takes much of a core could starve the proxied case more than the direct one and make every proxy look worse against direct. wrk (C, one thread here: `wrk -t1 -cN -d4s --latency -H "Host: …"`, no Lua) is the lighter one and runs when it is on PATH (it is optional: `apt-get install wrk`, `brew install wrk`); autocannon (Node, in the bench process) always runs too, in its own rows, so the two stand side by side and a ratio is only ever taken between rows of one generator. The CPU columns are shares of one core over the cell: the generator\'s own (wrk: its exact times after it exited; autocannon: the bench process\'s `process.cpuUsage`, sampler included), the proxy\'s and the backend\'s (/proc/<pid>/stat); "machine busy" is the whole machine over all cores (/proc/stat; 200% is both cores saturated), and in brackets what of it none of those processes was charged with: other processes on the machine, and kernel work charged to no process (softirq, where much of loopback TCP runs). autocannon reports latency in whole milliseconds, wrk in microseconds.',
    '',
    table(
      [
        'scenario',
        'generator',
        'through',
        'req/s',
        'p50 ms',
        'p99 ms',
        'of direct',
        'errors',
        'generator CPU',
        'proxy CPU',
        'backend CPU',
        'machine busy (not those)',
      ],
      rows,
    ),
    '',
    'Generator CPU per cell, as a share of one core:',
    ...cpuLines,
    '',
    'portlease throughput against the others, same run and same generator:',
    ...versus,
    '',
    `WebSocket echo (the \`ws\` client in the bench process, no load generator), ${echoes} sequential round trips of 32 bytes, after 200 not counted, split over ${rounds} round(s) with the targets interleaved (one connection per target and round):`,
    '',
    table(['through', 'n', 'median ms', 'p99 ms', 'median over direct'], wsRows),
    '',
    'Proxy peak RSS and backend connections over all HTTP cells of both generators (most the proxy held open at once, sampled every 200 ms with ss; all the backend accepted while that proxy was measured):',
    '',
    table(['proxy', 'peak RSS', 'max backend connections open', 'backend connections accepted'], resourceRows),
    '',
    ...notes.map((note) => `Note: ${note}`),
    '',
  ].join('\n');
}
