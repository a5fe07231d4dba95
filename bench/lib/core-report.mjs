/**
 * Formatting of the core benchmark's section (bench/core.mjs measures, this file writes).
 */
import { int, ms, ratio, table } from './stats.mjs';

/** Sum of calls and ms over labels that match `test` (a prefix string or a RegExp). */
function pick(calls, test) {
  const match = typeof test === 'string' ? (label) => label.startsWith(test) : (label) => test.test(label);
  return Object.entries(calls)
    .filter(([label]) => match(label))
    .reduce((acc, [, entry]) => ({ calls: acc.calls + entry.calls, ms: acc.ms + entry.ms }), { calls: 0, ms: 0 });
}

/** One attempt to take portlease's lock: the rename of the staging directory (src/lock.ts). */
/**
 * One try at portlease's lock: the rename of the staging directory, or (src/lock.ts: a waiter
 * looks before it tries again) a listing of `registry.lock` — which also counts the look at
 * the holder made at the first failed try and every 4th after it.
 */
const LOCK_ATTEMPT = /^rename \.lock-\* → registry\.lock$|^readdir registry\.lock$/;
const FLOOR_ATTEMPT = /^mkdir floor\.lock$/;
/** One read of a revision file (open, fstat, read, close). */
const REVISION_READ = /^open rev-\*\.json$/;

/**
 * The steps of a portlease write (src/registry.ts, src/lock.ts, src/storage.ts,
 * src/commit.ts), by the labels of fs-meter.mjs. Whatever matches none is "other".
 */
const STEPS = [
  ['home and registry directory checks (`lstat` ×2, once per process)', /^(lstat|mkdir|chmod) (\(home\)|registry\/)$/],
  [
    "lock: `lstat` of the waiters' queue `registry.wait/`, stage `mkdir`, holder's entry created (open + fstat for the kernel's time + close), `rename` onto `registry.lock`, `lstat` of the entry after the commit, release `unlink` (+ looking at a holder and queueing under contention)",
    /^(mkdir|rmdir|lstat|fstat|utimes|unlink|open|close) (\.lock-\*|h\.\*|w\.\*|registry\.lock|registry\.wait)$|^rename \.lock-\* → |^readdir (registry\.lock|registry\.wait|\(home\)|\.lock-\*)$/,
  ],
  ['listings of `registry/` (before the read, under the lock, every 4th commit)', /^readdir registry\/$/],
  ['reading the newest revision (open, fstat, read, close)', /^(open|handle\.stat|handle\.read|fstat|read|close) rev-\*\.json$/],
  ['temp file: create, write, fstat (fchmod only when the umask took bits), fsync, close; unlink after the commit', /\.tmp-\*$/],
  ['**commit point: `link` temp → `rev-<N+1>.json`**', /^link \.tmp-\* → rev-\*\.json$/],
  ['directory fsync (open, fsync, close `registry/`)', /^(open|fsync|close) registry\/$/],
  ['pruning old revisions (`unlink`, 4 at a time every 4th commit)', /^unlink rev-\*\.json$/],
  ["the caller's default app and instance (identity.ts: `stat .git`; a reserve only)", /^(stat|open|read|fstat|close) \.git$/],
];

/** Per write: calls and ms of each step (and "other"), from a breakdown row's per-cycle means. */
export function steps(row) {
  const seen = new Set();
  const out = STEPS.map(([name, test]) => {
    const labels = Object.keys(row.calls).filter((label) => !seen.has(label) && test.test(label));
    for (const label of labels) seen.add(label);
    const sum = labels.reduce((acc, label) => ({ calls: acc.calls + row.calls[label].calls, ms: acc.ms + row.calls[label].ms }), { calls: 0, ms: 0 });
    return { name, calls: sum.calls / 2, ms: sum.ms / 2 };
  });
  const rest = Object.keys(row.calls).filter((label) => !seen.has(label));
  const other = rest.reduce((acc, label) => ({ calls: acc.calls + row.calls[label].calls, ms: acc.ms + row.calls[label].ms }), { calls: 0, ms: 0 });
  out.push({ name: `other${rest.length ? ` (${rest.map((label) => `\`${label}\``).join(', ')})` : ''}`, calls: other.calls / 2, ms: other.ms / 2 });
  return out;
}

