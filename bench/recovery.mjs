/**
 * Recovery after a SIGKILL: a child reserves and releases in a tight loop and is killed
 * at a random moment, often while it holds the registry lock. We time the next reserve()
 * from another process, by what the kill left behind. The lock (src/lock.ts) is the
 * directory `registry.lock/`: free when missing or empty, held when it contains one entry,
 * an empty file named after its holder (`h.<pid>.<start>.<boot>.<place>.<since>.<token>`),
 * which appears with the lock in one `rename`. So a kill leaves one of:
 *   - "no lock left": `registry.lock/` missing or empty (killed outside the lock; a release
 *     removes the entry and leaves the directory empty) → nothing to wait for;
 *   - "dead holder": one entry naming the dead pid → passed over at once (the pid is gone).
 * A lock without its holder's name (the old "holder unknown" case, killed between the
 * mkdir and the holder record) can no longer happen.
 *
 * Then three cases made on purpose (fault injection of src/fsio.ts, PORTLEASE_FAULT):
 * a holder killed at the commit point (just before its `link`), a holder stopped there
 * (SIGSTOP: alive but silent, passed over after the stale time) and an empty `registry.lock/`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the lock directory of `home` holds: 'missing', 'empty', or its entries. */
function lockState(home) {
  const lock = join(home, 'registry.lock');
  if (!existsSync(lock)) return { state: 'missing', entries: [] };
  const entries = readdirSync(lock);
  return { state: entries.length === 0 ? 'empty' : 'held', entries };
}

/** Staging directories (`.lock-*` in the home) and temp files (`.tmp-*` in registry/) a kill left. */
function leftovers(home) {
  const stages = readdirSync(home).filter((name) => name.startsWith('.lock-')).length;
  const temps = existsSync(join(home, 'registry')) ? readdirSync(join(home, 'registry')).filter((name) => name.startsWith('.tmp-')).length : 0;
  return { stages, temps };
}

/** Linux: whether `pid` is stopped (state T in /proc/<pid>/stat). */
function stopped(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^\S+ \(.*\) [Tt] /.test(stat);
  } catch {
    return false;
  }
}

