// ATTACK finding 3, end to end: a 2 s ttl lease granted after a (played) 3 s suspend during the lock wait, then
// another process asks for the same port at once. Usage: node test/attack/suspend-demo.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistry } from '../../dist/index.js';
const FIX = new URL('../fixtures/', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const run = (args, env = {}) => {
  const c = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  c.line = async (re) => {
    while (!out.split('\n').some((l) => re.test(l))) await sleep(5);
    return out.split('\n').find((l) => re.test(l));
  };
  return c;
};
const isStopped = (pid) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).startsWith('T');
};
const home = mkdtempSync(join(tmpdir(), 'pl-susp-'));
await openRegistry({ home }).reserve('seed', { app: 'q', instance: 'q', durable: true });
const H = run([`${FIX}grab.mjs`, home, '1', '-'], { GRAB_HOLD: '1', PORTLEASE_FAULT: 'link#1:stop' });
while (!isStopped(H.pid)) await sleep(5);
const V = run(['--import', `${FIX}suspend.mjs`, `${FIX}reserve-ttl.mjs`, home, 'web', '2s'], { SUSPEND_MS: '3000' });
while (!readdirSync(home).some((n) => n.startsWith(`.lock-${V.pid}-`))) await sleep(5);
await sleep(3000);
V.kill('SIGUSR2');
H.kill('SIGCONT');
const lease = JSON.parse(await V.line(/^\{/));
const grantedAt = Date.now();
console.log('V granted', lease.port, 'ttl 2s, expiresAt', lease.expiresAt, 'real now', new Date(grantedAt).toISOString());
const W = run([`${FIX}want-port.mjs`, home, String(lease.port)]);
const w = JSON.parse(await W.line(/^\{/));
console.log('W asked the same port', Math.round(Date.now() - grantedAt), 'ms after V was granted it for 2 s:', JSON.stringify(w));
H.kill('SIGKILL');
