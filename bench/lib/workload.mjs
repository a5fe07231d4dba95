/**
 * What the core benchmark does, shared by the driver and its child processes: registry
 * fixtures of a given size, and the "floor" — the least any cross-process registry on one
 * JSON file can do per write (an atomic mkdir lock, read, parse, change, stringify, write,
 * rmdir), in two flavours: a plain in-place `writeFile`, and a durable write (temp file +
 * fsync + rename) like the one portlease needs for its "never returned unless durably
 * written" guarantee.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** The registry file name and schema version portlease uses (src/defaults.ts). */
export const REGISTRY_FILE = 'registry.json';
export const SCHEMA_VERSION = 1;

/** Range the benchmark reserves from (portlease's default range, given explicitly). */
export const RESERVE_RANGE = [20000, 29999];
/** Filler leases sit on 30000 + i, outside RESERVE_RANGE, so they never block a reserve. */
export const FILLER_BASE = 30000;

/**
 * A valid registry (schema of src/schema.ts) holding `count` durable named leases, each
 * with its sticky entry, as a registry that has been used for a while would.
 */
export function fillerRegistry(count) {
  const createdAt = new Date().toISOString();
  const leases = [];
  const sticky = [];
  for (let i = 0; i < count; i++) {
    const service = `svc-${i}`;
    const port = FILLER_BASE + i;
    leases.push({ id: i + 1, port, app: 'bench-fill', instance: 'default', service, owner: null, expiresAt: null, createdAt });
    sticky.push({ key: `bench-fill/default/${service}`, port });
  }
  return { schema: SCHEMA_VERSION, rev: 1, nextId: count + 1, leases, sticky };
}

/** Creates `dir` (0700) with a registry file (0600) of `count` filler leases; returns the file. */
export async function writeFilledRegistry(dir, count) {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, REGISTRY_FILE);
  await fs.writeFile(file, `${JSON.stringify(fillerRegistry(count))}\n`, { mode: 0o600 });
  return file;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * portlease's wait between lock attempts is 1 ms + random × max(1, cap − attempt)
 * (src/lock.ts: long waiters poll more often than newcomers). The floor waits the same way with the same cap, read from src/lock.ts by
 * core.mjs (`MAX_WAIT_MS`) and passed down; this is the fallback.
 */
export const DEFAULT_WAIT_CAP_MS = 12;

/** Takes an mkdir lock, waiting between attempts the way portlease does. */
async function mkdirLock(lock, waitCap) {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.mkdir(lock);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      await sleep(1 + Math.random() * Math.max(1, waitCap - attempt));
    }
  }
}

let tempCounter = 0;

/**
 * One floor write: lock, read + parse, `change(data)`, stringify + write, unlock.
 * `mode` is 'plain' (writeFile in place) or 'durable' (temp + fsync + rename).
 */
export async function floorWrite(dir, mode, change, waitCap = DEFAULT_WAIT_CAP_MS) {
  const file = join(dir, REGISTRY_FILE);
  const lock = join(dir, 'floor.lock');
  await mkdirLock(lock, waitCap);
  try {
    const data = JSON.parse(await fs.readFile(file, 'utf8'));
    change(data);
    const text = `${JSON.stringify(data)}\n`;
    if (mode === 'plain') {
      await fs.writeFile(file, text);
    } else {
      const temp = join(dir, `.floor.${process.pid}-${tempCounter++}.tmp`);
      const handle = await fs.open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, file);
    }
  } finally {
    await fs.rmdir(lock);
  }
}

/**
 * The floor's counterpart of reserve + release: a write that adds a lease on a port no
 * other lease has, then a write that removes it. Returns both latencies in ms.
 */
export async function floorCycle(dir, mode, waitCap = DEFAULT_WAIT_CAP_MS, [from, to] = RESERVE_RANGE) {
  let id = 0;
  const t0 = performance.now();
  await floorWrite(dir, mode, (data) => {
    const used = new Set(data.leases.map((lease) => lease.port));
    let port = from + Math.floor(Math.random() * (to - from + 1));
    while (used.has(port)) port = port === to ? from : port + 1;
    id = data.nextId++;
    data.rev += 1;
    data.leases.push({ id, port, app: 'bench', instance: 'default', service: null, owner: null, expiresAt: null, createdAt: new Date().toISOString() });
  }, waitCap);
  const t1 = performance.now();
  await floorWrite(dir, mode, (data) => {
    data.rev += 1;
    data.leases = data.leases.filter((lease) => lease.id !== id);
  }, waitCap);
  return [t1 - t0, performance.now() - t1];
}

let coldCounter = 0;

/**
 * One portlease reserve + release through a bound registry. Returns both latencies in ms.
 * With `cold`, the registry file's mtime is changed first (untimed), as when another
 * process wrote it in between: nothing cached in this process about the file can be used.
 */
export async function portleaseCycle(registry, range = RESERVE_RANGE, { cold = false } = {}) {
  if (cold) {
    const stamp = new Date(Date.now() - 1000 * ++coldCounter);
    await fs.utimes(join(registry.home, REGISTRY_FILE), stamp, stamp);
  }
  const t0 = performance.now();
  const lease = await registry.reserve({ range, label: 'bench' });
  const t1 = performance.now();
  await lease.release();
  return [t1 - t0, performance.now() - t1];
}

/** Absolute high-resolution time in ms, comparable across processes of one machine. */
export function now() {
  return performance.timeOrigin + performance.now();
}
