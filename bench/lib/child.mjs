/**
 * A benchmark child process (forked by pool.mjs). Protocol over IPC:
 *   parent → {type:'setup', task, config}   child prepares (imports, warm-up)
 *   child  → {type:'ready'}
 *   parent → {type:'go', phase}             sent to all children at once (a barrier)
 *   child  → {type:'result', result}        ('go' … 'result' repeats once per phase)
 *   parent → {type:'finish'}                after every child reported: release, exit
 * Holding until 'finish' matters for the collision test: what a library handed out stays
 * "in use" (as between get-port and server.listen) until every process has asked.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, promises as fs, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer } from 'node:net';
import { installFsMeter } from './fs-meter.mjs';
import { commitAsAnotherProcess, floorCycle, newestRevision, now, portleaseBatchCycle, portleaseCycle, RESERVE_RANGE } from './workload.mjs';

/**
 * The probe of src/probe.ts (not exported by the package): bind and close the port on
 * `::` (IPv6 only), `0.0.0.0`, `127.0.0.1` and `::1` in turn, as portlease does before a grant.
 */
async function probePort(port) {
  for (const [host, ipv6Only] of [
    ['::', true],
    ['0.0.0.0', false],
    ['127.0.0.1', false],
    ['::1', false],
  ]) {
    const free = await new Promise((resolve) => {
      const server = createServer();
      server.once('error', (error) => resolve(error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT'));
      server.listen({ port, host, ipv6Only, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (!free) return { port, free: false };
  }
  return { port, free: true };
}

const importLibrary = (dist) => import(pathToFileURL(join(dist, 'index.js')).href);

/** Each task: setup(config) → { go(): result, finish() }. */
const tasks = {
  /**
   * reserve + release cycles through portlease (`portlease`; `cold`: another process's
   * commit imitated before each, see workload.mjs — one process only, since it commits
   * without the lock; `batch`: 5 named services in one `reserveAll`, then one `release` of
   * them all) and the floor's add + remove cycles,
   * in phases the parent interleaves (portlease, plain floor, durable floor, again…), so
   * that load from elsewhere on the machine hits all of them alike.
   */
  async cycles({ dist, home, plainDir, durableDir, warmup, waitCap, kinds: wanted = ['portlease', 'plain', 'durable'], meter: metered }) {
    // With `meter`, every filesystem call is counted (install before the library loads).
    const meter = metered ? await installFsMeter() : null;
    const { openRegistry } = await importLibrary(dist);
    const registry = openRegistry({ home });
    const kinds = {
      portlease: () => portleaseCycle(registry),
      cold: () => portleaseCycle(registry, undefined, { cold: true }),
      batch: () => portleaseBatchCycle(registry),
      plain: () => floorCycle(plainDir, 'plain', waitCap),
      durable: () => floorCycle(durableDir, 'durable', waitCap),
    };
    // Warm up only what this pool measures: `cold` commits without the lock, so it must
    // never run while other processes use the same registry.
    for (let i = 0; i < warmup; i++) for (const kind of wanted) await kinds[kind]();
    return {
      async go({ kind, count }) {
        const cycle = kinds[kind];
        const reserve = [];
        const release = [];
        meter?.reset();
        const start = now();
        for (let i = 0; i < count; i++) {
          const [a, b] = await cycle();
          reserve.push(a);
          release.push(b);
        }
        const end = now();
        return { reserve, release, start, end, ...(meter ? { calls: Object.fromEntries(meter.read()) } : {}) };
      },
    };
  },

  /** get-port per-call latency: 'os' (no preference) or 'range' (portNumbers over RESERVE_RANGE). */
  async getport({ count, warmup, mode }) {
    const { default: getPort, portNumbers } = await import('get-port');
    // 'range': each call starts at a port this process has not been given yet. get-port
    // binds a port before it checks its in-process lock of ports it already returned, so
    // starting every call at 20000 would make call k bind k ports: not what one call costs.
    let next = RESERVE_RANGE[0];
    const ask =
      mode === 'os'
        ? () => getPort()
        : () => {
            const from = next;
            next += 7;
            return getPort({ port: portNumbers(from, RESERVE_RANGE[1]) });
          };
    for (let i = 0; i < warmup; i++) await ask();
    return {
      async go() {
        const calls = [];
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          await ask();
          calls.push(performance.now() - t0);
        }
        return { calls };
      },
    };
  },

  /**
   * Where a reserve's time goes: every filesystem call counted and timed in place (see
   * fs-meter.mjs) during reserve + release cycles; then probe, a cold lock-free read, an
   * empty transaction and a bare lock cycle timed on their own.
   */
  async breakdown({ dist, home, count, warmup, scratch }) {
    const meter = await installFsMeter(); // before the library loads
    const { openRegistry } = await importLibrary(dist);
    const registry = openRegistry({ home });
    for (let i = 0; i < warmup; i++) await portleaseCycle(registry);
    return {
      async go() {
        const reserve = [];
        const release = [];
        const perCycle = [];
        for (let i = 0; i < count; i++) {
          meter.reset();
          const [a, b] = await portleaseCycle(registry);
          perCycle.push(Object.fromEntries(meter.read()));
          reserve.push(a);
          release.push(b);
        }
        // The CPU parts of a read and a write, on the text of this registry's newest revision.
        const text = await fs.readFile((await newestRevision(home)).file, 'utf8');
        const parse = [];
        const stringify = [];
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          const data = JSON.parse(text);
          const t1 = performance.now();
          JSON.stringify(data);
          parse.push(t1 - t0);
          stringify.push(performance.now() - t1);
        }
        const probe = [];
        for (let i = 0; i < count; i++) {
          const port = RESERVE_RANGE[0] + 1 + Math.floor(Math.random() * 9000);
          const t0 = performance.now();
          await probePort(port);
          probe.push(performance.now() - t0);
        }
        // A cold read: before each (untimed), another process's commit is imitated, so the
        // newest revision is a file this process has never read and its cache (which
        // compares a revision's bytes) cannot answer. The filter matches nothing, so no
        // copying of leases is timed: list ×2 + read + parse + validate + filter.
        const read = [];
        for (let i = 0; i < count; i++) {
          await commitAsAnotherProcess(home);
          const t0 = performance.now();
          await registry.list({ port: 1 });
          read.push(performance.now() - t0);
        }
        // An empty transaction: prune() with nothing to prune takes the lock, reads the
        // newest revision (cached: this process read it last), decides nothing, commits
        // nothing and unlocks. A write costs this plus its decision and its commit.
        const empty = [];
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          await registry.prune();
          empty.push(performance.now() - t0);
        }
        // The bare lock cycle, on a scratch home: take + release as src/lock.ts (withLock)
        // does when nobody else holds the lock.
        await fs.mkdir(scratch, { recursive: true, mode: 0o700 });
        const lock = [];
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          await lockCycle(scratch);
          lock.push(performance.now() - t0);
        }
        return { reserve, release, perCycle, count, probe, read, empty, lock, parse, stringify, bytes: Buffer.byteLength(text) };
      },
    };
  },

  /** The collision test: ask a library for `count` ports in [from, to] and keep them. */
  async collide({ dist, home, lib, count, from, to }) {
    let ask;
    const held = [];
    if (lib === 'portlease') {
      const { openRegistry } = await importLibrary(dist);
      const registry = openRegistry({ home });
      ask = async () => {
        const lease = await registry.reserve({ range: [from, to], owner: true, label: 'collide' });
        held.push(lease);
        return lease.port;
      };
    } else if (lib === 'get-port') {
      const { default: getPort, portNumbers } = await import('get-port');
      ask = () => getPort({ port: portNumbers(from, to) });
    } else if (lib === 'portfinder') {
      const { default: portfinder } = await import('portfinder');
      ask = () => portfinder.getPortPromise({ port: from, stopPort: to });
    } else if (lib === 'get-port-please') {
      const { getPort } = await import('get-port-please');
      ask = () => getPort({ port: from, portRange: [from, to] });
    } else if (lib === 'detect-port') {
      const { detectPort } = await import('detect-port');
      ask = () => detectPort(from);
    } else {
      throw new Error(`unknown library ${lib}`);
    }
    return {
      async go() {
        const ports = [];
        const errors = [];
        const start = now();
        for (let i = 0; i < count; i++) {
          try {
            ports.push(await ask());
          } catch (error) {
            errors.push(String(error?.code ?? error?.message ?? error));
          }
        }
        return { ports, errors, start, end: now() };
      },
      async finish() {
        // Leases are owned by this process; releasing keeps the temp registry tidy.
        for (const lease of held) await lease.release().catch(() => {});
      },
    };
  },
};

/**
 * One uncontended take + release of portlease's lock, reimplemented step for step from
 * src/lock.ts (withLock; the function is not exported), with the synchronous calls that
 * src/fsio.ts makes: build the staging directory `.lock-<pid>-<place>-<token>/` holding the
 * holder's entry, an empty file `h.<pid>.<start>.<boot>.<place>.<since>.<token>` (mkdir,
 * open + close), `rename` it onto `registry.lock` (the lock appears with its holder's name
 * in one step; an empty `registry.lock/` left by the last release is replaced), then
 * release: `unlink registry.lock/<entry>` (the empty directory stays for the next taker).
 * The entry name has the shape and length of a real one; its tags are placeholders (only
 * equality matters to the lock, and nobody else looks at this scratch home). Not timed
 * here: the holder entry's heartbeat timer, which never fires in so short a hold.
 */
async function lockCycle(home) {
  const token = randomBytes(6).toString('hex');
  const entry = ['h', process.pid, '1234567', 'b0075a9e', '91ace7a9', Date.now().toString(36), token].join('.');
  const stage = join(home, `.lock-${process.pid}-91ace7a9-${token}`);
  const lock = join(home, 'registry.lock');
  mkdirSync(stage, { mode: 0o700 });
  closeSync(openSync(join(stage, entry), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
  renameSync(stage, lock);
  unlinkSync(join(lock, entry));
}

let job;
process.on('message', async (message) => {
  try {
    if (message.type === 'setup') {
      const task = tasks[message.task];
      if (!task) throw new Error(`unknown task ${message.task}`);
      job = await task(message.config);
      process.send({ type: 'ready' });
    } else if (message.type === 'go') {
      process.send({ type: 'result', result: await job.go(message.phase) });
    } else if (message.type === 'finish') {
      await job?.finish?.();
      process.disconnect();
    }
  } catch (error) {
    process.send({ type: 'error', error: String(error?.stack ?? error) });
  }
});
