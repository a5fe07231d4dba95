/**
 * The core benchmark (issue 2, item 5): portlease's reserve/release against the least a
 * file-based registry can cost (the floor) and against get-port, plus the collision test.
 * Everything runs in child processes forked by lib/pool.mjs, each on its own temp copy of
 * the registry, so one measurement never disturbs the next.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { coreHeadline } from './lib/before-after.mjs';
import { report } from './lib/core-report.mjs';
import { runPool } from './lib/pool.mjs';
import { int, percentile, summarize } from './lib/stats.mjs';
import { DEFAULT_WAIT_CAP_MS, newestRevision, writeFilledRegistry, writeFloorRegistry } from './lib/workload.mjs';

const SIZES = [10, 1_000, 10_000];
const PROCESSES = [1, 2, 4, 8];
const KINDS = ['portlease', 'plain', 'durable'];
const LIBRARIES = ['get-port', 'portfinder', 'get-port-please', 'detect-port', 'portlease'];
/** The collision test's preferred range: 200 ports inside portlease's default range. */
const COLLIDE_FROM = 23_000;
const COLLIDE_TO = COLLIDE_FROM + 199;

/** Iteration counts: the full run must stay well under 8 minutes on a 2-core machine. */
function planFor(quick, runs) {
  const scale = Math.max(1, runs) / 30; // runs is 30 in a full run (see run.mjs)
  const n = (full, small) => (quick ? small : Math.max(small, Math.round(full * scale)));
  return {
    single: { 10: n(400, 20), 1000: n(300, 15), 10000: n(60, 5) },
    warmup: quick ? 3 : 20,
    rounds: quick ? 2 : 5,
    perProcess: n(100, 10),
    getPort: n(500, 30),
    breakdown: { 10: n(200, 10), 10000: n(40, 4) },
    contended: n(50, 5),
    collide: { processes: 8, ports: 20 },
  };
}

const log = (message) => process.stderr.write(`  [core] ${message}\n`);

/** This process's owner record as the library writes it (read back from a lease it owns). */
async function ownerOfThisProcess(dist, scratch) {
  const { openRegistry } = await import(pathToFileURL(join(dist, 'index.js')).href);
  const lease = await openRegistry({ home: scratch }).reserve();
  await lease.release();
  if (lease.owner === null) throw new Error('an anonymous lease has no owner: the owned-filler row cannot be built');
  return lease.owner;
}

/**
 * The cap of portlease's wait between lock attempts, read from src/lock.ts so that the
 * floor always polls the same way as the build being measured (and how long a waiter polls
 * before it queues, which the floor does not do).
 */
async function lockWaitCap(root) {
  try {
    const source = await fs.readFile(join(root, 'src', 'lock.ts'), 'utf8');
    const named = /const MAX_WAIT_MS = (\d+)/.exec(source);
    const inline = /Math\.min\((\d+), 2 \* 1\.5 \*\* attempt\)/.exec(source);
    const value = Number((named ?? inline)?.[1]);
    // How long a waiter polls before it queues (for the report's text only).
    const queueAfter = Number(/const QUEUE_AFTER_MS = (\d+)/.exec(source)?.[1]);
    if (Number.isFinite(value) && value > 0) return { cap: value, from: 'src/lock.ts', queueAfter: Number.isFinite(queueAfter) ? queueAfter : null };
  } catch {
    // fall through
  }
  return { cap: DEFAULT_WAIT_CAP_MS, from: 'bench default (not found in src/lock.ts)', queueAfter: null };
}

/**
 * Pooled samples and throughput of one kind's phases (each phase: every child's result).
 * Throughput = all writes ÷ the summed wall time of the phases (first start to last end).
 */
function merge(phases) {
  const results = phases.flat();
  const reserve = results.flatMap((r) => r.reserve);
  const release = results.flatMap((r) => r.release);
  const wallMs = phases.reduce((sum, phase) => sum + Math.max(...phase.map((r) => r.end)) - Math.min(...phase.map((r) => r.start)), 0);
  const ops = reserve.length + release.length;
  const cycle = results.flatMap((r) => r.reserve.map((x, i) => x + r.release[i]));
  return {
    reserve: summarize(reserve),
    release: summarize(release),
    cycle: summarize(cycle),
    write: summarize([...reserve, ...release]),
    opsPerSec: ops / (wallMs / 1000),
    wallMs,
    ops,
  };
}