const count = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

function status(ok) {
  return ok ? '**met**' : '**missed**';
}

/**
 * The core section of RESULTS.md from the measurements of core.mjs: targets first, each
 * with where the time goes, then the tables behind them.
 */
export function report({ plan, quick, single, concurrent, getPort, breakdown, contention, collisions, collide: [COLLIDE_FROM, COLLIDE_TO], wait }) {
  const base = single.find((row) => row.size === 10);
  const big = single.find((row) => row.size === 10_000 && !row.owned);
  const eight = concurrent.find((row) => row.n === 8);
  const pl = collisions.find((row) => row.lib === 'portlease');
  const reserveMedian = base.pl.reserve.median;
  const out = [];
  out.push('## Core: reserve/release, the floor, get-port, collisions');
  out.push('');
  out.push(
    [
      'Definitions. **Reserve** = `openRegistry({home}).reserve({ range: [20000, 29999] })` (anonymous, owned by the calling',
      'process, the test-helper case): a lock-free read of the newest revision, an OS probe of the candidate port on `::`,',
      '`0.0.0.0`, `127.0.0.1`, `::1`, then one locked transaction: take the lock (a staging directory `.lock-<pid>-<place>-<token>/`',
      "holding the holder's entry, an empty file `h.<pid>.…`: `mkdir`, open + fstat (its ctime is the kernel's clock, by which ttl leases are judged) + close, then `rename` onto `registry.lock/`),",
      'list `registry/` (when the newest revision is still the one the lock-free read got, that read is used, else the',
      'newest is read and validated), then commit a new revision: temp file `.tmp-<pid>-<hex>` written,',
      '**`link`ed to `rev-<N+1>.json`** (the compare-and-swap: it fails if another writer made that name first), fsynced,',
      'directory fsync, temp unlinked, listing + pruning of old revisions in batches; release the lock (`unlink` of the',
      'entry). Calls that the kernel serves from its caches are made synchronously, the fsyncs in the thread pool (src/fsio.ts).',
      '**Release** = `lease.release()`, one locked transaction without a probe. The registry is a real one of the current',
      "format: `registry/rev-000000000001.json` at the start (0.1's `registry.json` would only be read to migrate it).",
      '**Floor write** = `mkdir` lock, `readFile` + `JSON.parse`, change, `JSON.stringify` + write, `rmdir`, on one',
      '`registry.json` holding the same leases, waiting for the lock the way a portlease waiter polls (1 ms + jitter of up to',
      `${wait.cap} ms as in ${wait.from}, shrinking by 1 ms per attempt; without portlease's queue). Two floors: *plain* (\`writeFile\` in place, not`,
      'crash-safe) and *durable* (temp file + fsync + rename, the least that satisfies portlease\'s "durably written"',
      'guarantee); they model a minimal single-file registry and are the baseline measured in the same run. A floor cycle is',
      'one write that adds a lease and one that removes it, mirroring reserve + release. Filler leases are durable named',
      'leases (with their sticky entries) on ports 30000+, outside the reserve range. Measurements run in fresh child',
      'processes, each kind on its own copy of the registry, after a warm-up; portlease and both floors run in the same processes, interleaved in rounds',
      '(the order rotating), so that load from elsewhere on the machine hits all three alike. Percentiles are nearest-rank.',
    ].join(' '),
  );
  out.push('');
  out.push('### Targets');
  out.push('');
  // Targets of issue 13 (a leaner write): 1.6× the durable floor, half its throughput, p99 ≤ 60 ms.
  const singleMet = reserveMedian <= 1.6 * base.durable.write.median;
  const tput = eight.pl.opsPerSec >= 0.5 * eight.durable.opsPerSec;
  const small = breakdown.find((row) => row.size === 10);
  const large = breakdown.find((row) => row.size === 10_000);
  const plAttempts = pick(contention.portlease.calls, LOCK_ATTEMPT).calls / contention.portlease.ops;
  const floorAttempts = pick(contention.durable.calls, FLOOR_ATTEMPT).calls / contention.durable.ops;
  // A write that queued created its marker once (open of `w.*`).
  const queuedWrites = pick(contention.portlease.calls, /^open w\.\*$/).calls;
  out.push(
    table(
      ['Target', 'Result', '', 'Where the time goes'],
      [
        [
          'single-process reserve median ≤ 1.6× floor write (10 leases)',
          `${ms(reserveMedian)} ms = ${ratio(reserveMedian, base.durable.write.median)} durable floor (${ms(base.durable.write.median)} ms); ${ratio(reserveMedian, base.plain.write.median)} plain floor (${ms(base.plain.write.median)} ms)`,
          `${status(singleMet)} vs durable; ${status(reserveMedian <= 1.6 * base.plain.write.median)} vs plain`,
          small ? targetWhere(small) : '',
        ],
        [
          '5 services in one call (`reserveAll`) ≤ 1.5× one reserve',
          `${ms(base.batch.reserve.median)} ms = ${ratio(base.batch.reserve.median, reserveMedian)} one reserve (${ms(reserveMedian)} ms, same process, interleaved); releasing the 5 in one call ${ms(base.batch.release.median)} ms = ${ratio(base.batch.release.median, base.pl.release.median)} one release`,
          status(base.batch.reserve.median <= 1.5 * reserveMedian),
          'one lock-free read, one lock, one probe pass (5 OS probes), one durable write: 5 leases cost one transaction, not five',
        ],
        [
          '8-process throughput ≥ 50% of floor',
          `${int(eight.pl.opsPerSec)} writes/s = ${pct(eight.pl.opsPerSec, eight.durable.opsPerSec)} of durable floor (${int(eight.durable.opsPerSec)}/s); ${pct(eight.pl.opsPerSec, eight.plain.opsPerSec)} of plain floor (${int(eight.plain.opsPerSec)}/s)`,
          `${status(tput)} vs durable; ${status(eight.pl.opsPerSec >= 0.5 * eight.plain.opsPerSec)} vs plain`,
          `a write holds the lock ${base.pl.release.median > 1.1 * base.durable.write.median ? 'longer than' : 'about as long as'} the floor's (a release, one write without a probe, takes ${ms(base.pl.release.median)} ms alone against the floor's ${ms(base.durable.write.median)} ms), and it needs ${plAttempts.toFixed(1)} lock tries (\`rename\` of its staging directory, or a listing of \`registry.lock\`) per write against ${floorAttempts.toFixed(1)} (\`mkdir\`), each failed one ~${attemptCost(contention, small)} filesystem calls against 1`,
        ],
        [
          '8-process reserve p99 ≤ 60 ms',
          `${ms(eight.pl.reserve.p99)} ms (release p99 ${ms(eight.pl.release.p99)} ms)`,
          status(eight.pl.reserve.p99 <= 60),
          `lock wait, 8 nonstop writers on 2 cores: a waiter polls (jittered sleeps up to ${wait.cap + 1} ms, shrinking as it keeps waiting) and whoever finds the lock free takes it, until it has waited ${wait.queueAfter ?? '?'} ms; then it queues (a marker in \`registry.wait/\`), everyone not queued yields to the queue, and the queue is served in order (src/lock-queue.ts) — ${pct(queuedWrites, contention.portlease.ops)} of writes queued (${queuedWrites} of ${contention.portlease.ops} in the contention run); the durable floor, which only polls the same way, has p99 ${ms(eight.durable.write.p99)} ms`,
        ],
        [
          '10,000-lease reserve median ≤ 20 ms',
          `${ms(big.pl.reserve.median)} ms in one process; ${ms(big.cold.reserve.median)} ms cold (another process committed a revision before each reserve); durable floor write ${ms(big.durable.write.median)} ms`,
          `${status(big.pl.reserve.median <= 20)} in one process; ${status(big.cold.reserve.median <= 20)} cold`,
          large
            ? `CPU on a ${kb(large.bytes)} revision: a cold read + parse + validate costs ${ms(large.read.median)} ms (\`JSON.parse\` alone ${ms(large.parse.median)} ms); in one process a revision was read ${count(pick(large.calls, REVISION_READ).calls)} times per reserve + release (bytes compared with what this process wrote last, then not parsed again); each write stringifies the registry (${ms(large.stringify.median)} ms) and writes it whole as a new revision`
            : '',
        ],
        [
          '0 duplicates for portlease (8 × 20 ports)',
          `${pl.duplicates} duplicates, ${pl.errors.length} errors`,
          status(pl.duplicates === 0 && pl.errors.length === 0),
          '',
        ],
      ],
    ),
  );
  out.push('');
  out.push(
    `Against get-port (per call, preferred range): reserve median is ${ratio(reserveMedian, getPort.range.median)} get-port's ${ms(getPort.range.median)} ms (${ratio(reserveMedian, getPort.os.median)} its ${ms(getPort.os.median)} ms without a preference) — get-port writes nothing and coordinates nothing across processes.`,
  );
  out.push('');

  out.push('### (a) One process, by registry size');
  out.push('');
  out.push(
    "*Cold*: before each reserve (untimed), another process's commit is imitated: the newest revision is copied to `rev-<N+1>.json` with rev + 1 and one more commit token, as happens when other processes write the registry between two calls of this one. The reserve then reads a revision this process has never seen, so its cache (which compares a revision file's bytes) cannot answer. *Owned*: the filler leases of that row are all bound to one live process (the bench's driver: alive, and not the process that reserves), as a registry full of test workers' leases is, so reading it means asking the OS whether their owner lives; the other rows' filler leases have no owner.",
  );
  out.push('');
  out.push(
    table(
      [
        'leases',
        'revision file',
        'cycles',
        'reserve median / p99',
        'release median / p99',
        'reserve+release median / p99',
        'cold reserve median / p99',
        'floor plain write median',
        'floor durable write median',
        'reserve ÷ durable floor',
        'reserve ÷ plain floor',
      ],
      single.map((row) => {
        return [
          row.owned ? `${int(row.size)}, owned by one live process` : int(row.size),
          kb(row.bytes),
          row.count,
          `${ms(row.pl.reserve.median)} / ${ms(row.pl.reserve.p99)} ms`,
          `${ms(row.pl.release.median)} / ${ms(row.pl.release.p99)} ms`,
          `${ms(row.pl.cycle.median)} / ${ms(row.pl.cycle.p99)} ms`,
          `${ms(row.cold.reserve.median)} / ${ms(row.cold.reserve.p99)} ms`,
          `${ms(row.plain.write.median)} ms`,
          `${ms(row.durable.write.median)} ms`,
          ratio(row.pl.reserve.median, row.durable.write.median),
          ratio(row.pl.reserve.median, row.plain.write.median),
        ];
      }),
    ),
  );
  out.push('');

  out.push('### (b) N processes at once (10-lease registry)');
  out.push('');
  out.push(
    `Each process runs ${concurrent[0]?.count} reserve + release cycles (${2 * plan.perProcess} locked writes) as fast as it can; all processes start each phase together (portlease and the floors interleaved in rounds, as above). Throughput = all writes ÷ the summed wall time of the phases (first start to last end). p99 over every write of every process.`,
  );
  out.push('');
  out.push(
    table(
      [
        'processes',
        'portlease writes/s',
        'reserve median / p99',
        'release p99',
        'floor durable writes/s',
        'durable p99',
        'floor plain writes/s',
        'plain p99',
        'portlease ÷ durable floor',
        'portlease ÷ plain floor',
      ],
      concurrent.map((row) => [
        row.n,
        int(row.pl.opsPerSec),
        `${ms(row.pl.reserve.median)} / ${ms(row.pl.reserve.p99)} ms`,
        `${ms(row.pl.release.p99)} ms`,
        int(row.durable.opsPerSec),
        `${ms(row.durable.write.p99)} ms`,
        int(row.plain.opsPerSec),
        `${ms(row.plain.write.p99)} ms`,
        pct(row.pl.opsPerSec, row.durable.opsPerSec),
        pct(row.pl.opsPerSec, row.plain.opsPerSec),
      ]),
    ),
  );
  out.push('');

  out.push('### (c) get-port per call');
  out.push('');
  out.push(
    table(
      ['call', 'calls', 'median', 'p99', 'portlease reserve median ÷ this'],
      [
        ['`getPort()` (OS-assigned)', getPort.os.n, `${ms(getPort.os.median)} ms`, `${ms(getPort.os.p99)} ms`, ratio(reserveMedian, getPort.os.median)],
        [
          '`getPort({ port: portNumbers(20000, 29999) })`',
          getPort.range.n,
          `${ms(getPort.range.median)} ms`,
          `${ms(getPort.range.p99)} ms`,
          ratio(reserveMedian, getPort.range.median),
        ],
      ],
    ),
  );
  out.push('');

  out.push('### Where the time goes');
  out.push('');
  out.push(breakdownSection(breakdown));
  out.push('');
  out.push(contentionSection(contention, breakdown, wait));
  out.push('');

  out.push('### (d) Collision test');
  out.push('');
  out.push(
    `${plan.collide.processes} processes start together; each asks its library ${plan.collide.ports} times in a row for a port in the preferred range ${COLLIDE_FROM}-${COLLIDE_TO} and keeps the answers without binding them (as a user does between "get a port" and "start the server"); nobody exits until all have asked. portlease: \`reserve({ range: [${COLLIDE_FROM}, ${COLLIDE_TO}], owner: true })\`, leases kept until the end. get-port: \`getPort({ port: portNumbers(${COLLIDE_FROM}, ${COLLIDE_TO}) })\`; portfinder: \`getPortPromise({ port: ${COLLIDE_FROM}, stopPort: ${COLLIDE_TO} })\`; get-port-please: \`getPort({ port: ${COLLIDE_FROM}, portRange: [${COLLIDE_FROM}, ${COLLIDE_TO}] })\`; detect-port: \`detectPort(${COLLIDE_FROM})\`. Duplicates = ports handed out − distinct ports.`,
  );
  out.push('');
  out.push(
    table(
      [
        'library',
        'ports handed out',
        'distinct',
        'duplicates',
        'ports given to ≥ 2 processes',
        'repeats within one process',
        'outside the range',
        'errors',
        'wall time',
      ],
      collisions.map((row) => [
        row.lib,
        row.total,
        row.distinct,
        `**${row.duplicates}**`,
        row.shared,
        row.within,
        row.outside,
        row.errors.length === 0 ? 0 : `${row.errors.length} (${[...new Set(row.errors)].join(', ')})`,
        `${ms(row.wallMs)} ms`,
      ]),
    ),
  );
  out.push('');
  if (quick) out.push('_BENCH_QUICK=1: small iteration counts; the numbers are a smoke test, not a measurement._\n');
  return out.join('\n');
}

