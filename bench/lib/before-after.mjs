/**
 * The "Before / after the compare-and-swap commit" table of RESULTS.md: the headline
 * numbers of the last full run before the storage and the lock were redesigned, beside
 * this run's. core.mjs and recovery.mjs leave their headline numbers in `ctx.headline`;
 * run.mjs renders this section once every module has run.
 *
 * PREVIOUS is copied by hand from bench/RESULTS.md as committed in 82f6911 ("bench: results
 * after the fairer lock wait", full run of 2026-11-21T16:49Z on this 2-core machine): one
 * `registry.json` rewritten by temp + fsync + rename with a `.bak` hard link, a
 * proper-lockfile mkdir lock plus a `registry.lock.owner` holder record, a revision fence.
 */
import { int, ms, ratio } from './stats.mjs';

export const PREVIOUS = {
  date: '2026-11-21',
  commit: '82f6911',
  reserve: 2.31,
  durable: 1.01,
  plain: 0.59,
  // Ratios as that run printed them (from unrounded medians; recomputing from the rounded
  // numbers above would be off in the last digit).
  vsDurable: '2.29×',
  vsPlain: '3.89×',
  callsPerWrite: 25, // 49 per reserve + release cycle
  fsyncsPerWrite: 2,
  eight: { opsPerSec: 311, durableOpsPerSec: 879, plainOpsPerSec: 1418, reserveP99: 93.0, durableP99: 71.0 },
  big: { reserve: 18.2, cold: 17.5, durable: 19.6, vsDurable: '0.93×', coldRead: 1.35, parse: 5.33 },
  recovery: {
    kills: 30,
    noLock: { runs: 5, median: 4.6, max: 5.8 },
    deadHolder: { runs: 18, median: 5.3, max: 8.4 },
    unknownHolder: { runs: 7, median: 2006.3, max: 2011.2 },
    unknownOnPurposeMs: 2010,
  },
};

/** The headline numbers of core.mjs's measurements. */
export function coreHeadline({ single, concurrent, breakdown }) {
  const base = single.find((row) => row.size === 10);
  const big = single.find((row) => row.size === 10_000 && !row.owned);
  const eight = concurrent.find((row) => row.n === 8);
  const small = breakdown.find((row) => row.size === 10);
  const large = breakdown.find((row) => row.size === 10_000);
  const fsyncs = small
    ? Object.entries(small.calls)
        .filter(([label]) => label.startsWith('fsync'))
        .reduce((sum, [, entry]) => sum + entry.calls, 0)
    : NaN;
  return {
    reserve: base?.pl.reserve.median,
    durable: base?.durable.write.median,
    plain: base?.plain.write.median,
    callsPerWrite: small ? small.fsCalls / 2 : NaN,
    fsyncsPerWrite: fsyncs / 2,
    eight: eight && {
      opsPerSec: eight.pl.opsPerSec,
      durableOpsPerSec: eight.durable.opsPerSec,
      plainOpsPerSec: eight.plain.opsPerSec,
      reserveP99: eight.pl.reserve.p99,
      durableP99: eight.durable.write.p99,
    },
    big: big && {
      reserve: big.pl.reserve.median,
      cold: big.cold.reserve.median,
      durable: big.durable.write.median,
      coldRead: large?.read.median,
      parse: large?.parse.median,
    },
  };
}

