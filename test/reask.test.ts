/** Asking again for a live name (every owner form), strict options, and `prefer`. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkPort, getOsFreePort, isPortleaseError, list, openRegistry, renew, type PortleaseError } from '../src/index.js';
import { bindOn, freeRun, onCleanup, portOf, tempHome } from './helpers.js';

const scope = { app: 'shop', instance: 'main' };

/** A live process other than this one, killed after the test (stands for the user's shell). */
function otherProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  return child.pid!;
}

describe('asking again for a live name', () => {
  it('moves its route when the re-ask names another path, and keeps it when it names none', async () => {
    const registry = openRegistry({ home: tempHome() });
    const first = await registry.reserve('api', { ...scope, path: '/api' });
    const moved = await registry.reserve('api', { ...scope, path: '/v2', stripPath: true });
    expect([moved.id, moved.port, moved.path, moved.stripPath]).toEqual([first.id, first.port, '/v2', true]);
    const same = await registry.reserve('api', scope);
    expect([same.id, same.path, same.stripPath]).toEqual([first.id, '/v2', true]);
    const back = await registry.reserve('api', { ...scope, path: '/api' });
    expect([back.id, back.path, back.stripPath]).toEqual([first.id, '/api', undefined]);
    expect((await registry.list())[0]).toMatchObject({ path: '/api' });
  });

  it('returns the same lease to a caller that names the same owner process', async () => {
    const registry = openRegistry({ home: tempHome() });
    const shell = otherProcess();
    const first = await registry.reserve('c', { ...scope, owner: shell });
    const again = await registry.reserve('c', { ...scope, owner: shell });
    expect(again).toEqual(first);
  });

  it('still refuses a caller that names another owner', async () => {
    const registry = openRegistry({ home: tempHome() });
    const held = await registry.reserve('c', { ...scope, owner: otherProcess() });
    const error = await registry.reserve('c', { ...scope, owner: otherProcess() }).catch((caught: unknown) => caught);
    expect(isPortleaseError(error, 'E_SERVICE_LEASED')).toBe(true);
    // holder is typed as a Lease: no cast needed to read it.
    expect((error as PortleaseError).holder?.id).toBe(held.id);
  });

  it('returns durable leases unchanged, and renews a ttl lease asked for with a ttl', async () => {
    const registry = openRegistry({ home: tempHome() });
    const durable = await registry.reserve('db', { ...scope, durable: true });
    expect(await registry.reserve('db', { ...scope, durable: true })).toEqual(durable);
    const timed = await registry.reserve('preview', { ...scope, owner: false, ttl: '1h' });
    const renewed = await registry.reserve('preview', { ...scope, owner: false, ttl: '2h' });
    expect(renewed).toMatchObject({ id: timed.id, port: timed.port, ttl: 7_200_000, owner: null });
    expect(Date.parse(renewed.expiresAt!)).toBeGreaterThan(Date.parse(timed.expiresAt!));
  });

  it('sets a different lifetime when the caller chooses one, keeping id and port', async () => {
    const registry = openRegistry({ home: tempHome() });
    const durable = await registry.reserve('web', { ...scope, durable: true });
    const timed = await registry.reserve('web', { ...scope, owner: false, ttl: '1h' });
    expect(timed).toMatchObject({ id: durable.id, port: durable.port, owner: null, ttl: 3_600_000 });
    expect(timed.expiresAt).not.toBeNull();
    const back = await registry.reserve('web', { ...scope, durable: true });
    expect(back).toMatchObject({ id: durable.id, expiresAt: null, owner: null });
    expect(back.ttl).toBeUndefined();
    expect(await registry.list()).toHaveLength(1);
  });

  it('leaves the lifetime alone when the caller does not choose one', async () => {
    const registry = openRegistry({ home: tempHome() });
    const durable = await registry.reserve('db', { ...scope, durable: true });
    // The default owner (this process) is not a choice: a durable lease lent to us stays durable.
    expect(await registry.reserve('db', scope)).toEqual(durable);
  });
});

describe('strict options', () => {
  it('refuse port together with range or prefer', async () => {
    const registry = openRegistry({ home: tempHome() });
    await expect(registry.reserve('a', { ...scope, port: 21000, range: [21000, 21010] })).rejects.toThrow(/port and range cannot be combined/);
    await expect(registry.reserve('a', { ...scope, port: 21000, prefer: 21001 })).rejects.toThrow(TypeError);
    expect(await registry.list()).toEqual([]);
  });

  it('name an unknown option, in every function that takes options', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    const typo = { ap: 'shop' } as object;
    await expect(registry.reserve('a', typo)).rejects.toThrow(/Unknown option "ap" of reserve\(\)/);
    await expect(registry.list(typo)).rejects.toThrow(/Unknown option "ap" of list\(\)/);
    await expect(list(typo)).rejects.toThrow(/Unknown option "ap" of list\(\)/);
    await expect(registry.release(typo)).rejects.toThrow(/Unknown option "ap" of release\(\)/);
    await expect(registry.release('a', typo)).rejects.toThrow(/of release\(\)/);
    await expect(registry.lookup('a', typo)).rejects.toThrow(/of lookup\(\)/);
    await expect(registry.waitFor('a', { timeout: 1, ...typo })).rejects.toThrow(/of waitFor\(\)/);
    await expect(registry.prune(typo)).rejects.toThrow(/of prune\(\)/);
    // renew and checkPort take no options object: one there is refused, not ignored.
    await expect((renew as (...args: unknown[]) => Promise<unknown>)(1, '1h', typo)).rejects.toThrow(
      /renew\(\) takes a lease \(or its id\) and a ttl, nothing after them/,
    );
    await expect((checkPort as (...args: unknown[]) => Promise<unknown>)(20000, typo)).rejects.toThrow(/checkPort\(\) takes a port, nothing after it/);
    await expect(getOsFreePort(typo)).rejects.toThrow(/of getOsFreePort\(\)/);
    expect(() => openRegistry({ home, ...typo })).toThrow(/of openRegistry\(\)/);
  });
});

describe('prefer', () => {
  it('gives the preferred port when it is free', async () => {
    const registry = openRegistry({ home: tempHome() });
    const probe = await bindOn(0, '127.0.0.1');
    const wanted = portOf(probe);
    await new Promise((done) => probe.close(done));
    expect((await registry.reserve('web', { ...scope, prefer: wanted })).port).toBe(wanted);
  });

  it('falls back to the range when the preferred port is busy or leased', async () => {
    const registry = openRegistry({ home: tempHome() });
    const busy = await bindOn(0, '127.0.0.1');
    const from = await freeRun(2);
    const lease = await registry.reserve('web', { ...scope, prefer: portOf(busy), range: [from, from + 1] });
    expect(lease.port).toBeGreaterThanOrEqual(from);
    expect(lease.port).toBeLessThanOrEqual(from + 1);
    const other = await registry.reserve('api', { ...scope, prefer: lease.port, range: [from, from + 1] });
    expect(other.port).not.toBe(lease.port);
  });
});

describe('E_NO_PORT', () => {
  it('counts only the leases inside the range', async () => {
    const registry = openRegistry({ home: tempHome() });
    // Ports free right now (a fixed one can be busy on a loaded machine): 11 for another
    // lease outside the range, then a range of one.
    const base = await freeRun(12);
    const one = base + 11;
    await registry.reserve({ range: [base, base + 10] });
    await registry.reserve({ range: [one, one] });
    const error = await registry.reserve({ range: [one, one] }).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe(`No free port in ${one}-${one} (1 leased, 0 busy on this machine). Widen the range or release leases.`);
  });
});