function pct(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${Math.round((100 * a) / b)}%`;
}

function kb(bytes) {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** The "where the time goes" cell of the single-process target: calls per write and their steps. */
function targetWhere(small) {
  const fsyncs = pick(small.calls, 'fsync').calls / 2;
  const byStep = steps(small);
  const lock = byStep[1];
  const read = byStep[3];
  const commit = byStep.slice(4, 8).reduce((acc, step) => ({ calls: acc.calls + step.calls, ms: acc.ms + step.ms }), { calls: 0, ms: 0 });
  return (
    `filesystem calls: ~${Math.round(small.fsCalls / 2)} per write (${count(fsyncs)} fsyncs: temp file + directory) against the floor's 8 (1 fsync): ` +
    `lock ${count(lock.calls)} (${ms(lock.ms)} ms), reading the revision ${count(read.calls)} + listings ${count(byStep[2].calls)}, ` +
    `commit ${count(commit.calls)} (${ms(commit.ms)} ms: temp file, link, directory fsync, prune); probe ${ms(small.probe.median)} ms and a bare lock cycle ${ms(small.lock.median)} ms are small`
  );
}

/**
 * Per-cycle filesystem calls (counted and timed in place) for each registry size, the
 * same grouped by the steps of a write, the parts timed on their own, and a one-paragraph
 * reading of them.
 */