export async function run(ctx) {
  const { openRegistry } = await import(`${ctx.dist}/index.js`);
  const loop = join(ctx.home, 'loop.mjs');
  writeFileSync(
    loop,
    `import { openRegistry } from ${JSON.stringify(`${ctx.dist}/index.js`)};
const registry = openRegistry({ home: process.argv[2] });
if (process.argv[3] === 'once') { console.log('READY'); await registry.reserve({ label: 'once' }); process.exit(0); }
for (let i = 0; ; i++) { const lease = await registry.reserve({ label: 'loop' }); if (i === 0) console.log('READY'); await lease.release(); }
`,
  );
  const { PORTLEASE_FAULT: _fault, ...baseEnv } = process.env;
  const timeAReserve = async (home) => {
    const registry = openRegistry({ home });
    const started = performance.now();
    await (await registry.reserve({ label: 'after' })).release();
    return performance.now() - started;
  };

  const kills = ctx.quick ? 6 : 30;
  const byCase = new Map();
  const left = { stages: 0, temps: 0 };
  let unexpected = 0;
  for (let i = 0; i < kills; i++) {
    const home = mkdtempSync(join(ctx.home, 'kill-'));
    const child = spawn(process.execPath, [loop, home], { stdio: ['ignore', 'pipe', 'inherit'], env: baseEnv });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    await sleep(20 + Math.random() * 200);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    const lock = lockState(home);
    let kind;
    if (lock.state !== 'held') kind = 'no lock left';
    else if (lock.entries.length === 1 && lock.entries[0].startsWith(`h.${child.pid}.`)) kind = 'dead holder';
    else {
      kind = `unexpected lock content (${lock.entries.join(', ')})`;
      unexpected += 1;
    }
    const rest = leftovers(home);
    left.stages += rest.stages;
    left.temps += rest.temps;
    const ms = await timeAReserve(home);
    if (!byCase.has(kind)) byCase.set(kind, { values: [], empty: 0 });
    byCase.get(kind).values.push(ms);
    if (lock.state === 'empty') byCase.get(kind).empty += 1;
    rmSync(home, { recursive: true, force: true });
  }

  /** A child that runs one reserve with `fault` (PORTLEASE_FAULT) on a seeded home. */
  const faulted = async (fault) => {
    const home = mkdtempSync(join(ctx.home, `${fault.replace(/\W/g, '-')}-`));
    await (await openRegistry({ home }).reserve({ label: 'seed' })).release();
    const child = spawn(process.execPath, [loop, home, 'once'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...baseEnv, PORTLEASE_FAULT: fault } });
    const closed = new Promise((resolve) => child.once('close', resolve));
    return { home, child, closed };
  };

  // Killed at the commit point: holds the lock, its temp file written, no link yet.
  const killed = await faulted('link#1:kill');
  await killed.closed;
  const killedLock = lockState(killed.home);
  const killedMs = await timeAReserve(killed.home);
  rmSync(killed.home, { recursive: true, force: true });

  // Stopped at the commit point: alive, holding the lock, silent (no heartbeat).
  const halted = await faulted('link#1:stop');
  let stopMs = NaN;
  let haltedLock;
  try {
    const deadline = Date.now() + 30_000;
    // Without /proc (not Linux): wait until it holds the lock, then a little longer.
    const there = () =>
      existsSync('/proc/self/stat') ? stopped(halted.child.pid) : lockState(halted.home).entries.some((entry) => entry.startsWith(`h.${halted.child.pid}.`));
    while (!there() && Date.now() < deadline) await sleep(10);
    if (!existsSync('/proc/self/stat')) await sleep(500);
    haltedLock = lockState(halted.home);
    stopMs = await timeAReserve(halted.home);
  } finally {
    halted.child.kill('SIGKILL');
    await halted.closed;
    rmSync(halted.home, { recursive: true, force: true });
  }

  // An empty lock directory: free (rename replaces it). Every release leaves it so.
  const home = mkdtempSync(join(ctx.home, 'empty-'));
  await (await openRegistry({ home }).reserve({ label: 'seed' })).release();
  mkdirSync(join(home, 'registry.lock'), { recursive: true });
  const emptyMs = await timeAReserve(home);
  rmSync(home, { recursive: true, force: true });

  const cases = [...byCase].sort(([a], [b]) => a.localeCompare(b));
  const rows = cases.map(
    ([kind, { values, empty }]) =>
      `| ${kind}${empty ? ` (${empty} of them an empty \`registry.lock/\`)` : ''} | ${values.length} | ${median(values).toFixed(1)} | ${Math.max(...values).toFixed(1)} |`,
  );
  const held = (lock) => (lock?.state === 'held' ? `\`registry.lock/${lock.entries[0]?.replace(/^(h\.\d+)\..*$/, '$1.…')}\`` : `lock ${lock?.state ?? '?'}`);
  if (ctx.headline) {
    ctx.headline.recovery = {
      kills,
      cases: Object.fromEntries(cases.map(([kind, { values }]) => [kind, { runs: values.length, median: median(values), max: Math.max(...values) }])),
      killedMs,
      stopMs,
      emptyMs,
    };
  }
  return [
    '## Recovery after SIGKILL',
    '',
    `${kills} children reserving/releasing in a loop were SIGKILLed at random moments; then one reserve+release from this process was timed. Default lock timings (stale 10 s). The lock is \`registry.lock/\` holding one entry named after its holder (\`h.<pid>.…\`), or missing/empty when free; the entry appears with the lock in one \`rename\`, so a lock whose holder is unknown cannot be left.`,
    '',
    '| what the kill left | runs | median ms | max ms |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `Left besides the lock, over all ${kills} kills (swept by later writers once their pid is gone): ${left.stages} staging director${left.stages === 1 ? 'y' : 'ies'} \`.lock-*\`, ${left.temps} temp file${left.temps === 1 ? '' : 's'} \`registry/.tmp-*\`.${unexpected ? ` **${unexpected} kill(s) left an unexpected lock content.**` : ''}`,
    '',
    'Made on purpose (PORTLEASE_FAULT, src/fsio.ts), then one reserve+release timed:',
    '',
    '| case | what it left | reserve+release ms |',
    '| --- | --- | ---: |',
    `| holder SIGKILLed just before its commit (\`link#1:kill\`) | ${held(killedLock)}, a temp file | ${killedMs.toFixed(1)} |`,
    `| holder SIGSTOPped just before its commit (\`link#1:stop\`): alive but silent | ${held(haltedLock)} | ${stopMs.toFixed(1)} |`,
    `| empty \`registry.lock/\` | free lock | ${emptyMs.toFixed(1)} |`,
    '',
    "Target: fast when the holder is provably dead, never longer than the stale time (a holder that is alive but makes no sign of life is passed over after 10 s of the waiter's own clock; its late commit, if it ever resumed, would lose the compare-and-swap).",
  ].join('\n');
}
