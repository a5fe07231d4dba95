// ATTACK storm driver (branch attack; not a vitest file). Per trial, on a fresh temp home:
// a victim SIGKILLed at a random fs call of its reserve/release loop (kill or kill-after),
// then WAITERS processes rushing (half named, half anonymous, EACH leases each), some of
// them stopped at a random fs call and resumed 0.5–2.5 s later (passed over with
// stale = 1000), some SIGKILLed at a random call, some with an EIO at their first fsync (the
// revert path) or a later one. Checks: every grant reported by a process is in the final
// registry (by id and port), no id and no port reported twice.
// Usage: node test/attack/storm.mjs <trials> [waiters] > log
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistry } from '../../dist/index.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const TRIALS = Number(process.argv[2] ?? 10);
const WAITERS = Number(process.argv[3] ?? 16);
const EACH = 3;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (n) => Math.floor(Math.random() * n);

function start(args, env) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.report = new Promise((resolve) => {
    const check = setInterval(() => {
      const line = out.split('\n').find((l) => l.startsWith('{"pid"'));
      if (line) {
        clearInterval(check);
        resolve(JSON.parse(line));
      }
    }, 10);
    child.on('exit', (code, signal) => {
      setTimeout(() => {
        clearInterval(check);
        const line = out.split('\n').find((l) => l.startsWith('{"pid"'));
        resolve(line ? JSON.parse(line) : { pid: child.pid, killed: signal ?? code, granted: [], errors: [], stderr: err.slice(-500) });
      }, 50);
    });
  });
  child.stderrText = () => err;
  return child;
}

const summary = { trials: 0, grants: 0, errors: 0, stops: 0, kills: 0, eio: 0, violations: 0, errorKinds: {} };
for (let trial = 0; trial < TRIALS; trial++) {
  const home = mkdtempSync(join(tmpdir(), 'pl-storm-'));
  const victim = start([`${FIX}loop.mjs`, home], { PORTLEASE_FAULT: `${8 + pick(120)}:${Math.random() < 0.5 ? 'kill' : 'kill-after'}` });
  // A kill-after on a call that fails never fires (fsio.ts kills only after a call that
  // returned): such a victim loops on; it is killed here after a while instead.
  const stray = setTimeout(() => victim.kill('SIGKILL'), 3000 + pick(2000));
  await new Promise((r) => victim.on('exit', r));
  clearTimeout(stray);
  const kinds = [];
  const children = Array.from({ length: WAITERS }, (_, index) => {
    const roll = Math.random();
    let fault = '';
    let kind = 'plain';
    if (roll < 0.2) {
      fault = `${6 + pick(20)}:stop`;
      kind = 'stop';
    } else if (roll < 0.3) {
      fault = `${1 + pick(70)}:${Math.random() < 0.5 ? 'kill' : 'kill-after'}`;
      kind = 'kill';
    } else if (roll < 0.4) {
      fault = `fsync#${1 + pick(6)}:EIO`;
      kind = 'eio';
    }
    kinds.push(kind);
    const skew = index % 4 === 1 ? ['--import', `${FIX}skew.mjs`] : [];
    return start([...skew, `${FIX}grab.mjs`, home, String(EACH), index % 2 === 0 ? 'svc' : '-'], {
      SKEW_MS: String(index % 8 === 1 ? 7_200_000 : -7_200_000),
      GRAB_HOLD: '1',
      GRAB_STALE: '1000',
      GRAB_DEADLINE: '20000',
      ...(fault ? { PORTLEASE_FAULT: fault } : {}),
    });
  });
  // Resume stopped ones after a while (polling their state).
  const resumer = (async () => {
    const until = Date.now() + 30000;
    const resumed = new Set();
    while (Date.now() < until && resumed.size < kinds.filter((k) => k === 'stop').length) {
      for (const [i, child] of children.entries()) {
        if (kinds[i] !== 'stop' || resumed.has(i)) continue;
        try {
          const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
          if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) {
            resumed.add(i);
            summary.stops += 1;
            setTimeout(() => child.kill('SIGCONT'), 500 + Math.random() * 2000);
          }
        } catch {
          resumed.add(i);
        }
      }
      await sleep(50);
    }
  })();
  const reports = await Promise.all(children.map((c) => c.report));
  await resumer;
  const live = await openRegistry({ home }).list();
  const byId = new Map(live.map((l) => [l.id, l.port]));
  const granted = reports.flatMap((r) => r.granted.map((g) => ({ ...g, pid: r.pid })));
  const errors = reports.flatMap((r) => r.errors.map((e) => ({ e, pid: r.pid })));
  const lost = granted.filter((g) => byId.get(g.id) !== g.port);
  const dupIds = granted.filter((g, i) => granted.findIndex((o) => o.id === g.id) !== i);
  const dupPorts = granted.filter((g, i) => granted.findIndex((o) => o.port === g.port) !== i);
  summary.trials += 1;
  summary.grants += granted.length;
  summary.errors += errors.length;
  summary.kills += kinds.filter((k) => k === 'kill').length;
  summary.eio += kinds.filter((k) => k === 'eio').length;
  for (const { e } of errors) {
    const key = e
      .replace(/\/tmp\/\S+/g, '…')
      .replace(/\d+/g, 'N')
      .slice(0, 90);
    summary.errorKinds[key] = (summary.errorKinds[key] ?? 0) + 1;
  }
  if (lost.length || dupIds.length || dupPorts.length) {
    summary.violations += 1;
    console.log(JSON.stringify({ trial, home, lost, dupIds, dupPorts, kinds, reports, revs: readdirSync(join(home, 'registry')) }));
  }
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.on('exit', r)))));
  let waitLeft = [];
  try {
    waitLeft = readdirSync(join(home, 'registry.wait'));
  } catch {}
  console.log(`trial ${trial}: waitLeft ${waitLeft.length} grants ${granted.length} errors ${errors.length} kinds ${kinds.join(',')}`);
}
console.log('SUMMARY', JSON.stringify(summary));
