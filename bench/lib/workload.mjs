/**
 * What the core benchmark does, shared by the driver and its child processes: registry
 * fixtures of a given size, and the "floor" — the least any cross-process registry on one
 * JSON file can do per write (an atomic mkdir lock, read, parse, change, stringify, write,
 * rmdir), in two flavours: a plain in-place `writeFile`, and a durable write (temp file +
 * fsync + rename) like the one portlease needs for its "never returned unless durably
 * written" guarantee.
 *
 * portlease's own fixtures are what it reads today (src/storage.ts): a directory
 * `<home>/registry/` of immutable revision files `rev-<12-digit N>.json`, the newest of
 * which is the registry. (portlease 0.1's single `registry.json` is still read when no
 * revision exists, but only to migrate it: a fixture in that shape would measure the
 * migration, not the commit path.) The floors keep their single `registry.json`: they
 * model the least a one-file registry can do, and are the baseline measured in the same run.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** The floor's registry file (one JSON file, as portlease 0.1 kept). */
export const FLOOR_FILE = 'registry.json';
/** The registry's directory of revisions inside the home, and the schema (src/defaults.ts). */
export const REGISTRY_DIR = 'registry';
export const SCHEMA_VERSION = 1;
/** Commit tokens a revision carries (src/storage.ts, LINEAGE). */
const LINEAGE = 16;

/** Range the benchmark reserves from (portlease's default range, given explicitly). */
export const RESERVE_RANGE = [20000, 29999];
/** Filler leases sit on 30000 + i, outside RESERVE_RANGE, so they never block a reserve. */
export const FILLER_BASE = 30000;

/** File name of revision `rev` (src/revisions.ts). */
export function revisionName(rev) {
  return `rev-${String(rev).padStart(12, '0')}.json`;
}

const REVISION = /^rev-(\d{1,15})\.json$/;
const token = () => randomBytes(6).toString('hex');

/**
 * A valid registry (schema of src/schema.ts) holding `count` durable named leases, each
 * with its sticky entry, as a registry that has been used for a while would (with a full
 * lineage of commit tokens, as after 16 commits or more). With `owner` (a lease's owner
 * record), every lease is bound to that process instead: a reader must then ask whether
 * it lives.
 */
export function fillerRegistry(count, owner = null) {
  const createdAt = new Date().toISOString();
  const leases = [];
  const sticky = [];
  for (let i = 0; i < count; i++) {
    const service = `svc-${i}`;
    const port = FILLER_BASE + i;
    leases.push({ id: i + 1, port, app: 'bench-fill', instance: 'default', service, owner, expiresAt: null, createdAt });
    sticky.push({ key: `bench-fill/default/${service}`, port });
  }
  const lineage = Array.from({ length: LINEAGE }, token);
  return { schema: SCHEMA_VERSION, rev: 1, nextId: count + 1, lineage, leases, sticky };
}

/**
 * Creates the home `dir` (0700) holding a real registry of `count` filler leases: the
 * directory `registry/` (0700) with one revision, `rev-000000000001.json` (0600). Modes are
 * set explicitly (mkdir and writeFile modes pass through the umask). Returns the file.
 */
export async function writeFilledRegistry(dir, count, owner = null) {
  const registry = join(dir, REGISTRY_DIR);
  await fs.mkdir(registry, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  await fs.chmod(registry, 0o700);
  const file = join(registry, revisionName(1));
  await fs.writeFile(file, `${JSON.stringify(fillerRegistry(count, owner))}\n`, { mode: 0o600, flag: 'wx' });
  await fs.chmod(file, 0o600);
  return file;
}

/** Creates `dir` (0700) with the floor's single registry file (0600) of `count` filler leases. */
export async function writeFloorRegistry(dir, count, owner = null) {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, FLOOR_FILE);
  await fs.writeFile(file, `${JSON.stringify(fillerRegistry(count, owner))}\n`, { mode: 0o600 });
  return file;
}

/** The newest revision of the registry in home `dir`: `{ rev, file }` (throws when there is none). */
export async function newestRevision(dir) {
  const registry = join(dir, REGISTRY_DIR);
  let newest = -1;
  for (const name of await fs.readdir(registry)) {
    const match = REVISION.exec(name);
    if (match && Number(match[1]) > newest) newest = Number(match[1]);
  }
  if (newest < 0) throw new Error(`no revision in ${registry}`);
  return { rev: newest, file: join(registry, revisionName(newest)) };
}

