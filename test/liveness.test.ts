/**
 * Liveness over a large registry: asked of the OS once per owner within a pass (a /proc
 * read each), and still right when owners alternate or differ in one field only.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
import { cachedLiveness, deadReason } from '../src/registry.js';
import type { Lease, Owner } from '../src/types.js';
import { registryFile, tempHome } from './helpers.js';

const owner = (pid: number, start: string | null = 's'): Owner => ({ pid, start, boot: 'b', ns: null, host: 'h' });

describe('cachedLiveness', () => {
  it('asks once per owner, whatever the order, and answers each owner its own way', () => {
    const asked: number[] = [];
    // Odd pids are alive.
    const alive = cachedLiveness((who) => {
      asked.push(who.pid);
      return who.pid % 2 === 1;
    });
    const owners = [owner(1), owner(1), owner(2), owner(1), owner(3), owner(2), owner(3), owner(3), owner(1)];
    // Fresh objects each time, as a parsed registry has them.
    expect(owners.map((who) => alive({ ...who }))).toEqual([true, true, false, true, true, false, true, true, true]);
    expect(asked).toEqual([1, 2, 3]);
  });

  it('tells apart owners that differ in one field only (pid reuse: same pid, another start; another boot, host or namespace)', () => {
    const asked: Owner[] = [];
    const alive = cachedLiveness((who) => {
      asked.push(who);
      return who.start === 's' && who.boot === 'b' && who.host === 'h' && who.ns === null;
    });
    const base = owner(7);
    const variants: Owner[] = [base, { ...base, start: 't' }, { ...base, start: null }, { ...base, boot: 'c' }, { ...base, host: 'g' }, { ...base, ns: 'n' }];
    expect(variants.map((who) => alive(who))).toEqual([true, false, false, false, false, false]);
    // Again, interleaved with the first: each is answered from its own entry.
    expect(variants.flatMap((who) => [alive(base), alive(who)])).toEqual(variants.flatMap((_, index) => [true, index === 0]));
    expect(asked).toHaveLength(variants.length);
  });

  it('deadReason with it matches deadReason without it, lease by lease', () => {
    const leases: Lease[] = [owner(1), owner(2), null, owner(1), owner(4, null)].map((who, index) => ({
      id: index + 1,
      port: 21000 + index,
      app: 'a',
      instance: 'i',
      service: null,
      owner: who,
      expiresAt: index === 3 ? '2000-01-01T00:00:00.000Z' : null,
      createdAt: '2000-01-01T00:00:00.000Z',
    }));
    const ask = (who: Owner) => who.pid !== 2;
    const alive = cachedLiveness(ask);
    const now = Date.now();
    expect(leases.map((lease) => deadReason(lease, now, alive))).toEqual(leases.map((lease) => deadReason(lease, now, ask)));
    expect(leases.map((lease) => deadReason(lease, now, alive))).toEqual([null, 'owner-dead', null, 'expired', null]);
  });
});

describe('a registry of many leases owned by another live process', () => {
  it('reserve and list leave them all in force (and never hand out their ports)', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      const home = tempHome();
      const registry = openRegistry({ home });
      const range: [number, number] = [45001, 45400];
      await registry.reserve({ owner: child.pid!, range });
      // 300 more leases of that owner in the same range, written as a hand-made revision would be.
      const file = registryFile(home);
      const data = JSON.parse(readFileSync(file, 'utf8')) as { nextId: number; leases: Lease[] };
      const first = data.leases[0]!;
      const leased = new Set([first.port]);
      for (let port = range[0]; leased.size < 301; port++) {
        if (leased.has(port)) continue;
        leased.add(port);
        data.leases.push({ ...first, id: data.nextId++, port });
      }
      writeFileSync(file, `${JSON.stringify(data)}\n`);
      expect(await registry.list()).toHaveLength(301);
      // None of their ports is handed out: the answer is one of the 99 others.
      const lease = await registry.reserve({ range });
      expect(leased.has(lease.port)).toBe(false);
      expect(await registry.list()).toHaveLength(302);
    } finally {
      child.kill();
    }
  });
});
