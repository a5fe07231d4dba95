/** Leases that end while someone may still serve on their port, and owners of a previous boot. */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
import { bindOn, FIXTURES, registryFile, sleep, startNode, tempHome, stopped } from './helpers.js';
import { NEEDS } from './os.js';

/** A port that is free right now (the OS picked it, then it was closed). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

// SIGSTOP at an fs call, and /proc/<pid>/stat to see the stop.
describe.skipIf(NEEDS.proc ?? NEEDS.signals)('a lease reclaimed by the committing transaction (tagged: crash)', () => {
  it.each([1, 2, 3])('run %d: its port is probed again: a port whose ttl ran out while its holder serves is not granted', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    await registry.reserve('seed', { app: 'r', instance: 'i', durable: true });
    const port = await freePort();
    // It probes the port (free), then stops just before it takes the lock.
    const wanting = startNode(`${FIXTURES}/want-port.mjs`, [home, String(port)], { PORTLEASE_FAULT: 'mkdir#1:stop' });
    await stopped(wanting.pid!);
    // Meanwhile a short ttl lease takes the port, its holder starts serving, and the ttl runs out.
    await registry.reserve('holder', { app: 'r', instance: 'i', port, ttl: 500, owner: false });
    await bindOn(port, '127.0.0.1');
    await sleep(700);
    process.kill(wanting.pid!, 'SIGCONT');
    const outcome = JSON.parse((await wanting.done).stdout) as { ok?: number; code?: string };
    expect(outcome).toMatchObject({ code: 'E_PORT_BUSY' });
  });
});

describe.skipIf(NEEDS.bootId)('an owner of a previous boot of this machine', () => {
  it('is dead: its lease is reclaimed, so `run web` after a power cut gets its name back', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    const lease = await registry.reserve('web', { app: 'r', instance: 'i' });
    // As the registry looks after a reboot: the same host, the owner's boot id another one.
    const file = registryFile(home);
    const data = JSON.parse(readFileSync(file, 'utf8')) as { rev: number; leases: Array<{ owner: { boot: string } }> };
    data.leases[0]!.owner.boot = 'a-boot-before-the-power-cut';
    data.rev += 1;
    writeFileSync(join(home, 'registry', `rev-${String(data.rev).padStart(12, '0')}.json`), JSON.stringify(data), { mode: 0o600 });
    expect(await registry.list()).toEqual([]);
    expect((await registry.prune()).map((entry) => entry.id)).toEqual([lease.id]);
    expect((await registry.reserve('web', { app: 'r', instance: 'i' })).port).toBe(lease.port);
  });
});
