import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPortleaseError, openRegistry, type Registry } from '../src/index.js';
import { captureWarnings, tempHome } from './helpers.js';

const scope = { app: 'shop', instance: 'main' };

/** A registry with two durable leases, written twice so that a good backup exists. */
async function seeded(): Promise<{ registry: Registry; good: string }> {
  const registry = openRegistry({ home: tempHome() });
  await registry.reserve('db', { ...scope, durable: true });
  await registry.reserve('cache', { ...scope, durable: true });
  return { registry, good: readFileSync(registry.file, 'utf8') };
}

const lease = { id: 1, port: 21000, app: 'a', instance: 'i', service: 's', owner: null, expiresAt: null, createdAt: '2026-01-01T00:00:00.000Z' };
const wrap = (leases: unknown[], extra: object = {}) => JSON.stringify({ schema: 1, rev: 3, nextId: 9, leases, sticky: [], ...extra });

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
  'missing leases': JSON.stringify({ schema: 1, rev: 1, nextId: 1 }),
  'duplicate ports': wrap([lease, { ...lease, id: 2, service: 't' }]),
  'duplicate names': wrap([lease, { ...lease, id: 2, port: 21001 }]),
  'port 0': wrap([{ ...lease, port: 0 }]),
  'port 70000': wrap([{ ...lease, port: 70000 }]),
  'id not below nextId': wrap([{ ...lease, id: 9 }]),
  'bad owner': wrap([{ ...lease, owner: { pid: 'x' } }]),
  'schema as string': wrap([], { schema: '1' }),
  '10 MB of spaces then junk': `${' '.repeat(10 * 1024 * 1024)}{`,
};

