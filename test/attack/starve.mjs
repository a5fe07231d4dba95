// ATTACK starvation driver: a waiter queued behind a stopped waiter, briefly stopped itself
// (so that running writers pass it over), then resumed while two writers loop.
// Usage: node test/attack/starve.mjs [trials]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistry } from '../../dist/index.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const isStopped = (pid) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).startsWith('T');
};
const until = async (f) => {
  while (!(await f())) await sleep(5);
};
const markers = (home) => (existsSync(join(home, 'registry.wait')) ? readdirSync(join(home, 'registry.wait')) : []);
const queued = (home, pid) => until(() => markers(home).some((n) => n.startsWith(`w.${pid}.`)));
function start(args, env = {}) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.line = (re) => until(() => out.split('\n').find((l) => re.test(l))).then(() => out.split('\n').find((l) => re.test(l)));
  return child;
}
const trials = Number(process.argv[2] ?? 3);
const STOP_W = process.env.STOP_W !== '0';
for (let t = 0; t < trials; t++) {
  const home = mkdtempSync(join(tmpdir(), 'pl-starve-'));
  await openRegistry({ home }).reserve('seed', { app: 'q', instance: 'q', durable: true });
  const H = start([`${FIX}grab.mjs`, home, '1', '-'], { GRAB_HOLD: '1', PORTLEASE_FAULT: 'link#1:stop' });
  await until(() => isStopped(H.pid));
  const S = start([`${FIX}grab.mjs`, home, '1', '-'], { GRAB_HOLD: '1' });
  await queued(home, S.pid);
  S.kill('SIGSTOP');
  const W = start([`${FIX}grab.mjs`, home, '1', '-'], { GRAB_HOLD: '1', GRAB_DEADLINE: '12000' });
  const began = Date.now();
  await queued(home, W.pid);
  if (STOP_W) W.kill('SIGSTOP');
  const loops = [start([`${FIX}loop.mjs`, home]), start([`${FIX}loop.mjs`, home])];
  H.kill('SIGCONT');
  await Promise.all(loops.map((l) => l.line(/READY/)));
  await sleep(300);
  if (STOP_W) W.kill('SIGCONT');
  const report = JSON.parse(await W.line(/^\{"pid"/));
  const waited = Date.now() - began;
  const m = markers(home);
  for (const c of [H, S, W, ...loops]) {
    try {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    } catch {}
  }
  console.log(
    JSON.stringify({
      trial: t,
      stopW: STOP_W,
      waitedMs: waited,
      granted: report.granted.length,
      errors: report.errors.map((e) => e.slice(0, 80)),
      markersAtEnd: m.length,
    }),
  );
}