let foreignCounter = 0;

/**
 * Makes the registry of home `dir` look as if another process had just committed (untimed
 * preparation of a "cold" call): the newest revision N is copied, with `rev` N + 1 and one
 * more commit token, to `rev-<N+1>.json`, the way a commit publishes (temp file, then
 * `link`, which fails rather than replace an existing name). The data is otherwise the
 * same, but it is a file this process has never read or written, so its in-process cache
 * (src/cache.ts, which compares a revision file's bytes) cannot answer: the next read
 * lists, reads, parses and validates it. No fsync: the preparation is not timed and need
 * not survive a crash. Call it only while no other process writes this registry.
 */
export async function commitAsAnotherProcess(dir) {
  const { rev, file } = await newestRevision(dir);
  const data = JSON.parse(await fs.readFile(file, 'utf8'));
  data.rev = rev + 1;
  data.lineage = [...(data.lineage ?? []), token()].slice(-LINEAGE);
  const registry = join(dir, REGISTRY_DIR);
  // A temp name in portlease's own shape (src/revisions.ts), so that nothing else in the
  // directory could confuse a reader; removed at once.
  const temp = join(registry, `.tmp-${process.pid}-${(foreignCounter++).toString(16)}${randomBytes(2).toString('hex')}`);
  await fs.writeFile(temp, `${JSON.stringify(data)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(temp, join(registry, revisionName(rev + 1)));
  } finally {
    await fs.unlink(temp);
  }
  // Prune as a committing process would (src/storage.ts, tidy): in batches of 4, never the
  // newest nor the one before it; so repeated cold calls do not make the listing grow.
  const old = (await fs.readdir(registry))
    .map((name) => REVISION.exec(name))
    .filter(Boolean)
    .map((match) => Number(match[1]))
    .filter((n) => n < rev);
  if (old.length >= 4) for (const n of old) await fs.unlink(join(registry, revisionName(n))).catch(() => {});
  return rev + 1;
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
  const file = join(dir, FLOOR_FILE);
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
  await floorWrite(
    dir,
    mode,
    (data) => {
      const used = new Set(data.leases.map((lease) => lease.port));
      let port = from + Math.floor(Math.random() * (to - from + 1));
      while (used.has(port)) port = port === to ? from : port + 1;
      id = data.nextId++;
      data.rev += 1;
      data.leases.push({ id, port, app: 'bench', instance: 'default', service: null, owner: null, expiresAt: null, createdAt: new Date().toISOString() });
    },
    waitCap,
  );
  const t1 = performance.now();
  await floorWrite(
    dir,
    mode,
    (data) => {
      data.rev += 1;
      data.leases = data.leases.filter((lease) => lease.id !== id);
    },
    waitCap,
  );
  return [t1 - t0, performance.now() - t1];
}

/**
 * One portlease reserve + release through a bound registry. Returns both latencies in ms.
 * With `cold`, another process's commit is imitated first (untimed, see
 * commitAsAnotherProcess): the reserve finds a revision this process has never seen, as
 * when other processes write the registry between two of its calls.
 */
export async function portleaseCycle(registry, range = RESERVE_RANGE, { cold = false } = {}) {
  if (cold) await commitAsAnotherProcess(registry.home);
  const t0 = performance.now();
  const lease = await registry.reserve({ range, label: 'bench' });
  const t1 = performance.now();
  await lease.release();
  return [t1 - t0, performance.now() - t1];
}

/** How many services the batch cycle reserves in one call (issue 13: "5 services in one call"). */
export const BATCH_SIZE = 5;

/**
 * One `reserveAll` of BATCH_SIZE named services (one locked transaction: one read, one
 * probe pass, one durable write) and one `release` of all of them (one transaction).
 * Returns both latencies in ms, to compare with one reserve + release of one lease.
 */
export async function portleaseBatchCycle(registry, range = RESERVE_RANGE) {
  const services = Array.from({ length: BATCH_SIZE }, (_, i) => `batch-${i}`);
  const t0 = performance.now();
  const leases = await registry.reserveAll(services, { range, label: 'bench' });
  const t1 = performance.now();
  await registry.release(leases);
  return [t1 - t0, performance.now() - t1];
}

/** Absolute high-resolution time in ms, comparable across processes of one machine. */
export function now() {
  return performance.timeOrigin + performance.now();
}
