import { spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BIN, cli, tempDir } from './helpers.js';
import { NEEDS } from '../os.js';

describe('portlease doctor', () => {
  test.skipIf(NEEDS.modes)('a healthy registry: exit 0, path, lock, counts, ranges', async () => {
    const home = await tempDir();
    await cli(['reserve', 'web'], { home });
    const result = await cli(['doctor'], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`registry   ${join(home, 'registry', 'rev-000000000001.json')}`);
    expect(result.stdout).toContain('dir 0700, file 0600');
    expect(result.stdout).toContain('lock       free');
    expect(result.stdout).toContain('leases     1 live, 0 dead, 0 expired');
    expect(result.stdout).toContain('range      20000-29999 (default)');
    expect(result.stdout).toMatch(/ephemeral {2}\d+-\d+ \(/);
    expect(result.stdout).toContain('problems   none');
  });

  test('a home that does not exist yet is fine', async () => {
    const home = join(await tempDir(), 'not-yet');
    const result = await cli(['doctor'], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(not created yet)');
  });

  test('a registry that exists but cannot be read is "unreadable", never "not created yet"', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const atFile = await cli(['doctor'], { home: file });
    expect(atFile.code).toBe(1);
    expect(atFile.stdout).toContain('(unreadable: the home is not a folder)');
    await mkdir(join(dir, 'registry'));
    await writeFile(join(dir, 'registry', 'rev-000000000001.json'), '{}');
    const garbled = await cli(['doctor'], { home: dir });
    expect(garbled.code).toBe(1);
    expect(garbled.stdout).toContain(`${join(dir, 'registry')} (unreadable)`);
    expect(garbled.stdout).toMatch(/No readable revision/);
    expect(garbled.stdout).not.toContain('not created yet');
    // portlease 0.1's registry.json, garbled and with no good backup: unreadable as well.
    const legacy = await tempDir();
    await writeFile(join(legacy, 'registry.json'), '{}');
    const old = await cli(['doctor'], { home: legacy });
    expect(old.code).toBe(1);
    expect(old.stdout).toContain('(unreadable)');
  });

  test.skipIf(NEEDS.modes)('wrong permissions: exit 1 with the problem listed', async () => {
    const home = await tempDir();
    await cli(['reserve', 'web'], { home });
    await chmod(join(home, 'registry', 'rev-000000000001.json'), 0o644);
    const result = await cli(['doctor'], { home });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/problems {3}1\n {2}- .*rev-000000000001\.json has mode 644/);
    const json = JSON.parse((await cli(['doctor', '--json'], { home })).stdout) as { ok: boolean; problems: string[] };
    expect(json.ok).toBe(false);
    expect(json.problems).toHaveLength(1);
  });

  test('a PORTLEASE_RANGE inside the ephemeral range is a problem', async () => {
    const home = await tempDir();
    const result = await cli(['doctor', '--json'], { home, env: { PORTLEASE_RANGE: '50000-50100' } });
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { range: unknown; problems: string[] };
    expect(json.range).toEqual({ from: 50_000, to: 50_100, source: 'PORTLEASE_RANGE' });
    expect(json.problems.join('\n')).toContain("overlaps the OS's ephemeral range");
  });

  // As root every file is readable: look at the registry as the unprivileged user nobody (setpriv needs root).
  test.skipIf(process.getuid?.() !== 0)('a registry that exists but cannot be read is not "not created yet"', async () => {
    const home = await tempDir();
    await cli(['reserve', 'web'], { home });
    // mkdtemp made the home 0700 and root's: nobody may not look inside.
    const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'doctor', '--home', home], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain('not created yet');
    expect(run.stdout).toContain('(unreadable)');
    expect(run.stdout).toMatch(/Cannot look at .*registry \(EACCES\)/);
  });
});
