/**
 * importPorts() against a temp registry: what it registers, claims and reports as
 * conflicts, that --dry-run and malformed files leave the registry as it was, that
 * importing twice changes nothing, and that scanned files are never modified.
 */
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { importPorts } from '../../src/adopt/import.js';
import { openRegistry } from '../../src/index.js';
import { boundPort as bound, freePorts, registryState, tempDir, tempFiles } from '../helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/adopt/', import.meta.url));

/** Every file of a folder, by name, as bytes. */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await readdir(dir)) files.set(name, await readFile(join(dir, name)));
  return files;
}

const project = (files: Record<string, string>) => tempFiles(files, 'portlease-import-');

describe('importPorts', () => {
  test('registers free ports, claims bound ones, reports ports held by another app', async () => {
    const home = await tempDir('portlease-home-');
    const registry = openRegistry({ home });
    const blog = await registry.reserve('db', { app: 'blog', instance: 'default', durable: true });
    const running = await bound();
    const [web, cache, dev] = await freePorts(3);
    const dir = await project({
      'docker-compose.yml': `services:
  web:
    image: nginx
    ports: ["${web}:80"]
  api:
    build: .
    ports:
      - "127.0.0.1:${running}:3000"
  db:
    image: postgres
    ports:
      - "\${DB_PORT:-${blog.port}}:5432"
  worker:
    build: .
    ports: ["9000"]
`,
      '.env': `CACHE_PORT=${cache}\n`,
      'package.json': JSON.stringify({ scripts: { dev: `vite --port ${dev}` } }),
    });
    const before = await snapshot(dir);

    const result = await importPorts(openRegistry({ home, env: {}, cwd: dir }), { app: 'shop' });

    expect(result).toMatchObject({ app: 'shop', instance: 'default', dryRun: false });
    expect(result.files).toEqual(['docker-compose.yml', '.env', 'package.json']);
    expect(result.rows.map((row) => [row.service, row.port, row.action])).toEqual([
      ['web', web, 'register'],
      ['api', running, 'claim'],
      ['db', blog.port, 'conflict'],
      ['worker', null, 'skip'],
      ['cache', cache, 'register'],
      ['dev', dev, 'register'],
    ]);
    const conflict = result.rows[2]!;
    expect(conflict.reason).toBe(`port ${blog.port} is leased by blog/default/db (id ${blog.id})`);
    expect(conflict.holder).toMatchObject({ id: blog.id, app: 'blog', service: 'db' });

    const leases = await registry.list({ app: 'shop' });
    expect(leases.map((lease) => [lease.service, lease.port])).toEqual([
      ['web', web],
      ['api', running],
      ['cache', cache],
      ['dev', dev],
    ]);
    for (const lease of leases) expect(lease).toMatchObject({ owner: null, expiresAt: null, instance: 'default' });
    expect(leases.find((lease) => lease.service === 'api')?.claimed).toBe(true);
    expect(result.rows[0]?.lease).toMatchObject({ service: 'web', port: web });
    // Nothing changed for the other app, and nothing was written to the project.
    expect(await registry.list({ app: 'blog' })).toEqual([expect.objectContaining({ id: blog.id, port: blog.port })]);
    expect(await snapshot(dir)).toEqual(before);
  });

  test('importing twice changes nothing the second time', async () => {
    const home = await tempDir('portlease-home-');
    const [web, cache] = await freePorts(2);
    const dir = await project({ 'compose.yaml': `services:\n  web:\n    ports: ["${web}:80"]\n`, '.env': `CACHE_PORT=${cache}\n` });
    await importPorts(openRegistry({ home, env: {}, cwd: dir }), { app: 'shop' });
    const registry = openRegistry({ home });
    const first = registryState(registry.home);
    const again = await importPorts(openRegistry({ home, env: {}, cwd: dir }), { app: 'shop' });
    expect(again.rows.map((row) => [row.service, row.action])).toEqual([
      ['web', 'exists'],
      ['cache', 'exists'],
    ]);
    expect(again.rows[0]?.reason).toMatch(/^already registered \(id \d+\)$/);
    expect(registryState(registry.home)).toEqual(first);
  });

  test('--dry-run plans against the registry and the OS but writes nothing', async () => {
    const home = await tempDir('portlease-home-');
    const registry = openRegistry({ home });
    const other = await registry.reserve('web', { app: 'blog', durable: true });
    const running = await bound();
    const [free] = await freePorts(1);
    const dir = await project({
      'compose.yaml': `services:\n  web:\n    ports: ["${other.port}:80"]\n  api:\n    ports: ["${running}:80"]\n  db:\n    ports: ["${free}:5432"]\n`,
    });
    const before = registryState(registry.home);
    const files = await snapshot(dir);
    const result = await importPorts(openRegistry({ home, env: {}, cwd: dir }), { app: 'shop', dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.rows.map((row) => [row.service, row.action])).toEqual([
      ['web', 'conflict'],
      ['api', 'claim'],
      ['db', 'register'],
    ]);
    expect(result.rows.every((row) => row.lease === undefined)).toBe(true);
    expect(registryState(registry.home)).toEqual(before);
    expect(await snapshot(dir)).toEqual(files);
  });

  test('a dry run into an empty home creates no registry file', async () => {
    const home = join(await tempDir('portlease-home-'), 'registry');
    const [free] = await freePorts(1);
    const dir = await project({ '.env': `WEB_PORT=${free}\n` });
    const result = await importPorts(openRegistry({ home, env: {}, cwd: dir }), { app: 'shop', dryRun: true });
    expect(result.rows[0]).toMatchObject({ service: 'web', action: 'register' });
    await expect(readdir(home)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('a malformed compose file fails before the registry is touched', async () => {
    const home = await tempDir('portlease-home-');
    const registry = openRegistry({ home });
    await registry.reserve('seed', { durable: true, app: 'x' });
    const before = registryState(registry.home);
    const dir = await tempDir('portlease-import-');
    await cp(join(FIXTURES, 'malformed-yaml'), dir, { recursive: true });
    await writeFile(join(dir, '.env'), 'GOOD_PORT=4321\n');
    await expect(importPorts(openRegistry({ home, env: {}, cwd: dir }), { app: 'shop' })).rejects.toThrow(/^docker-compose\.yml:7:\d+: /);
    expect(registryState(registry.home)).toEqual(before);
  });

  test('the app defaults to the project folder (or its git repository)', async () => {
    const home = await tempDir('portlease-home-');
    const [free] = await freePorts(1);
    const dir = await project({ '.env': `WEB_PORT=${free}\n` });
    const result = await importPorts(openRegistry({ home, env: {}, cwd: dir }), { dryRun: true });
    expect(result.app).toBe(dir.split(/[\\/]/).pop());
  });

  test.each(['compose-v3-basic', 'compose-env-interpolation', 'compose-anchors-reset', 'mixed-project', 'package-scripts'])(
    'fixture %s: every host port registered or claimed, scanned files untouched',
    async (name) => {
      const home = await tempDir('portlease-home-');
      const dir = await tempDir('portlease-import-');
      await cp(join(FIXTURES, name), dir, { recursive: true });
      const before = await snapshot(dir);
      const result = await importPorts(openRegistry({ home, env: {}, cwd: dir }), { app: name });
      const registered = result.rows.filter((row) => row.action === 'register' || row.action === 'claim');
      expect(registered.length).toBeGreaterThan(0);
      expect(result.rows.filter((row) => row.action === 'conflict')).toEqual([]);
      const leases = await openRegistry({ home }).list({ app: name });
      expect(leases.map((lease) => [lease.service, lease.port])).toEqual(registered.map((row) => [row.service, row.port]));
      expect(await snapshot(dir)).toEqual(before);
    },
  );

  test('two apps importing the same fixed port: the second gets a conflict naming the first', async () => {
    const home = await tempDir('portlease-home-');
    const [port] = await freePorts(1);
    const one = await project({ '.env': `POSTGRES_PORT=${port}\n` });
    const two = await project({ '.env': `DB_PORT=${port}\n` });
    await importPorts(openRegistry({ home, env: {}, cwd: one }), { app: 'one' });
    const result = await importPorts(openRegistry({ home, env: {}, cwd: two }), { app: 'two' });
    expect(result.rows[0]).toMatchObject({ service: 'db', port, action: 'conflict' });
    expect(result.rows[0]?.reason).toMatch(/^port \d+ is leased by one\/default\/postgres \(id \d+\)$/);
  });
});
