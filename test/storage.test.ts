import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPortleaseError, openRegistry, type Registry } from '../src/index.js';
import { hereTag } from '../src/owner.js';
import { captureWarnings, freeRun, registryData, registryFile, tempHome } from './helpers.js';
import { NEEDS } from './os.js';

const scope = { app: 'shop', instance: 'main' };

/** A registry with two durable leases, written twice so that a good previous revision exists. */
async function seeded(): Promise<{ registry: Registry; newest: string }> {
  const registry = openRegistry({ home: tempHome() });
  await registry.reserve('db', { ...scope, durable: true });
  await registry.reserve('cache', { ...scope, durable: true });
  return { registry, newest: registryFile(registry.home) };
}

const revisions = (registry: Registry) =>
  readdirSync(registry.file)
    .filter((name) => /^rev-\d+\.json$/.test(name))
    .sort();

const lease = { id: 1, port: 21000, app: 'a', instance: 'i', service: 's', owner: null, expiresAt: null, createdAt: '2026-01-01T00:00:00.000Z' };
const wrap = (leases: unknown[], extra: object = {}) => JSON.stringify({ schema: 1, rev: 2, nextId: 9, leases, sticky: [], ...extra });

const corpus: Record<string, string | Buffer> = {
  empty: '',
  whitespace: ' \n\t ',
  null: 'null',
  array: '[]',
  string: '"x"',
  truncated: wrap([lease]).slice(0, 40),
  bom: `\uFEFF${wrap([lease])}`,
  'nul bytes': Buffer.from([0, 0, 0, 0]),
  'random bytes': randomBytes(512),
  'binary junk with a newline': Buffer.from([1, 10, 2, 0xff, 0x41]),
  'wrong field types': wrap([{ ...lease, port: '21000' }]),
  'missing leases': JSON.stringify({ schema: 1, rev: 2, nextId: 1 }),
  'duplicate ports': wrap([lease, { ...lease, id: 2, service: 't' }]),
  'duplicate names': wrap([lease, { ...lease, id: 2, port: 21001 }]),
  'port 0': wrap([{ ...lease, port: 0 }]),
  'port 70000': wrap([{ ...lease, port: 70000 }]),
  'id not below nextId': wrap([{ ...lease, id: 9 }]),
  'bad owner': wrap([{ ...lease, owner: { pid: 'x' } }]),
  'schema as string': wrap([], { schema: '1' }),
  'a revision number that is not its name': wrap([], { rev: 7 }),
  '10 MB of spaces then junk': `${' '.repeat(10 * 1024 * 1024)}{`,
};

/** Puts something that is not a good revision where `file` was. */
const planters: Record<string, (file: string) => void> = {
  ...Object.fromEntries(Object.entries(corpus).map(([name, bytes]) => [name, (file: string) => writeFileSync(file, bytes)])),
  'a FIFO': (file) => {
    unlinkSync(file);
    execFileSync('mkfifo', [file]);
  },
  'a directory': (file) => {
    unlinkSync(file);
    mkdirSync(file);
  },
  'a symlink to /dev/zero': (file) => {
    unlinkSync(file);
    symlinkSync('/dev/zero', file);
  },
  'a 65 MiB file': (file) => truncateSync(file, 65 * 1024 * 1024),
};