export async function run(ctx) {
  const quick = ctx.quick ?? process.env.BENCH_QUICK === '1';
  const plan = planFor(quick, ctx.runs ?? 30);
  const { home } = ctx;
  // The library is imported from ctx.dist (run.mjs's private copy of dist/) when given.
  const dist = ctx.dist ?? join(ctx.root, 'dist');
  const env = { PORTLEASE_HOME: join(home, 'env-home') };
  const wait = await lockWaitCap(ctx.root);
  let dirCount = 0;
  /**
   * A fresh home holding a registry of `size` filler leases: portlease's (a directory of
   * revisions, one revision) or, with `floor`, the floor's single registry.json.
   */
  const freshRegistry = async (name, size, { floor = false, owner = null } = {}) => {
    const dir = join(home, `${String(dirCount++).padStart(2, '0')}-${name}`);
    await (floor ? writeFloorRegistry : writeFilledRegistry)(dir, size, owner);
    return dir;
  };

  /**
   * portlease, plain floor and durable floor in `n` processes at once, interleaved in
   * `rounds` rounds (the order rotates each round), each on its own copy of a registry of
   * `size` leases. Returns { portlease, plain, durable } merged over rounds, plus the file size.
   */
  const interleaved = async (label, n, size, count, rounds, warmup, kinds = KINDS, owner = null) => {
    const homeDir = await freshRegistry(`${label}-portlease`, size, { owner });
    const plainDir = await freshRegistry(`${label}-floor-plain`, size, { floor: true, owner });
    const durableDir = await freshRegistry(`${label}-floor-durable`, size, { floor: true, owner });
    const bytes = (await fs.stat((await newestRevision(homeDir)).file)).size;
    const per = Math.max(1, Math.ceil(count / rounds));
    const phases = [];
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < kinds.length; i++) phases.push({ kind: kinds[(i + round) % kinds.length], count: per });
    }
    if (n > 1 && kinds.includes('cold')) throw new Error('cold cycles touch the registry without the lock: one process only');
    const results = await runPool(n, 'cycles', () => ({ dist, home: homeDir, plainDir, durableDir, warmup, kinds, waitCap: wait.cap }), { env, phases });
    const byKind = {};
    for (const [index, phase] of phases.entries()) {
      byKind[phase.kind] ??= [];
      byKind[phase.kind].push(results[index]);
    }
    return { bytes, count: per * rounds, ...Object.fromEntries(Object.entries(byKind).map(([kind, list]) => [kind, merge(list)])) };
  };

  // (a) One process, by registry size.
  const single = [];
  for (const size of SIZES) {
    const count = plan.single[size];
    const rounds = Math.min(plan.rounds, count);
    log(
      `single process, ${int(size)} leases: ${count} cycles each of portlease (warm and cold${size === 10 ? ', and 5 services in one call' : ''}), floor (plain), floor (durable), interleaved in ${rounds} rounds`,
    );
    // The 10-lease run also measures 5 services in one call, interleaved with the single reserves it is compared with.
    const kinds = size === 10 ? [...KINDS, 'cold', 'batch'] : [...KINDS, 'cold'];
    const result = await interleaved(`single-${size}`, 1, size, count, rounds, size >= 10_000 ? 3 : plan.warmup, kinds);
    single.push({
      size,
      bytes: result.bytes,
      count: result.count,
      pl: result.portlease,
      cold: result.cold,
      batch: result.batch,
      plain: result.plain,
      durable: result.durable,
    });
  }

  // (a') 10,000 leases all owned by one live process (this one: alive, and not the child
  // that reserves), as a registry full of test workers' leases is: a reserve and a list
  // must ask the OS whether their owner lives. Asked once per lease, that once made a
  // reserve 5x slower while the rows above, whose filler has no owner, showed nothing.
  {
    const size = 10_000;
    const count = plan.single[size];
    const rounds = Math.min(plan.rounds, count);
    log(
      `single process, ${int(size)} leases owned by one live process: ${count} cycles each of portlease (warm and cold), floor (plain), floor (durable), interleaved in ${rounds} rounds`,
    );
    const owner = await ownerOfThisProcess(dist, join(home, 'owner-probe'));
    const result = await interleaved(`single-${size}-owned`, 1, size, count, rounds, 3, [...KINDS, 'cold'], owner);
    single.push({
      size,
      owned: true,
      bytes: result.bytes,
      count: result.count,
      pl: result.portlease,
      cold: result.cold,
      plain: result.plain,
      durable: result.durable,
    });
  }

  // (b) + (c) N processes at once on a 10-lease registry, portlease and both floors.
  const concurrent = [];
  for (const n of PROCESSES) {
    const count = plan.perProcess;
    const rounds = Math.min(plan.rounds, count);
    log(`${n} process(es) at once × ${count} cycles each: portlease, floor (plain), floor (durable), interleaved in ${rounds} rounds`);
    const result = await interleaved(`procs-${n}`, n, 10, count, rounds, 3);
    concurrent.push({ n, count: result.count, pl: result.portlease, plain: result.plain, durable: result.durable });
  }

  // (c) get-port per call.
  log(`get-port: ${plan.getPort} calls, no preference and a preferred range`);
  const getPort = {};
  for (const mode of ['os', 'range']) {
    const [result] = await runPool(1, 'getport', () => ({ count: plan.getPort, warmup: 10, mode }), { env });
    getPort[mode] = summarize(result.calls);
  }

  // Where the time goes.
  const breakdown = [];
  for (const size of [10, 10_000]) {
    const count = plan.breakdown[size];
    log(`breakdown, ${int(size)} leases: ${count} cycles with fsync timed in place`);
    const dir = await freshRegistry(`breakdown-${size}`, size);
    const [result] = await runPool(1, 'breakdown', () => ({ dist, home: dir, count, warmup: Math.min(10, count), scratch: join(home, `scratch-${size}`) }), {
      env,
    });
    const cycles = result.reserve.map((r, i) => r + result.release[i]);
    const labels = [...new Set(result.perCycle.flatMap((calls) => Object.keys(calls)))];
    const fsTotals = result.perCycle.map((calls) => Object.values(calls).reduce((sum, entry) => sum + entry.ms, 0));
    const fsCounts = result.perCycle.map((calls) => Object.values(calls).reduce((sum, entry) => sum + entry.calls, 0));
    breakdown.push({
      size,
      count,
      bytes: result.bytes,
      reserve: summarize(result.reserve),
      release: summarize(result.release),
      cycle: summarize(cycles),
      // Per call type: mean over the cycles of its count and of its time in that cycle (a
      // mean, not a median: pruning unlinks 4 old revisions every 4th commit, which a
      // median over cycles would show as 0 or 4).
      calls: Object.fromEntries(
        labels.map((label) => [
          label,
          {
            calls: mean(result.perCycle.map((calls) => calls[label]?.calls ?? 0)),
            ms: mean(result.perCycle.map((calls) => calls[label]?.ms ?? 0)),
          },
        ]),
      ),
      fsCalls: mean(fsCounts),
      fsCallsMedian: percentile(fsCounts, 50),
      fs: summarize(fsTotals),
      rest: summarize(cycles.map((cycle, i) => cycle - fsTotals[i])),
      probe: summarize(result.probe),
      read: summarize(result.read),
      empty: summarize(result.empty),
      lock: summarize(result.lock),
      parse: summarize(result.parse),
      stringify: summarize(result.stringify),
    });
  }

  // Contention: what 8 processes at once do per write (every filesystem call counted).
  log(`contention breakdown: 8 processes × ${plan.contended} cycles, portlease then durable floor, filesystem calls counted`);
  const contention = await (async () => {
    const homeDir = await freshRegistry('contended-portlease', 10);
    const plainDir = await freshRegistry('contended-floor-plain', 10, { floor: true });
    const durableDir = await freshRegistry('contended-floor-durable', 10, { floor: true });
    const phases = [
      { kind: 'portlease', count: plan.contended },
      { kind: 'durable', count: plan.contended },
    ];
    const results = await runPool(
      8,
      'cycles',
      () => ({ dist, home: homeDir, plainDir, durableDir, warmup: 3, kinds: ['portlease', 'durable'], waitCap: wait.cap, meter: true }),
      { env, phases },
    );
    return Object.fromEntries(phases.map((phase, index) => [phase.kind, { ...merge([results[index]]), calls: sumCalls(results[index]) }]));
  })();

  // (d) The collision test.
  const collisions = [];
  for (const lib of LIBRARIES) {
    const { processes, ports } = plan.collide;
    log(`collision test: ${lib}, ${processes} processes × ${ports} ports in ${COLLIDE_FROM}-${COLLIDE_TO}`);
    const dir = join(home, `${String(dirCount++).padStart(2, '0')}-collide-${lib}`);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const results = await runPool(processes, 'collide', () => ({ dist, home: dir, lib, count: ports, from: COLLIDE_FROM, to: COLLIDE_TO }), { env });
    collisions.push({ lib, ...countDuplicates(results) });
  }

  // For the before/after table of run.mjs (lib/before-after.mjs).
  if (ctx.headline) ctx.headline.core = coreHeadline({ single, concurrent, breakdown });
  return report({ plan, quick, single, concurrent, getPort, breakdown, contention, collisions, collide: [COLLIDE_FROM, COLLIDE_TO], wait });
}

