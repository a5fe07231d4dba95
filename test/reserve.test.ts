import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPortleaseError, openRegistry, type PortleaseError, type Lease } from '../src/index.js';
import { DEFAULT_RANGE } from '../src/defaults.js';
import { hashPort } from '../src/choose.js';
import { toRequest } from '../src/request.js';
import { FIXTURES, bindOn, freeRun, portOf, registryData, startNode, tempHome, waitForLine } from './helpers.js';
import { NEEDS } from './os.js';

const scope = { app: 'shop', instance: 'main' };

describe('named leases', () => {
  it('are sticky, hashed into the range, and idempotent for the owning process', async () => {
    const registry = openRegistry({ home: tempHome() });
    const first = await registry.reserve('postgres', scope);
    expect(first).toMatchObject({ id: 1, service: 'postgres', app: 'shop', instance: 'main', expiresAt: null });
    expect(first.owner?.pid).toBe(process.pid);
    expect(first.port).toBeGreaterThanOrEqual(DEFAULT_RANGE[0]);
    expect(first.port).toBeLessThanOrEqual(DEFAULT_RANGE[1]);
    expect(first.port).toBe(hashPort('shop/main/postgres', DEFAULT_RANGE));
    const again = await registry.reserve('postgres', scope);
    expect(again.id).toBe(first.id);
    expect(await registry.release(first)).toBe(1);
    const back = await registry.reserve('postgres', scope);
    expect(back.id).toBe(2);
    expect(back.port).toBe(first.port);
  });

  it('move on when the sticky port is busy, and come back when it is free', async () => {
    const registry = openRegistry({ home: tempHome() });
    const first = await registry.reserve('web', scope);
    await first.release();
    const squatter = await bindOn(first.port, '127.0.0.1');
    const moved = await registry.reserve('web', scope);
    expect(moved.port).not.toBe(first.port);
    await moved.release();
    await new Promise((done) => squatter.close(done));
    // The key remembers its latest port; a different key with the same wish gets another.
    expect((await registry.reserve('web', scope)).port).toBe(moved.port);
  });

  it('fail with the holder when another live process owns the name', async () => {
    const home = tempHome();
    const child = startNode(`${FIXTURES}/hold.mjs`, [home, 'api'], { PORTLEASE_APP: 'shop', PORTLEASE_INSTANCE: 'main' });
    const [held] = JSON.parse(await waitForLine(child, /^\[/)) as Lease[];
    const error = await openRegistry({ home })
      .reserve('api', scope)
      .catch((caught: unknown) => caught);
    expect(isPortleaseError(error, 'E_SERVICE_LEASED')).toBe(true);
    expect((error as PortleaseError).holder).toMatchObject({ id: held!.id, port: held!.port, owner: { pid: child.pid } });
    expect((error as Error).message).toContain(`process ${child.pid}`);
  });

  it('return durable and ttl-only leases to any caller', async () => {
    const registry = openRegistry({ home: tempHome() });
    const durable = await registry.reserve('db', { ...scope, durable: true });
    expect(durable.owner).toBeNull();
    expect((await registry.reserve('db', scope)).id).toBe(durable.id);
    const timed = await registry.reserve('cache', { ...scope, owner: false, ttl: '1h' });
    expect(timed.owner).toBeNull();
    expect(Date.parse(timed.expiresAt!) - Date.parse(timed.createdAt)).toBe(3_600_000);
    expect((await registry.reserve('cache', scope)).id).toBe(timed.id);
  });

  it('exclusive refuses an existing name (the HTTP contract)', async () => {
    const registry = openRegistry({ home: tempHome() });
    await registry.reserve('db', { ...scope, durable: true });
    await expect(registry.reserve('db', { ...scope, durable: true, exclusive: true })).rejects.toMatchObject({ code: 'E_SERVICE_LEASED' });
  });

  it('take app and instance from PORTLEASE_APP / PORTLEASE_INSTANCE', async () => {
    const registry = openRegistry({ home: tempHome(), env: { PORTLEASE_APP: 'fromenv', PORTLEASE_INSTANCE: 'wt1' } });
    expect(await registry.reserve('x')).toMatchObject({ app: 'fromenv', instance: 'wt1' });
  });
});

describe('anonymous leases', () => {
  it('are many, distinct, and not sticky', async () => {
    const registry = openRegistry({ home: tempHome() });
    const leases = await Promise.all(Array.from({ length: 20 }, (_, i) => registry.reserve({ label: `w${i}` })));
    expect(new Set(leases.map((lease) => lease.port)).size).toBe(20);
    expect(leases.every((lease) => lease.service === null)).toBe(true);
    const data = registryData(registry.home);
    expect(data.sticky).toEqual([]);
  });
});

describe('exact ports', () => {
  it('grant the first acceptable port of a list', async () => {
    // Two free ports in a row, the first then bound: the OS's next port after an ephemeral
    // one may be held by any outgoing connection (a loaded machine has thousands in TIME_WAIT).
    const registry = openRegistry({ home: tempHome() });
    const from = await freeRun(2);
    await bindOn(from, '0.0.0.0');
    const lease = await registry.reserve('web', { ...scope, port: [from, from + 1] });
    expect(lease.port).toBe(from + 1);
  });

  it('report E_PORT_BUSY for a bound port and E_PORT_LEASED for a leased one', async () => {
    const registry = openRegistry({ home: tempHome() });
    const server = await bindOn(0, '127.0.0.1');
    await expect(registry.reserve('a', { ...scope, port: portOf(server) })).rejects.toMatchObject({ code: 'E_PORT_BUSY', port: portOf(server) });
    const lease = await registry.reserve('b', scope);
    await expect(registry.reserve('c', { ...scope, port: lease.port })).rejects.toMatchObject({
      code: 'E_PORT_LEASED',
      holder: { id: lease.id },
    });
  });

  it('claim registers a port the service already has bound', async () => {
    const registry = openRegistry({ home: tempHome() });
    const server = await bindOn(0, '127.0.0.1');
    const lease = await registry.reserve('legacy', { ...scope, port: portOf(server), claim: true, durable: true });
    expect(lease).toMatchObject({ port: portOf(server), claimed: true, owner: null });
  });
});

describe('ranges', () => {
  it('say what was tried when nothing is free', async () => {
    const registry = openRegistry({ home: tempHome() });
    const from = await freeRun(2); // a fixed pair was sometimes busy on a loaded machine
    const lease = await registry.reserve({ range: [from, from + 1] });
    const server = await bindOn(lease.port === from ? from + 1 : from, '0.0.0.0').catch(() => null);
    const error = await registry.reserve({ range: [from, from + 1] }).catch((caught: unknown) => caught);
    expect(isPortleaseError(error, 'E_NO_PORT')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`No free port in ${from}-${from + 1} \\(1 leased, \\d busy on this machine\\)`));
    server?.close();
  });

  it('honour PORTLEASE_RANGE and exclude', async () => {
    // Four ports in a row that are free right now (a fixed range was busy on a loaded machine).
    const from = await freeRun(4);
    const registry = openRegistry({ home: tempHome(), env: { PORTLEASE_RANGE: `${from}-${from + 3}` } });
    const lease = await registry.reserve({ exclude: [from, from + 1, from + 2] });
    expect(lease.port).toBe(from + 3);
  });

  it('skip well-known service ports unless asked by number', async () => {
    // CockroachDB's 26257 alone: skipped without a probe, whatever this machine has bound.
    const registry = openRegistry({ home: tempHome() });
    await expect(registry.reserve({ range: [26257, 26257] })).rejects.toMatchObject({
      code: 'E_NO_PORT',
      message: expect.stringContaining('(0 leased, 0 busy on this machine)'),
    });
    expect(toRequest('db', { port: 26257 }, {}).exclude().has(26257)).toBe(false);
    expect(toRequest('db', { prefer: 26257 }, {}).exclude().has(26257)).toBe(false);
  });
});