const pct = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${Math.round((100 * a) / b)}%` : 'n/a');
const num = (value) => (Number.isFinite(value) ? (Number.isInteger(value) ? String(value) : value.toFixed(1)) : 'n/a');
const recoveryCell = (entry, kills) =>
  entry ? `${ms(entry.median)} ms median, ${ms(entry.max)} max (${entry.runs} of ${kills} kills)` : `none of ${kills} kills`;

/** The markdown section. `headline`: { core?, recovery? } as left by the modules; `quick`: a smoke test. */
export function beforeAfterSection(headline, { quick }) {
  const p = PREVIOUS;
  const c = headline.core;
  const r = headline.recovery;
  const notRun = 'not run';
  const rows = [];
  rows.push([
    'single-process reserve median, 10 leases',
    `${ms(p.reserve)} ms = **${p.vsDurable}** durable floor (${ms(p.durable)} ms), ${p.vsPlain} plain floor (${ms(p.plain)} ms)`,
    c
      ? `${ms(c.reserve)} ms = **${ratio(c.reserve, c.durable)}** durable floor (${ms(c.durable)} ms), ${ratio(c.reserve, c.plain)} plain floor (${ms(c.plain)} ms)`
      : notRun,
  ]);
  rows.push([
    'filesystem calls per write (10 leases; floor: 8 with 1 fsync)',
    `~${p.callsPerWrite}, ${p.fsyncsPerWrite} fsyncs (file + directory)`,
    c ? `~${Math.round(c.callsPerWrite)} (${num(c.callsPerWrite)}), ${num(c.fsyncsPerWrite)} fsyncs (temp file + directory)` : notRun,
  ]);
  rows.push([
    '8 processes at once: throughput',
    `${int(p.eight.opsPerSec)} writes/s = **${pct(p.eight.opsPerSec, p.eight.durableOpsPerSec)}** of durable floor (${int(p.eight.durableOpsPerSec)}/s), ${pct(p.eight.opsPerSec, p.eight.plainOpsPerSec)} of plain floor`,
    c?.eight
      ? `${int(c.eight.opsPerSec)} writes/s = **${pct(c.eight.opsPerSec, c.eight.durableOpsPerSec)}** of durable floor (${int(c.eight.durableOpsPerSec)}/s), ${pct(c.eight.opsPerSec, c.eight.plainOpsPerSec)} of plain floor`
      : notRun,
  ]);
  rows.push([
    '8 processes at once: reserve p99',
    `${ms(p.eight.reserveP99)} ms (durable floor write p99 ${ms(p.eight.durableP99)} ms)`,
    c?.eight ? `${ms(c.eight.reserveP99)} ms (durable floor write p99 ${ms(c.eight.durableP99)} ms)` : notRun,
  ]);
  rows.push([
    '10,000-lease reserve median, one process',
    `${ms(p.big.reserve)} ms = ${p.big.vsDurable} durable floor (${ms(p.big.durable)} ms)`,
    c?.big ? `${ms(c.big.reserve)} ms = ${ratio(c.big.reserve, c.big.durable)} durable floor (${ms(c.big.durable)} ms)` : notRun,
  ]);
  rows.push([
    '10,000-lease cold reserve median (another process wrote in between)',
    `${ms(p.big.cold)} ms — not really cold: the file's mtime was changed, but the cache compares bytes, so it still answered (a "cold" read took ${ms(p.big.coldRead)} ms, less than \`JSON.parse\` alone, ${ms(p.big.parse)} ms)`,
    c?.big
      ? `${ms(c.big.cold)} ms — a new revision committed by hand before each, which the cache has never seen (cold read ${ms(c.big.coldRead)} ms, \`JSON.parse\` alone ${ms(c.big.parse)} ms)`
      : notRun,
  ]);
  const pr = p.recovery;
  rows.push([
    'recovery, SIGKILL left no lock',
    `${ms(pr.noLock.median)} ms median, ${ms(pr.noLock.max)} max (${pr.noLock.runs} of ${pr.kills} kills)`,
    r ? recoveryCell(r.cases['no lock left'], r.kills) : notRun,
  ]);
  rows.push([
    'recovery, SIGKILL left a dead holder',
    `${ms(pr.deadHolder.median)} ms median, ${ms(pr.deadHolder.max)} max (${pr.deadHolder.runs} of ${pr.kills} kills: lock dir + holder record)`,
    r ? `${recoveryCell(r.cases['dead holder'], r.kills)}; killed on purpose just before its commit: ${ms(r.killedMs)} ms` : notRun,
  ]);
  rows.push([
    'recovery, lock whose holder is unknown',
    `${ms(pr.unknownHolder.median)} ms median (${pr.unknownHolder.runs} of ${pr.kills} kills, between the mkdir and the holder record); made on purpose: ${(pr.unknownOnPurposeMs / 1000).toFixed(2)} s`,
    r ? `cannot happen (the lock appears with its holder's name in one \`rename\`); an empty \`registry.lock/\` made on purpose: ${ms(r.emptyMs)} ms` : notRun,
  ]);
  rows.push(['recovery, holder alive but silent (stopped)', 'not measured', r ? `${(r.stopMs / 1000).toFixed(2)} s (stale time 10 s)` : notRun]);
  return [
    '## Before / after the compare-and-swap commit',
    '',
    `**Previous run, other day, not comparable to the millisecond — the ratios against the floor measured in the same run are what compare.** Before: the full run of ${p.date} (bench/RESULTS.md as of commit ${p.commit}), one \`registry.json\` rewritten by temp + fsync + rename with a \`.bak\` hard link, a proper-lockfile mkdir lock plus a \`registry.lock.owner\` holder record, and a revision fence. After: this run, a directory of immutable revisions committed by \`link\` to \`rev-<N+1>.json\` (compare-and-swap), directory fsync, listing + pruning in batches, and portlease's own lock (staging directory renamed onto \`registry.lock/\`). The floors did not change.${quick ? ' _This run is BENCH_QUICK=1: a smoke test with tiny counts, so even its ratios mean little._' : ''}`,
    '',
    '| measure | previous run (other day) | this run |',
    '| --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}