function breakdownSection(breakdown) {
  const out = [];
  out.push(
    'Every filesystem call of the reserve + release cycles was counted and timed in place (fs.promises, FileHandle methods, the callback API and the synchronous API; a call made inside another, like the lstat + unlink of `fs.promises.rm`, counts once), labelled by call and file with the random parts of names folded (`rev-*.json`, `.tmp-*`, `.lock-*`, `h.*`; `registry/` is the directory of revisions, `(home)` the home). A transaction makes them one after another, so their times add up. Per cycle (one reserve + one release), mean over the cycles (pruning removes 4 old revisions every 4th commit, which a median over cycles would hide):',
  );
  out.push('');
  const labels = new Set(breakdown.flatMap((row) => Object.keys(row.calls)));
  const cell = (row, label) => row.calls[label] ?? { calls: 0, ms: 0 };
  const first = breakdown[0];
  const sorted = [...labels].sort((a, b) => cell(first, b).ms - cell(first, a).ms);
  const rows = sorted.map((label) => [`\`${label}\``, ...breakdown.flatMap((row) => [count(cell(row, label).calls), ms(cell(row, label).ms)])]);
  rows.push(['**all filesystem calls**', ...breakdown.flatMap((row) => [count(row.fsCalls), ms(row.fs.median)])]);
  rows.push(['**rest: CPU (JSON parse/stringify, validation, GC), probe, event loop**', ...breakdown.flatMap((row) => ['', ms(row.rest.median)])]);
  rows.push(['**cycle**', ...breakdown.flatMap((row) => ['', ms(row.cycle.median)])]);
  out.push(table(['call', ...breakdown.flatMap((row) => [`${int(row.size)} leases: calls`, 'ms'])], rows));
  out.push('');
  out.push(
    "The same calls by step of a write, **per write** (half a cycle; the reserve's lock-free read before its transaction is in the listings and the reading rows):",
  );
  out.push('');
  const grouped = breakdown.map((row) => steps(row));
  out.push(
    table(
      ['step', ...breakdown.flatMap((row) => [`${int(row.size)} leases: calls`, 'ms'])],
      [
        ...grouped[0].map((step, i) => [step.name, ...grouped.flatMap((row) => [count(row[i].calls), ms(row[i].ms)])]),
        ['**all**', ...breakdown.flatMap((row) => [count(row.fsCalls / 2), ms(row.fs.median / 2)])],
      ],
    ),
  );
  out.push('');
  out.push('Timed on their own right after, in the same process (median):');
  out.push('');
  out.push(
    table(
      [
        'leases',
        'revision file',
        'reserve',
        'release',
        '`probePort()` (4 binds)',
        "cold read: `list({ port: 1 })` after another process's commit (listing ×2 + read + parse + validate)",
        '`JSON.parse` alone',
        '`JSON.stringify` alone',
        'empty transaction: `prune()` with nothing to prune (lock + read + unlock, no commit)',
        'bare lock cycle (mkdir, open + close, rename, unlink, as src/lock.ts)',
      ],
      breakdown.map((row) => [
        int(row.size),
        kb(row.bytes),
        `${ms(row.reserve.median)} ms`,
        `${ms(row.release.median)} ms`,
        `${ms(row.probe.median)} ms`,
        `${ms(row.read.median)} ms`,
        `${ms(row.parse.median)} ms`,
        `${ms(row.stringify.median)} ms`,
        `${ms(row.empty.median)} ms`,
        `${ms(row.lock.median)} ms`,
      ]),
    ),
  );
  out.push('');
  const small = breakdown.find((row) => row.size === 10);
  const large = breakdown.find((row) => row.size === 10_000);
  const parts = [];
  if (small) {
    const fsync = pick(small.calls, 'fsync');
    const byStep = steps(small);
    parts.push(
      `**Reading.** At 10 leases the cycle (${ms(small.cycle.median)} ms) is almost all filesystem calls: ${count(small.fsCalls)} of them (${count(fsync.calls)} fsyncs, ${ms(fsync.ms)} ms), ${ms(small.fs.median)} ms in all, ` +
        `where the durable floor makes 8 per write (mkdir, readFile, open, write, fsync, close, rename, rmdir), 16 per cycle with 2 fsyncs. ` +
        `Beyond the floor's, portlease's calls per write are: the lock's ${count(byStep[1].calls)} (${ms(byStep[1].ms)} ms: stage mkdir, entry open + close, rename, lstat of the entry after the commit, unlink, against the floor's mkdir + rmdir), ` +
        `the listings that find the newest revision (${count(byStep[2].calls)}, ${ms(byStep[2].ms)} ms; the one under the lock also confirms the lock-free read, which is then not read again), the revision read as open + fstat + read + close, ` +
        `the directory checks (${count(byStep[0].calls)}), the commit's \`link\` (${ms(byStep[5].ms)} ms), the directory fsync (${ms(byStep[6].ms)} ms), the unlink of the temp name, and pruning (on average ${count(byStep[7].calls)} \`unlink\` per write, ${ms(byStep[7].ms)} ms). ` +
        `The reserve also reads the registry once without the lock before its transaction. An empty transaction (lock + read, no commit) costs ${ms(small.empty.median)} ms; probing (${ms(small.probe.median)} ms) and the bare lock cycle (${ms(small.lock.median)} ms) are cheap.`,
    );
  }
  if (large) {
    parts.push(
      `At 10,000 leases (${kb(large.bytes)}) the cycle is ${ms(large.cycle.median)} ms, ${ms(large.rest.median)} ms of it CPU: each of the 2 writes stringifies the whole registry (${ms(large.stringify.median)} ms) and writes it whole as a new revision, and pruning deletes as many old ${kb(large.bytes)} revisions (${ms(steps(large)[7].ms)} ms per write on average, against ${ms(steps(small ?? large)[7].ms)} ms at ${int((small ?? large).size)} leases); in this single process a revision was read in full ${count(pick(large.calls, REVISION_READ).calls)} times per cycle (its bytes are compared with what this process wrote or read last and, when equal, not parsed again). ` +
        `A cold read (listing ×2 + read + parse + validate of a revision another process committed) costs ${ms(large.read.median)} ms (\`JSON.parse\` alone ${ms(large.parse.median)} ms); a reserve pays it whenever another process wrote in between (the cold column of (a)).`,
    );
  }
  return [...out, parts.join(' ')].join('\n');
}

