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
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installFsMeter } from './fs-meter.mjs';
import { floorCycle, now, portleaseCycle, RESERVE_RANGE } from './workload.mjs';

const importLibrary = (dist) => import(pathToFileURL(join(dist, 'index.js')).href);

/** Each task: setup(config) → { go(): result, finish() }. */
const tasks = {
  /**
   * reserve + release cycles through portlease (`portlease`; `cold`: the file's mtime
   * changed before each, as when another process wrote it — one process only, since it
   * touches the file without the lock) and the floor's add + remove cycles,
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
      plain: () => floorCycle(plainDir, 'plain', waitCap),
      durable: () => floorCycle(durableDir, 'durable', waitCap),
    };
    // Warm up only what this pool measures: `cold` touches the registry file without the
    // lock, so it must never run while other processes use the same registry.
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
   * fs-meter.mjs) during reserve + release cycles; then probe, lock-free read and a bare
   * proper-lockfile lock + unlock timed on their own.
   */
  async breakdown({ dist, home, count, warmup, scratch }) {
    const meter = await installFsMeter(); // before the library loads (graceful-fs copies fs)
    const { openRegistry, probePort } = await importLibrary(dist);
    const lockfile = createRequire(join(dist, 'index.js'))('proper-lockfile');
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
        // The CPU parts of a read and a write, on this registry's current text.
        const text = await fs.readFile(join(home, 'registry.json'), 'utf8');
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
        // A cold read: the file's mtime changes first, so no cache keyed on it can answer;
        // the filter matches nothing, so no copying of leases is timed, only read + parse +
        // validate + filter.
        const file = join(home, 'registry.json');
        const read = [];
        for (let i = 0; i < count; i++) {
          const stamp = new Date(Date.now() - 1000 * (i + 1));
          await fs.utimes(file, stamp, stamp);
          const t0 = performance.now();
          await registry.list({ port: 1 });
          read.push(performance.now() - t0);
        }
        // proper-lockfile with the options src/lock.ts passes, on a scratch file.
        await fs.mkdir(scratch, { recursive: true });
        const target = join(scratch, 'x.json');
        const lock = [];
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          const unlock = await lockfile.lock(target, {
            lockfilePath: join(scratch, 'x.lock'),
            realpath: false,
            stale: 10_000,
            update: 5_000,
            retries: 0,
            onCompromised: () => {},
          });
          await unlock();
          lock.push(performance.now() - t0);
        }
        return { reserve, release, perCycle, count, probe, read, lock, parse, stringify, bytes: Buffer.byteLength(text) };
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
