/** `portlease skill install` in-process and from the built bin. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BIN, ROOT, binEnv, cli, runBin, tempDir } from '../cli/helpers.js';

describe('portlease skill install', () => {
  test('locally, then again: says what it wrote, then that nothing changed', async () => {
    const home = await tempDir();
    const cwd = await tempDir('portlease-project-');
    const first = await cli(['skill', 'install'], { home, cwd });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(
      `written    ${join('.claude', 'skills', 'portlease', 'SKILL.md')}\nwritten    ${join('.claude', 'skills', 'portlease', 'reference.md')}\n`,
    );
    const second = await cli(['skill', 'install'], { home, cwd });
    expect(second.stdout).toBe(
      `unchanged  ${join('.claude', 'skills', 'portlease', 'SKILL.md')}\nunchanged  ${join('.claude', 'skills', 'portlease', 'reference.md')}\n`,
    );
  });

  test('--global uses $HOME and skips platforms that are not installed', async () => {
    const home = await tempDir();
    const fakeHome = await tempDir('portlease-userhome-');
    await mkdir(join(fakeHome, '.codex'));
    const result = await cli(['skill', 'install', '--global'], { home, cwd: fakeHome, env: { HOME: fakeHome } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('written    ~/.codex/skills/portlease/SKILL.md\nwritten    ~/.codex/skills/portlease/reference.md\n');
    expect(result.stderr).toBe('skipped claude: ~/.claude does not exist\nskipped agents: ~/.agents does not exist\n');
    expect(existsSync(join(fakeHome, '.claude'))).toBe(false);
  });

  test('--global with no platform: exit 1, nothing written', async () => {
    const home = await tempDir();
    const fakeHome = await tempDir('portlease-userhome-');
    const result = await cli(['skill', 'install', '--global'], { home, env: { HOME: fakeHome } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^portlease: E_NO_PLATFORM: no agent platform found: none of ~\/\.claude, ~\/\.codex, ~\/\.agents exists/);
    const json = await cli(['skill', 'install', '--global', '--json'], { home, env: { HOME: fakeHome } });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ targets: [], error: { code: 'E_NO_PLATFORM' } });
  });

  test('a folder that cannot be written: a storage error with a code, not a crash', async () => {
    const cwd = await tempDir('portlease-project-');
    // A file where the skill folder must go: mkdir fails (ENOTDIR/EEXIST), even for root.
    await writeFile(join(cwd, '.claude'), 'not a folder');
    const result = await cli(['skill', 'install'], { home: cwd, cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^portlease: E_STORAGE: Cannot write .*SKILL\.md/);
  });

  test('--json', async () => {
    const cwd = await tempDir('portlease-project-');
    const result = await cli(['skill', 'install', '--json'], { home: cwd, cwd });
    const parsed = JSON.parse(result.stdout) as { targets: Array<{ files: Array<{ status: string }> }> };
    expect(parsed.targets[0]?.files.map((file) => file.status)).toEqual(['written', 'written']);
  });

  test('usage: no action, or an unknown one, exits 2', async () => {
    const home = await tempDir();
    expect((await cli(['skill'], { home })).code).toBe(2);
    const unknown = await cli(['skill', 'remove'], { home });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown skill action 'remove'/);
  });

  test('the built bin finds the skill shipped in the package', async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does).`);
    const home = await tempDir();
    const cwd = await tempDir('portlease-project-');
    const result = await runBin(['skill', 'install'], { env: binEnv(home), cwd });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(join(cwd, '.claude', 'skills', 'portlease', 'SKILL.md'))).toEqual(await readFile(join(ROOT, 'skill', 'SKILL.md')));
  });
});