/** What a write costs when 8 processes want the lock at once. */
function contentionSection(contention, breakdown, wait) {
  const pl = contention.portlease;
  const floor = contention.durable;
  const sum = (calls, pick = () => true) =>
    Object.entries(calls)
      .filter(([label]) => pick(label))
      .reduce((acc, [, entry]) => ({ calls: acc.calls + entry.calls, ms: acc.ms + entry.ms }), { calls: 0, ms: 0 });
  const plAttempts = pick(pl.calls, LOCK_ATTEMPT).calls / pl.ops;
  const floorAttempts = pick(floor.calls, FLOOR_ATTEMPT).calls / floor.ops;
  const plAll = sum(pl.calls);
  const floorAll = sum(floor.calls);
  const rows = [
    [
      'portlease',
      int(pl.ops),
      plAttempts.toFixed(1),
      (plAll.calls / pl.ops).toFixed(1),
      `${ms(plAll.ms / pl.ops)} ms`,
      `${ms(pl.write.median)} / ${ms(pl.write.p99)} ms`,
      int(pl.opsPerSec),
    ],
    [
      'durable floor',
      int(floor.ops),
      floorAttempts.toFixed(1),
      (floorAll.calls / floor.ops).toFixed(1),
      `${ms(floorAll.ms / floor.ops)} ms`,
      `${ms(floor.write.median)} / ${ms(floor.write.p99)} ms`,
      int(floor.opsPerSec),
    ],
  ];
  const uncontended = breakdown.find((row) => row.size === 10);
  return [
    'Under contention (8 processes at once, 10-lease registry, every filesystem call counted in each process; the counting itself slows things a little), per write:',
    '',
    table(
      [
        '',
        'writes',
        'lock tries per write (portlease: `rename` of its staging dir or a listing of `registry.lock`; floor: `mkdir`)',
        'filesystem calls per write',
        'time in filesystem calls per write',
        'write median / p99',
        'writes/s',
      ],
      rows,
    ),
    '',
    `A portlease waiter's first try is a \`rename\` of its staging directory onto \`registry.lock\` that fails with ENOTEMPTY; after that it lists \`registry.lock\` and renames only when it looks free (a failed rename opens a journal handle, which holds up the holder's fsync; a listing does not). At the first failed try and every 4th after it (src/lock.ts) it looks at the holder (\`readdir registry.lock\`, \`lstat\` of the holder's entry, a liveness check of its pid): ~${attemptCost(contention, uncontended)} filesystem calls per failed try on average, estimated from the counts above against the uncontended ${uncontended ? (uncontended.fsCalls / 2).toFixed(1) : '?'} per write. The staging directory is built once per write (mkdir, entry open + close), not per try. A failed floor attempt is one mkdir. Both then sleep 1 ms plus jitter of up to ${wait.cap} ms on the first failed attempt, shrinking by 1 ms per attempt (to 1 ms), so that long waiters poll more often than newcomers. The lock is still not a queue: a process can lose several times in a row, which is what the p99s show.${lost(pl)}`,
  ].join('\n');
}

/** Commits lost to another writer (a second `link` to the same name), if any were counted. */
function lost(pl) {
  const links = pick(pl.calls, /^link \.tmp-\* → rev-\*\.json$/).calls;
  if (links === 0) return '';
  const extra = links - pl.ops;
  return ` Commits (\`link\`) per write: ${(links / pl.ops).toFixed(2)}${extra > 0 ? ` (${extra} lost to another writer and retried: the lock was passed over while held)` : ' (none lost: the lock kept writers in turn)'}.`;
}

/**
 * Filesystem calls per failed portlease lock attempt, estimated: the extra calls per write
 * under contention (over the uncontended count) divided by the extra attempts per write.
 */
function attemptCost(contention, small) {
  const pl = contention.portlease;
  const calls = Object.values(pl.calls).reduce((sum, entry) => sum + entry.calls, 0) / pl.ops;
  const attempts = pick(pl.calls, LOCK_ATTEMPT).calls / pl.ops;
  if (!small || attempts <= 1.05) return 'n/a';
  return ((calls - small.fsCalls / 2) / (attempts - 1)).toFixed(1);
}