describe('a corrupt registry', () => {
  it.each(Object.keys(corpus))('%s: is moved aside and recovered from the last good copy', async (name) => {
    const { registry, good } = await seeded();
    writeFileSync(registry.file, corpus[name]!);
    const warnings = captureWarnings('PORTLEASE_RECOVERED');
    // Lock-free readers fall back to the backup without touching anything.
    expect((await registry.list()).map((entry) => entry.service)).toEqual(['db']);
    const next = await registry.reserve('web', scope);
    expect(next.id).toBeGreaterThan(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/was unreadable .* moved to .*corrupt-.* recovered from/);
    const aside = readdirSync(registry.home).filter((file) => file.includes('.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(`${registry.home}/${aside[0]}`).equals(Buffer.from(corpus[name]!))).toBe(true);
    // Never silently emptied: what the backup knew is still there.
    expect((await registry.list()).map((entry) => entry.service).sort()).toEqual(['db', 'web']);
    expect(JSON.parse(good).leases).toHaveLength(2);
  });

  it.each(Object.keys(corpus))('%s: without a good copy is refused with E_REGISTRY_CORRUPT and left as it is', async (name) => {
    const registry = openRegistry({ home: tempHome() });
    await registry.reserve('db', { ...scope, durable: true });
    writeFileSync(registry.file, corpus[name]!);
    writeFileSync(`${registry.file}.bak`, 'also broken');
    const error = await registry.reserve('web', scope).catch((caught: unknown) => caught);
    expect(isPortleaseError(error, 'E_REGISTRY_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(registry.file);
    expect((error as Error).message).toMatch(/Move the file aside \(mv /);
    await expect(registry.list()).rejects.toMatchObject({ code: 'E_REGISTRY_CORRUPT' });
    expect(readFileSync(registry.file).equals(Buffer.from(corpus[name]!))).toBe(true);
  });

  it('200 random byte flips never crash: a valid registry or a typed error', async () => {
    const { registry, good } = await seeded();
    const warnings = captureWarnings('PORTLEASE_RECOVERED');
    for (let seed = 0; seed < 200; seed++) {
      const bytes = Buffer.from(good);
      const at = (seed * 7919) % bytes.length;
      bytes[at] = bytes[at]! ^ (1 << (seed % 8));
      writeFileSync(registry.file, bytes);
      writeFileSync(`${registry.file}.bak`, good);
      try {
        const result = await registry.reserve({ label: 'flip' });
        await result.release();
      } catch (error) {
        if (!isPortleaseError(error)) throw error;
      }
    }
    // Each flip that broke the JSON or the schema was recovered from the backup, and said so.
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((warning) => / was unreadable .* recovered from /.test(warning))).toBe(true);
  });
});

describe('a registry from a newer portlease', () => {
  it('is refused for writing and never overwritten, even with a backup', async () => {
    const { registry } = await seeded();
    const future = JSON.stringify({ schema: 2, rev: 1, leases: 'a new shape' });
    writeFileSync(registry.file, future);
    await expect(registry.reserve('web', scope)).rejects.toMatchObject({ code: 'E_REGISTRY_VERSION' });
    await expect(registry.list()).rejects.toMatchObject({ code: 'E_REGISTRY_VERSION' });
    expect(readFileSync(registry.file, 'utf8')).toBe(future);
  });
});

describe('writes', () => {
  it('leave no temp files and keep the previous version as backup', async () => {
    const registry = openRegistry({ home: tempHome() });
    const first = await registry.reserve('a', scope);
    const afterFirst = readFileSync(registry.file, 'utf8');
    await registry.reserve('b', scope);
    expect(readFileSync(`${registry.file}.bak`, 'utf8')).toBe(afterFirst);
    expect(readdirSync(registry.home).filter((file) => file.endsWith('.tmp'))).toEqual([]);
    writeFileSync(`${registry.home}/.registry.json.999-dead.tmp`, 'orphan of a killed writer');
    writeFileSync(`${registry.home}/registry.lock.owner.0123abcd`, 'orphan of a killed lock holder');
    await first.release();
    expect(existsSync(`${registry.home}/.registry.json.999-dead.tmp`)).toBe(false);
    expect(existsSync(`${registry.home}/registry.lock.owner.0123abcd`)).toBe(false);
  });

  it('NODE_ENV=test changes nothing: the file is written', async () => {
    const previous = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'test';
    try {
      const registry = openRegistry({ home: tempHome() });
      const lease = await registry.reserve('x', scope);
      expect(JSON.parse(readFileSync(registry.file, 'utf8')).leases[0].port).toBe(lease.port);
    } finally {
      process.env['NODE_ENV'] = previous;
    }
  });
});

describe('the in-process cache of the registry', () => {
  it('is never fooled by a change that keeps inode, size and mtime', async () => {
    const registry = openRegistry({ home: tempHome() });
    const lease = await registry.reserve('a', { ...scope, range: [21000, 21099] });
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
    utimesSync(registry.file, tick, tick);
    expect(await registry.list()).toHaveLength(1); // read and remembered at this mtime
    const before = statSync(registry.file);
    const other = lease.port === 21000 ? 21001 : 21000;
    // Same length, same inode (written in place), mtime put back: as another process's
    // write looks on a file system with coarse timestamps.
    writeFileSync(registry.file, readFileSync(registry.file, 'utf8').replace(`"port":${lease.port}`, `"port":${other}`));
    utimesSync(registry.file, tick, tick);
    expect([statSync(registry.file).ino, statSync(registry.file).size, statSync(registry.file).mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
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

describe('file-system tricks', () => {
  it('refuses a registry directory that is a symlink', async () => {
    const real = tempHome();
    const link = `${tempHome()}/link`;
    symlinkSync(real, link);
    await expect(openRegistry({ home: link }).reserve('x', scope)).rejects.toMatchObject({ code: 'E_PERMISSION' });
  });

  it('never writes through a registry file that is a symlink to another file', async () => {
    const registry = openRegistry({ home: tempHome() });
    await registry.reserve('a', scope);
    const victim = `${tempHome()}/victim.json`;
    writeFileSync(victim, readFileSync(registry.file));
    const before = readFileSync(victim);
    rmSync(registry.file);
    symlinkSync(victim, registry.file);
    await registry.reserve('b', scope);
    expect(readFileSync(victim).equals(before)).toBe(true);
    expect(lstatSync(registry.file).isSymbolicLink()).toBe(false);
    expect(statSync(registry.file).mode & 0o777).toBe(0o600);
  });
});