describe('lifetimes and files', () => {
  it('expire ttl leases and reclaim them on the next write', async () => {
    const registry = openRegistry({ home: tempHome() });
    const lease = await registry.reserve('tmp', { ...scope, owner: false, ttl: 50 });
    await new Promise((done) => setTimeout(done, 80));
    expect(await registry.list()).toEqual([]);
    expect(await registry.prune()).toMatchObject([{ id: lease.id }]);
  });

  it.skipIf(NEEDS.modes)('leases survive structuredClone and JSON with their helpers hidden', async () => {
    const registry = openRegistry({ home: tempHome() });
    const lease = await registry.reserve('x', scope);
    expect(Object.keys(lease)).not.toContain('release');
    expect(JSON.parse(JSON.stringify(lease))).toEqual(structuredClone(lease));
    {
      await using scoped = await registry.reserve('scoped', scope);
      expect((await registry.list({ service: 'scoped' })).map((entry) => entry.id)).toEqual([scoped.id]);
    }
    expect(await registry.list({ service: 'scoped' })).toEqual([]);
  });

  // 277 takes the owner's own write bit: the commit sets the mode back (it does so only then).
  it.each(['000', '077', '277'])('keep the file 0600 and the dir 0700 under umask %s', async (mask) => {
    const previous = process.umask(Number.parseInt(mask, 8));
    try {
      const registry = openRegistry({ home: `${tempHome()}/nested/home` });
      for (let i = 0; i < 3; i++) await (await registry.reserve({ label: 'm' })).release();
      const revisions = readdirSync(registry.file).filter((name) => name.startsWith('rev-'));
      expect(revisions.length).toBeGreaterThanOrEqual(2); // the newest and its backup
      for (const name of revisions) expect(statSync(join(registry.file, name)).mode & 0o777).toBe(0o600);
      expect(statSync(registry.file).mode & 0o777).toBe(0o700);
      expect(statSync(registry.home).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(previous);
    }
  });
});
