/** installSkill() into temp projects and temp home directories. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { installSkill, skillSourceDir } from '../../src/skill/install.js';
import { tempDir } from '../cli/helpers.js';

const SKILL = fileURLToPath(new URL('../../skill/', import.meta.url));

describe('the shipped skill', () => {
  test('is found next to package.json', () => {
    expect(skillSourceDir()).toBe(join(SKILL).replace(/[\\/]$/, ''));
  });

  test('SKILL.md has the frontmatter agents need and teaches the commands', async () => {
    const text = await readFile(join(SKILL, 'SKILL.md'), 'utf8');
    const frontmatter = /^---\n([\s\S]*?)\n---\n/.exec(text)?.[1] ?? '';
    // Agents parse the frontmatter as YAML: it must be valid, with a name and a description
    // of at most 1024 characters.
    const meta = parse(frontmatter) as { name: string; description: string };
    expect(meta.name).toBe('portlease');
    expect(meta.description.length).toBeGreaterThan(50);
    expect(meta.description.length).toBeLessThanOrEqual(1024);
    for (const command of ['reserve', 'run', 'env', 'import', 'check', 'release']) {
      expect(text).toContain(`npx portlease ${command}`);
    }
    expect(text).toMatch(/host-bound/);
    expect(text).toMatch(/\$\{POSTGRES_PORT\}:5432/);
    expect(text).toContain('(reference.md)');
    expect(await readFile(join(SKILL, 'reference.md'), 'utf8')).toMatch(/^# portlease reference/);
  });
});

describe('installSkill', () => {
  test('locally: into .claude/skills/portlease of the project, idempotent', async () => {
    const cwd = await tempDir('portlease-project-');
    const first = await installSkill({ cwd });
    const dir = join(cwd, '.claude', 'skills', 'portlease');
    expect(first.targets).toEqual([
      {
        platform: 'claude',
        dir,
        files: [
          { path: join(dir, 'SKILL.md'), status: 'written' },
          { path: join(dir, 'reference.md'), status: 'written' },
        ],
      },
    ]);
    expect(await readFile(join(dir, 'SKILL.md'))).toEqual(await readFile(join(SKILL, 'SKILL.md')));
    expect(await readFile(join(dir, 'reference.md'))).toEqual(await readFile(join(SKILL, 'reference.md')));

    const second = await installSkill({ cwd });
    expect(second.targets[0]?.files.map((file) => file.status)).toEqual(['unchanged', 'unchanged']);
  });

  test('a changed file is updated, the rest left alone', async () => {
    const cwd = await tempDir('portlease-project-');
    await installSkill({ cwd });
    const skill = join(cwd, '.claude', 'skills', 'portlease', 'SKILL.md');
    await writeFile(skill, 'old version\n');
    const result = await installSkill({ cwd });
    expect(result.targets[0]?.files.map((file) => file.status)).toEqual(['updated', 'unchanged']);
    expect(await readFile(skill)).toEqual(await readFile(join(SKILL, 'SKILL.md')));
  });

  test('from a subfolder of a git repository: at the repository root', async () => {
    const root = await tempDir('portlease-repo-');
    await mkdir(join(root, '.git'));
    await mkdir(join(root, 'packages', 'api'), { recursive: true });
    const result = await installSkill({ cwd: join(root, 'packages', 'api') });
    expect(result.targets[0]?.dir).toBe(join(root, '.claude', 'skills', 'portlease'));
  });

  test('globally: only into the platforms that exist in the home directory', async () => {
    const home = await tempDir('portlease-home-');
    await mkdir(join(home, '.claude'));
    await mkdir(join(home, '.agents'));
    const result = await installSkill({ global: true, home, cwd: home });
    expect(result.targets.map((target) => [target.platform, target.dir])).toEqual([
      ['claude', join(home, '.claude', 'skills', 'portlease')],
      ['agents', join(home, '.agents', 'skills', 'portlease')],
    ]);
    expect(result.missing).toEqual([{ platform: 'codex', dir: join(home, '.codex', 'skills', 'portlease') }]);
    expect(await readFile(join(home, '.agents', 'skills', 'portlease', 'SKILL.md'), 'utf8')).toMatch(/^---\nname: portlease/);
    const again = await installSkill({ global: true, home, cwd: home });
    expect(again.targets.flatMap((target) => target.files.map((file) => file.status))).toEqual(Array(4).fill('unchanged'));
  });

  test('globally with no platform installed: nothing written', async () => {
    const home = await tempDir('portlease-home-');
    const result = await installSkill({ global: true, home });
    expect(result.targets).toEqual([]);
    expect(result.missing.map((entry) => entry.platform)).toEqual(['claude', 'codex', 'agents']);
  });

  test('a source without SKILL.md is refused', async () => {
    const source = await tempDir('portlease-source-');
    await expect(installSkill({ source, cwd: source })).rejects.toThrow(/No SKILL\.md/);
  });
});