const mean = (values) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

/** Duplicates across all processes: every port handed out more than once counts once per extra hand-out. */
function countDuplicates(results) {
  const byPort = new Map();
  let within = 0;
  let outside = 0;
  results.forEach((result, process) => {
    const seen = new Set();
    for (const port of result.ports) {
      if (seen.has(port)) within += 1;
      seen.add(port);
      if (port < COLLIDE_FROM || port > COLLIDE_TO) outside += 1;
      if (!byPort.has(port)) byPort.set(port, new Set());
      byPort.get(port).add(process);
    }
  });
  const total = results.reduce((sum, r) => sum + r.ports.length, 0);
  const errors = results.flatMap((r) => r.errors);
  const shared = [...byPort.values()].filter((processes) => processes.size > 1).length;
  const wallMs = Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start));
  return { total, distinct: byPort.size, duplicates: total - byPort.size, shared, within, outside, errors, wallMs };
}

/** Sums the per-label filesystem call counts and times of several children. */
function sumCalls(results) {
  const total = {};
  for (const result of results) {
    for (const [label, entry] of Object.entries(result.calls ?? {})) {
      total[label] ??= { calls: 0, ms: 0 };
      total[label].calls += entry.calls;
      total[label].ms += entry.ms;
    }
  }
  return total;
}
