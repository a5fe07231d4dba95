/**
 * The markdown section of the proxy benchmark (bench/proxy.mjs) from its measurements:
 * HTTP cells per generator with the CPU each process used, portlease against the others
 * and as a share of the TCP relay ceiling, WebSocket echo, and the proxies' RSS and backend
 * connections.
 */
import { int, ms, ratio, table } from './stats.mjs';

const median = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];

/** A ratio as a whole percentage: `62%`, or n/a. */
function percent(value) {
  return Number.isFinite(value) ? `${Math.round(value * 100)}%` : 'n/a';
}

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
 * @param {{ targets: {name: string, short: string, ceiling?: boolean, pid?: number}[], loaders: {name: string}[], scenarios: {name: string}[],
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
  const withinValue = (loader, name, base, index) => {
    const [mine, theirs] = [runsOf(loader, name, index), runsOf(loader, base, index)];
    if (mine.length === 0 || theirs.length === 0) return Number.NaN;
    if (mine.length !== theirs.length) return cell(loader, name, index).rps / cell(loader, base, index).rps;
    return median(mine.map((run, round) => run.rps / theirs[round].rps));
  };
  const within = (loader, name, base, index) => ratio(withinValue(loader, name, base, index), 1);
  // The relay is the ceiling portlease is measured against, not one of the proxies it is compared with.
  const ceiling = targets.find((target) => target.ceiling);
  const proxies = targets.filter((target) => !target.ceiling && target.name !== 'direct');
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
      const parts = proxies
        .filter((target) => target.name !== 'portlease serve')
        .map((target) => `${within(loader, 'portlease serve', target.name, index)} ${target.short}`);
      const ofCeiling = ceiling
        ? ` = ${percent(withinValue(loader, 'portlease serve', ceiling.name, index))} of the relay ceiling (the relay ${within(loader, ceiling.name, 'direct', index)} of direct)`
        : '';
      versus.push(`- ${scenario.name}, ${loader}: portlease ${within(loader, 'portlease serve', 'direct', index)} of direct${ofCeiling}; ${parts.join(', ')}`);
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
  const overDirect = (name) => ratio(ws.get(name)?.median, ws.get('direct')?.median);
  const wsVersus =
    ceiling && ws.has(ceiling.name)
      ? [
          '',
          `Median round trip over direct: portlease ${overDirect('portlease serve')}, the relay ceiling ${overDirect(ceiling.name)} (the extra hop alone, no parsing); ${proxies
            .filter((target) => target.name !== 'portlease serve' && ws.has(target.name))
            .map((target) => `${target.short} ${overDirect(target.name)}`)
            .join(', ')}.`,
        ]
      : [];
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
    `Backend, each proxy and the load generator in separate processes on this machine; ${rounds} round(s) of ${duration} s per cell, pipelining 1; in each round every scenario runs through direct, the TCP relay, portlease and http-proxy one after another, with each generator (${names}); a cell shows its median round; "of direct" and the comparisons are medians of the ratios within a round, always with the same generator. portless runs last, in one round per generator, each on a freshly started backend (it leaves a backend connection open per request).`,
    '',
    'Why two generators: generator, backend and proxy share the cores, and a proxied request passes through three processes where a direct one passes through two, so a generator that takes much of a core could starve the proxied case more than the direct one and make every proxy look worse against direct. wrk (C, one thread here: `wrk -t1 -cN -d4s --latency -H "Host: …"`, no Lua) is the lighter one and runs when it is on PATH (it is optional: `apt-get install wrk`, `brew install wrk`); autocannon (Node, in the bench process) always runs too, in its own rows, so the two stand side by side and a ratio is only ever taken between rows of one generator. The CPU columns are shares of one core over the cell: the generator\'s own (wrk: its exact times after it exited; autocannon: the bench process\'s `process.cpuUsage`, sampler included), the proxy\'s and the backend\'s (/proc/<pid>/stat); "machine busy" is the whole machine over all cores (/proc/stat; 200% is both cores saturated), and in brackets what of it none of those processes was charged with: other processes on the machine, and kernel work charged to no process (softirq, where much of loopback TCP runs). autocannon reports latency in whole milliseconds, wrk in microseconds.',
    '',
    "Why a TCP relay: it is a ceiling, not a proxy. It runs in its own process like the proxies and opens one backend connection per client connection, then passes bytes both ways with node:net and parses nothing; it reads the backend into one reused 64 KiB buffer as portlease does (a `pipe()` relay, a buffer per read, was beaten by portlease on the 1 MiB GET) (bench/lib/proxy-relay.mjs). That is the least any Node proxy must do per request — read from one socket, write to the other — and it pays the same extra process hop and loopback copies, so on this machine no Node proxy can beat it; portlease's share of the relay tells the cost of its own HTTP work (reading the request head, choosing the backend by Host, pooling) apart from what the hop costs anyway. It is not a correct HTTP proxy: it pins a client connection to one backend, so a second keep-alive request on that connection with another Host would go to the first one's backend — exactly what portlease, which routes every request by its Host, must not do.",
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
    'portlease throughput against the others, same run and same generator, and as a share of the relay ceiling (portlease over the relay, a median of the ratios within a round like the rest):',
    ...versus,
    '',
    `WebSocket echo (the \`ws\` client in the bench process, no load generator), ${echoes} sequential round trips of 32 bytes, after 200 not counted, split over ${rounds} round(s) with the targets interleaved (one connection per target and round):`,
    '',
    table(['through', 'n', 'median ms', 'p99 ms', 'median over direct'], wsRows),
    ...wsVersus,
    '',
    'Proxy peak RSS and backend connections over all HTTP cells of both generators (most the proxy held open at once, sampled every 200 ms with ss; all the backend accepted while that proxy was measured):',
    '',
    table(['proxy', 'peak RSS', 'max backend connections open', 'backend connections accepted'], resourceRows),
    ...(ceiling
      ? [
          '',
          "The relay has no pool: it opens exactly one backend connection per client connection and keeps it for the client connection's life, so its connection counts are the generators' connections (10 or 50 per cell), not a pooling result; its RSS is what a Node process holding those sockets and their buffers takes.",
        ]
      : []),
    '',
    ...notes.map((note) => `Note: ${note}`),
    '',
  ].join('\n');
}
