/**
 * Process and socket helpers of the proxy benchmark: start a helper script and read its
 * first line, stop it, and read what Linux says about a process (RSS, CPU time, the
 * connections it holds to a port). Off Linux the readings are NaN and the report says n/a.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

/** Starts `node <script> …args`; resolves with the child and its first stdout line. */
export async function start(script, args, env = process.env) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([once(lines, 'line'), once(child, 'exit').then(([code]) => Promise.reject(new Error(`${script} exited with ${code}`)))]);
  return { child, line };
}

/** SIGTERM to a child that is still running. */
export function stop(child) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

/** SIGTERM, then resolves once the child has exited (its port is free again). */
export async function stopped(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** VmRSS of a process in bytes (Linux), or NaN. */
export async function rssOf(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

let ticks;
/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 where it fails). */
function clockTicks() {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** Seconds of CPU (user + system) a running process has used so far (Linux), or NaN. */
export async function cpuOf(pid) {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name in field 2 may hold spaces: count fields after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/**
 * Connections process `pid` holds open to `port` (ss), or NaN where ss is missing: counted
 * at the proxy, because the backend's own count also holds the idle pooled connections of
 * the proxy measured just before (the targets are interleaved).
 */
export function connectionsOf(pid, port) {
  return new Promise((resolve) => {
    execFile('ss', ['-Htnp', 'state', 'established', `( dport = :${port} )`], { maxBuffer: 64 * 1024 ** 2 }, (error, stdout) => {
      resolve(error ? Number.NaN : stdout.split('\n').filter((line) => line.includes(`pid=${pid},`)).length);
    });
  });
}

/** GET a JSON document from 127.0.0.1:port on a fresh connection. */
export function getJson(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once 127.0.0.1:port accepts a connection; throws after about 10 s. */
export async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/**
 * Seconds of CPU the whole machine has spent busy so far (user, nice, system, irq, softirq,
 * steal over all cores; /proc/stat, Linux), or NaN: set against the benchmark's own
 * processes, it tells whether the cores were saturated and how much went elsewhere.
 */
export async function machineBusy() {
  try {
    const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + steal) / clockTicks();
  } catch {
    return Number.NaN;
  }
}
