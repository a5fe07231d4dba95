/** Several leases in one transaction: reserveAll() and release() of a list. */
import { readdirSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { isPortleaseError, openRegistry, release, reserveAll } from '../src/index.js';
import { bindOn, FIXTURES, freeRun, registryData, startNode, tempHome } from './helpers.js';

const scope = { app: 'shop', instance: 'main' };
const revisions = (home: string) =>
  readdirSync(`${home}/registry`)
    .filter((name) => name.startsWith('rev-'))
    .sort();

describe('reserveAll()', () => {
  it('reserves every service in one commit, in the order asked, on distinct ports, sticky as one by one', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    const [web, api, db] = await registry.reserveAll(['web', 'api', { service: 'db', label: 'x' }], scope);
    expect([web!.service, api!.service, db!.service]).toEqual(['web', 'api', 'db']);
    expect(new Set([web!.port, api!.port, db!.port]).size).toBe(3);
    expect(registryData(home).rev).toBe(1); // one commit for all three
    await registry.release([web!, api!, db!]);
    expect(registryData(home).rev).toBe(2); // and one for their release
    expect(await registry.list()).toEqual([]);
    const again = await registry.reserveAll(['web', 'api', 'db'], scope);
    expect(again.map((lease) => lease.port)).toEqual([web!.port, api!.port, db!.port]);
  });

  it('returns live leases of this process without writing, and mixes them with new ones in one commit', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    const [web] = await registry.reserveAll(['web'], scope);
    const before = revisions(home);
    const [again] = await registry.reserveAll(['web'], scope);
    expect(again!.id).toBe(web!.id);
    expect(revisions(home)).toEqual(before);
    const [web2, api] = await registry.reserveAll(['web', 'api'], scope);
    expect(web2!.id).toBe(web!.id);
    expect(api!.service).toBe('api');
    expect(registryData(home).rev).toBe(2);
  });

  it('is all or nothing: a name held by another live process fails the whole call, named, and reserves nothing', async () => {
    const home = tempHome();
    const holder = startNode(`${FIXTURES}/hold.mjs`, [home, 'db', '1'], { PORTLEASE_APP: 'shop', PORTLEASE_INSTANCE: 'main' });
    await new Promise<void>((done) => holder.stdout!.once('data', () => done()));
    const registry = openRegistry({ home });
    const error = await registry.reserveAll(['web', 'db', 'api'], scope).catch((caught: unknown) => caught);
    expect(isPortleaseError(error, 'E_SERVICE_LEASED')).toBe(true);
    expect((error as Error).message).toMatch(/db/);
    expect((await registry.list()).map((lease) => lease.service)).toEqual(['db']);
  });

  it('names the service that found no port, and reserves nothing', async () => {
    const from = await freeRun(2);
    await bindOn(from + 1, '::');
    const registry = openRegistry({ home: tempHome() });
    const error = await registry.reserveAll(['web', 'api'], { ...scope, range: [from, from + 1] }).catch((caught: unknown) => caught);
    expect(isPortleaseError(error, 'E_NO_PORT')).toBe(true);
    expect((error as Error).message).toMatch(/^api: No free port/);
    expect(await registry.list()).toEqual([]);
  });

  it('refuses the same service twice, a per-service home and an empty list before any I/O', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    await expect(registry.reserveAll(['web', 'web'], scope)).rejects.toThrow(TypeError);
    await expect(registry.reserveAll([{ service: 'web', home: tempHome() } as never])).rejects.toThrow(/home selects a registry/);
    await expect(registry.reserveAll([])).rejects.toThrow(TypeError);
    expect(readdirSync(home)).toEqual([]);
  });

  it('works from the top level (the registry of PORTLEASE_HOME), and 16 processes reserving 5 services each at once never share a port', async () => {
    const home = tempHome();
    vi.stubEnv('PORTLEASE_HOME', home);
    try {
      const [one] = await reserveAll(['solo'], scope);
      expect((await openRegistry({ home }).list()).map((lease) => lease.id)).toEqual([one!.id]);
      expect(await release([one!])).toBe(1);
    } finally {
      vi.unstubAllEnvs();
    }
    const children = Array.from({ length: 16 }, () => startNode(`${FIXTURES}/grab.mjs`, [home, '5', 'svc'], { GRAB_HOLD: '1', GRAB_BATCH: '1' }));
    const reports = await Promise.all(
      children.map(async (child) => {
        let out = '';
        for await (const chunk of child.stdout!) {
          out += String(chunk);
          if (out.includes('\n')) break;
        }
        return JSON.parse(out) as { granted: Array<{ id: number; port: number }>; errors: string[] };
      }),
    );
    const granted = reports.flatMap((report) => report.granted);
    expect(reports.flatMap((report) => report.errors)).toEqual([]);
    expect(granted).toHaveLength(80);
    expect(new Set(granted.map((grant) => grant.port)).size).toBe(80);
    const live = new Map((await openRegistry({ home }).list()).map((lease) => [lease.id, lease.port]));
    expect(granted.filter((grant) => live.get(grant.id) !== grant.port)).toEqual([]);
  });
});

describe('an opened registry and home', () => {
  it('refuses a per-call home instead of silently using its own registry', async () => {
    const a = tempHome();
    const b = tempHome();
    const registry = openRegistry({ home: a });
    await expect(registry.reserve('web', { home: b } as never)).rejects.toThrow(/home selects a registry — pass it to openRegistry/);
    await expect(registry.list({ home: b } as never)).rejects.toThrow(/home selects a registry — pass it to openRegistry/);
    await expect(registry.release({ app: 'x', home: b } as never)).rejects.toThrow(/home selects a registry — pass it to openRegistry/);
    expect(readdirSync(a)).toEqual([]);
    expect(readdirSync(b)).toEqual([]);
  });
});