describe('an unreadable newest revision', () => {
  it.each(Object.keys(planters))('%s: readers use the revision before it; the next write recovers and keeps the bad one aside', async (name) => {
    const { registry, newest } = await seeded();
    planters[name]!(newest);
    // Lock-free readers fall back to the previous revision without touching anything.
    const before = readdirSync(registry.file).sort();
    expect((await registry.list()).map((entry) => entry.service)).toEqual(['db']);
    expect(readdirSync(registry.file).sort()).toEqual(before);
    const warnings = captureWarnings('PORTLEASE_RECOVERED');
    await registry.reserve('web', scope);
    expect(warnings).toHaveLength(1);
    expect(warnings.join('\n')).toMatch(/is unreadable .*|holds rev 7.*/);
    expect(warnings.join('\n')).toMatch(/the registry was read from .*rev-0+1\.json/);
    if (!['a FIFO', 'a directory', 'a symlink to /dev/zero'].includes(name)) {
      const aside = readdirSync(registry.file).filter((file) => file.includes('.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(registry.file, aside[0]!)).equals(readFileSync(newest))).toBe(true);
    }
    // Never silently emptied: what the previous revision knew is still there.
    expect((await registry.list()).map((entry) => entry.service).sort()).toEqual(['db', 'web']);
    // The last readable revision stays as the backup of the recovered one.
    expect(revisions(registry)).toContain('rev-000000000001.json');
  });

  it.each(Object.keys(planters))('%s: with no readable revision left is refused with E_REGISTRY_CORRUPT, files as they were', async (name) => {
    const { registry, newest } = await seeded();
    const previous = join(registry.file, revisions(registry)[0]!);
    planters[name]!(newest);
    writeFileSync(previous, 'also broken');
    const before = readdirSync(registry.file).sort();
    const error = await registry.reserve('web', scope).catch((caught: unknown) => caught);
    expect(isPortleaseError(error, 'E_REGISTRY_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(newest);
    expect((error as Error).message).toMatch(/Move the directory aside \(mv /);
    await expect(registry.list()).rejects.toMatchObject({ code: 'E_REGISTRY_CORRUPT' });
    expect(readdirSync(registry.file).sort()).toEqual(before);
    expect(readFileSync(previous, 'utf8')).toBe('also broken');
  });

  it('200 random byte flips never crash: a valid registry or a typed error', async () => {
    const { registry, newest } = await seeded();
    const good = readFileSync(newest);
    const warnings = captureWarnings('PORTLEASE_RECOVERED');
    for (let seed = 0; seed < 200; seed++) {
      const file = registryFile(registry.home);
      const bytes = Buffer.from(good);
      const at = (seed * 7919) % bytes.length;
      bytes[at] = bytes[at]! ^ (1 << (seed % 8));
      writeFileSync(file, bytes);
      try {
        const result = await registry.reserve({ label: 'flip' });
        await result.release();
      } catch (error) {
        if (!isPortleaseError(error)) throw error;
      }
    }
    // Each flip that broke the JSON or the schema was passed over for the revision before, and said so.
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((warning) => /(is unreadable|holds rev) .*the registry was read from /.test(warning))).toBe(true);
  });
});

describe('a registry from a newer portlease', () => {
  it('is refused for writing and never overwritten', async () => {
    const { registry, newest } = await seeded();
    const future = JSON.stringify({ schema: 2, rev: 2, leases: 'a new shape' });
    writeFileSync(newest, future);
    await expect(registry.reserve('web', scope)).rejects.toMatchObject({ code: 'E_REGISTRY_VERSION' });
    await expect(registry.list()).rejects.toMatchObject({ code: 'E_REGISTRY_VERSION' });
    expect(readFileSync(newest, 'utf8')).toBe(future);
    expect(registryFile(registry.home)).toBe(newest);
  });
});

describe('commits', () => {
  it('add one revision each, keep a bounded few, and leave no temp file', async () => {
    const registry = openRegistry({ home: tempHome() });
    for (let i = 0; i < 30; i++) await (await registry.reserve({ label: `n${i}` })).release();
    const kept = revisions(registry);
    expect(kept.at(-1)).toBe('rev-000000000060.json');
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeLessThanOrEqual(6);
    expect(readdirSync(registry.file).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
    expect(registryData(registry.home).lineage).toHaveLength(60);
  });

  it("sweep a dead writer's temp file, never a live one's", async () => {
    const registry = openRegistry({ home: tempHome() });
    await registry.reserve('a', scope);
    const dead = execFileSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' }).trim();
    const temp = (pid: string | number, place = hereTag()) => join(registry.file, `.tmp-${pid}-${place}-00ff`);
    writeFileSync(temp(dead), 'orphan of a killed writer');
    writeFileSync(temp(process.ppid), 'a live writer between write and link');
    writeFileSync(temp(dead, '0badc0de'), 'a writer in another container: its pid means nothing here');
    // Temp files are swept when a commit lists the directory (every few commits).
    for (let i = 0; i < 4; i++) await (await registry.reserve({ label: `t${i}` })).release();
    expect(existsSync(temp(dead))).toBe(false);
    expect(existsSync(temp(process.ppid))).toBe(true);
    expect(existsSync(temp(dead, '0badc0de'))).toBe(true);
  });

  it('NODE_ENV=test changes nothing: the revision is written', async () => {
    const previous = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'test';
    try {
      const registry = openRegistry({ home: tempHome() });
      const lease = await registry.reserve('x', scope);
      expect(registryData(registry.home).leases[0]!.port).toBe(lease.port);
    } finally {
      process.env['NODE_ENV'] = previous;
    }
  });

  it('a missing newest revision is as if that commit never happened: the one before it is read', async () => {
    const { registry, newest } = await seeded();
    rmSync(newest);
    expect((await registry.list()).map((entry) => entry.service)).toEqual(['db']);
    await registry.reserve('web', scope);
    expect((await registry.list()).map((entry) => entry.service).sort()).toEqual(['db', 'web']);
  });
});

describe("portlease 0.1's registry.json", () => {
  it('is read when no revision exists, and the first commit carries its leases over', async () => {
    const home = tempHome();
    const old = { ...lease, port: 21010, service: 'legacy', app: 'shop', instance: 'main' };
    writeFileSync(join(home, 'registry.json'), JSON.stringify({ schema: 1, rev: 41, nextId: 5, leases: [old], sticky: [] }), { mode: 0o600 });
    const registry = openRegistry({ home });
    expect((await registry.list()).map((entry) => entry.port)).toEqual([21010]);
    const next = await registry.reserve('web', scope);
    expect(next.id).toBe(5);
    expect(revisions(registry)).toEqual(['rev-000000000042.json']);
    expect((await registry.list()).map((entry) => entry.service).sort()).toEqual(['legacy', 'web']);
  });
});

describe('the in-process cache of the registry', () => {
  it('is never fooled by a change that keeps inode, size and mtime', async () => {
    const registry = openRegistry({ home: tempHome() });
    const from = await freeRun(2);
    const lease = await registry.reserve('a', { ...scope, range: [from, from + 1] });
    const file = registryFile(registry.home);
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
    utimesSync(file, tick, tick);
    expect(await registry.list()).toHaveLength(1); // read and remembered at this mtime
    const before = statSync(file);
    const other = lease.port === from ? from + 1 : from;
    // Same length, same inode (written in place), mtime put back: a hand edit on a file
    // system with coarse timestamps.
    writeFileSync(file, readFileSync(file, 'utf8').replace(`"port":${lease.port}`, `"port":${other}`));
    utimesSync(file, tick, tick);
    expect([statSync(file).ino, statSync(file).size, statSync(file).mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
    expect((await registry.list()).map((entry) => entry.port)).toEqual([other]);
    await registry.reserve('b', scope);
    expect((await registry.list()).map((entry) => entry.port)[0]).toBe(other);
  });

  it('hands out copies: changing a returned lease changes nothing', async () => {
    const registry = openRegistry({ home: tempHome() });
    const lease = await registry.reserve('a', scope);
    (await registry.list())[0]!.port = 1;
    lease.owner!.pid = 1;
    expect((await registry.list())[0]).toMatchObject({ port: lease.port, owner: { pid: process.pid } });
  });
});

describe.skipIf(NEEDS.modes)('homes and file-system tricks', () => {
  it('refuses a home that is a symlink', async () => {
    const real = tempHome();
    const link = `${tempHome()}/link`;
    symlinkSync(real, link);
    await expect(openRegistry({ home: link }).reserve('x', scope)).rejects.toMatchObject({ code: 'E_PERMISSION' });
  });

  it('never reads or writes through a revision that is a symlink to another file', async () => {
    const registry = openRegistry({ home: tempHome() });
    await registry.reserve('a', scope);
    await registry.reserve('b', scope);
    const newest = registryFile(registry.home);
    const victim = `${tempHome()}/victim.json`;
    writeFileSync(victim, readFileSync(newest));
    const before = readFileSync(victim);
    rmSync(newest);
    symlinkSync(victim, newest);
    await registry.reserve('c', scope);
    expect(readFileSync(victim).equals(before)).toBe(true);
    expect(statSync(registryFile(registry.home)).mode & 0o777).toBe(0o600);
  });

  it('leaves the mode of an existing home alone', async () => {
    const home = tempHome();
    chmodSync(home, 0o755);
    await openRegistry({ home }).reserve('x', scope);
    expect(statSync(home).mode & 0o777).toBe(0o755);
  });

  it('refuses to write in a home that others can write to, and changes nothing there', async () => {
    const home = tempHome();
    chmodSync(home, 0o777);
    await expect(openRegistry({ home }).reserve('x', scope)).rejects.toMatchObject({
      code: 'E_PERMISSION',
      message: expect.stringMatching(/writable by other users/),
    });
    expect(statSync(home).mode & 0o7777).toBe(0o777);
    expect(readdirSync(home)).toEqual([]);
  });

  it('keeps the sticky bit of a shared home such as /tmp, and writes in a private registry directory there', async () => {
    const home = tempHome();
    chmodSync(home, 0o1777);
    const registry = openRegistry({ home });
    await registry.reserve('x', scope);
    expect(statSync(home).mode & 0o7777).toBe(0o1777);
    expect(statSync(registry.file).mode & 0o777).toBe(0o700);
  });

  it('a home removed while the process runs is created again by the next write', async () => {
    const home = `${tempHome()}/home`;
    const registry = openRegistry({ home });
    await registry.reserve('a', { ...scope, durable: true });
    rmSync(home, { recursive: true });
    expect((await registry.reserve('b', { ...scope, durable: true })).service).toBe('b');
    expect((await registry.list()).map((entry) => entry.service)).toEqual(['b']);
  });

  it('refuses an empty home as a usage error', () => {
    expect(() => openRegistry({ home: '' })).toThrow(TypeError);
  });
});
