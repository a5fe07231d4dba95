/** `portlease import` through the in-process dispatcher `main(argv, io)`. */
import { existsSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { getOsFreePort, openRegistry } from '../../src/index.js';
import { BIN, binEnv, cli, runBin, tempDir, tempFiles } from '../cli/helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/adopt/', import.meta.url));

const project = (files: Record<string, string>) => tempFiles(files, 'portlease-import-');

describe('portlease import', () => {
  test('prints the table and a summary, registers durable leases, exit 0', async () => {
    const home = await tempDir();
    const web = await getOsFreePort();
    const cache = await getOsFreePort({ exclude: [web] });
    const cwd = await project({
      'compose.yaml': `services:\n  web:\n    ports: ["${web}:80"]\n  worker:\n    ports: ["9000"]\n`,
      '.env': `CACHE_PORT=${cache}\n`,
    });
    const result = await cli(['import'], { home, cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+PORT\s+ACTION\s+FOUND IN\s+NOTE$/);
    expect(lines[1]).toMatch(new RegExp(`^web\\s+${web}\\s+register\\s+compose\\.yaml:3 ${web}:80$`));
    expect(lines[2]).toMatch(/^worker\s+-\s+skip\s+compose\.yaml:5 9000\s+container port only: docker picks the host port$/);
    expect(lines[3]).toMatch(new RegExp(`^cache\\s+${cache}\\s+register\\s+\\.env:1 CACHE_PORT=${cache}$`));
    expect(lines[4]).toBe('testapp/default: 2 registered, 1 skipped');
    const leases = await openRegistry({ home }).list({ app: 'testapp' });
    expect(leases.map((lease) => [lease.service, lease.port, lease.owner, lease.expiresAt])).toEqual([
      ['web', web, null, null],
      ['cache', cache, null, null],
    ]);
  });

  test('--dry-run registers nothing and says so', async () => {
    const home = await tempDir();
    const web = await getOsFreePort();
    const cwd = await project({ '.env': `WEB_PORT=${web}\n` });
    const result = await cli(['import', '--dry-run'], { home, cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`web\\s+${web}\\s+register`));
    expect(result.stdout).toMatch(/testapp\/default: 1 to register \(dry run: nothing registered\)\n$/);
    expect(await openRegistry({ home }).list()).toEqual([]);
  });

  test('conflicts name the holder and exit 1; --json carries the rows', async () => {
    const home = await tempDir();
    const holder = await openRegistry({ home }).reserve('postgres', { app: 'blog', instance: 'default', durable: true });
    const cwd = await project({ '.env': `DB_PORT=${holder.port}\n` });
    const text = await cli(['import'], { home, cwd });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      new RegExp(
        `db\\s+${holder.port}\\s+conflict\\s+\\.env:1 DB_PORT=${holder.port}\\s+port ${holder.port} is leased by blog/default/postgres \\(id ${holder.id}\\)`,
      ),
    );
    expect(text.stdout).toMatch(/testapp\/default: 1 conflict\n$/);

    const json = await cli(['import', '--json', '--app', 'shop'], { home, cwd });
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { app: string; rows: Array<{ action: string; holder: { app: string } }> };
    expect(parsed.app).toBe('shop');
    expect(parsed.rows[0]).toMatchObject({ action: 'conflict', holder: { app: 'blog', service: 'postgres' } });
  });

  test('PATH arguments, --app and --home', async () => {
    const home = await tempDir();
    const other = await tempDir();
    const cwd = await tempDir();
    await cp(join(FIXTURES, 'compose-ipv6'), join(cwd, 'svc'), { recursive: true });
    const result = await cli(['import', 'svc/compose.yml', '--app', 'edge', '--home', home, '--dry-run'], { home: other, cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^web\s+8080\s+(register|claim)\s+svc\/compose\.yml:5 \[::1\]:8080:80/m);
    expect(result.stdout).toMatch(/^registry\s+-\s+skip/m);
    expect(result.stdout).toMatch(/^edge\/default: /m);
  });

  test('a malformed compose file: one error line naming file and line, exit 1, nothing registered', async () => {
    const home = await tempDir();
    const cwd = await tempDir();
    await cp(join(FIXTURES, 'malformed-yaml'), cwd, { recursive: true });
    const before = await readFile(join(cwd, 'docker-compose.yml'));
    const result = await cli(['import'], { home, cwd });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^portlease: E_PARSE: docker-compose\.yml:7:\d+: .+ Fix the file and import again; nothing was registered\.\n$/);
    expect(await readFile(join(cwd, 'docker-compose.yml'))).toEqual(before);
    const json = await cli(['import', '--json'], { home, cwd });
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'E_PARSE', message: expect.stringMatching(/^docker-compose\.yml:7/) } });
  });

  test('nothing to import is not an error', async () => {
    const home = await tempDir();
    const cwd = await tempDir();
    const result = await cli(['import'], { home, cwd });
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toMatch(/No compose file, \.env file or package\.json in .*: nothing to import/);
    await writeFile(join(cwd, 'package.json'), '{"scripts":{"build":"tsc"}}');
    expect((await cli(['import'], { home, cwd })).stderr).toBe('No fixed ports in package.json: nothing to import.\n');
  });

  test('usage errors exit 2; a missing path is a usage error too', async () => {
    const home = await tempDir();
    expect((await cli(['import', '--bogus'], { home })).code).toBe(2);
    const missing = await cli(['import', 'no-such-dir'], { home });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot import no-such-dir: no such file or directory/);
  });

  test('the reverse direction round-trips: env --write .env, compose reads it, import finds it registered', async () => {
    const home = await tempDir();
    const cwd = await project({
      'compose.yaml':
        'services:\n  db:\n    image: postgres:16\n    ports: ["${POSTGRES_PORT}:5432"]\n  cache:\n    image: redis:7\n    ports: ["127.0.0.1:${REDIS_PORT}:6379"]\n',
      '.env': '# local settings\nCOMPOSE_PROJECT_NAME=shop\n',
    });
    const before = await cli(['import', '--dry-run'], { home, cwd });
    expect(before.stdout).toMatch(/^postgres\s+-\s+skip\s+.*\$\{POSTGRES_PORT\} is not set/m);

    expect((await cli(['env', 'postgres', 'redis', '--write', '.env'], { home, cwd })).code).toBe(0);
    const env = await readFile(join(cwd, '.env'), 'utf8');
    expect(env).toMatch(/^COMPOSE_PROJECT_NAME=shop$/m);
    const postgres = Number(/^POSTGRES_PORT=(\d+)$/m.exec(env)?.[1]);
    const redis = Number(/^REDIS_PORT=(\d+)$/m.exec(env)?.[1]);

    const after = await cli(['import', '--json'], { home, cwd });
    expect(after.code).toBe(0);
    const rows = (JSON.parse(after.stdout) as { rows: Array<{ service: string; port: number; action: string; sources: unknown[] }> }).rows;
    expect(rows.map((row) => [row.service, row.port, row.action, row.sources.length])).toEqual([
      ['postgres', postgres, 'exists', 2],
      ['redis', redis, 'exists', 2],
    ]);
  });

  test('the built bin: import --dry-run over a fixture project', async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does).`);
    const home = await tempDir();
    const cwd = await tempDir();
    await cp(join(FIXTURES, 'compose-env-interpolation'), cwd, { recursive: true });
    const result = await runBin(['import', '--dry-run', '--app', 'shop'], { env: binEnv(home), cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^postgres\s+15432\s+(register|claim)\s+compose\.yaml:6 \$\{POSTGRES_PORT:-5432\}:5432, \.env:2 POSTGRES_PORT=15432/m);
    expect(result.stdout).toMatch(/^api\s+4000\s+/m);
    expect(result.stdout).toMatch(/shop\/default: .*\(dry run: nothing registered\)\n$/);
  });

  test('--help', async () => {
    const result = await cli(['import', '--help'], { home: await tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: portlease import \[PATH…\] \[--dry-run\]/);
  });
});
