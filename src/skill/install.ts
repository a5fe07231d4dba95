/**
 * `portlease skill install`: copies the agent skill shipped in the package's `skill/`
 * folder (SKILL.md and its reference) into the project's `.claude/skills/portlease/`, or
 * into the user-wide skill folders of every agent platform installed. Idempotent: a file
 * whose content is already right is left alone, and the result says which were written.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { PortleaseError, storageError } from '../errors.js';
import { moduleDir } from '../module-dir.js';

/** Agent platforms and their user-wide config folders (relative to the home directory). */
export const SKILL_PLATFORMS = {
  claude: '.claude',
  codex: '.codex',
  agents: '.agents',
} as const;

/** An agent platform: `claude` (Claude Code), `codex` (OpenAI Codex), `agents` (the shared `~/.agents`). */
export type SkillPlatform = keyof typeof SKILL_PLATFORMS;

/** Name of the skill's folder under `skills/`. */
export const SKILL_NAME = 'portlease';

/** Options of {@link installSkill}. */
export interface SkillInstallOptions {
  /** Install user-wide into every platform whose folder exists in the home directory. @default false */
  global?: boolean;
  /**
   * Where a local install goes: the git repository containing `cwd` (else `cwd` itself).
   * @default process.cwd()
   */
  cwd?: string;
  /** Home directory for `global`. @default os.homedir() */
  home?: string;
  /** Folder holding SKILL.md and its reference. @default the `skill/` folder of this package */
  source?: string;
}

/** What happened to one file: new, replaced (content differed), or already right. */
export type SkillFileStatus = 'written' | 'updated' | 'unchanged';

/** One installed file. */
export interface SkillFile {
  path: string;
  status: SkillFileStatus;
}

/** One skill folder written. */
export interface SkillTarget {
  platform: SkillPlatform;
  /** The `…/skills/portlease` folder. */
  dir: string;
  files: SkillFile[];
}

/** Result of {@link installSkill}. */
export interface SkillInstallResult {
  source: string;
  targets: SkillTarget[];
  /** For `global`: platforms not installed here (their folder does not exist), left alone. */
  missing: Array<{ platform: SkillPlatform; dir: string }>;
}

/**
 * Installs the portlease agent skill. Locally it goes to `<project>/.claude/skills/portlease/`
 * (the folder is created). With `global`, to `~/.claude/skills/portlease/`,
 * `~/.codex/skills/portlease/` and `~/.agents/skills/portlease/` for each of `~/.claude`,
 * `~/.codex`, `~/.agents` that exists: a platform that is not installed gets nothing.
 *
 * @example
 * const { targets } = await installSkill({ cwd: '/work/shop' });
 * // targets[0].files: [{ path: '/work/shop/.claude/skills/portlease/SKILL.md', status: 'written' }, …]
 */
export async function installSkill(options: SkillInstallOptions = {}): Promise<SkillInstallResult> {
  const source = resolve(options.source ?? skillSourceDir());
  const files = await listFiles(source);
  if (!files.includes('SKILL.md')) throw new TypeError(`No SKILL.md in ${source}`);
  const contents = new Map<string, Buffer>();
  for (const file of files) contents.set(file, await readFile(join(source, file)));

  const result: SkillInstallResult = { source, targets: [], missing: [] };
  const destinations: Array<{ platform: SkillPlatform; dir: string }> = [];
  if (options.global === true) {
    const home = resolve(options.home ?? homedir());
    for (const [platform, folder] of Object.entries(SKILL_PLATFORMS) as Array<[SkillPlatform, string]>) {
      const dir = join(home, folder, 'skills', SKILL_NAME);
      if (isDirectory(join(home, folder))) destinations.push({ platform, dir });
      else result.missing.push({ platform, dir });
    }
  } else {
    destinations.push({ platform: 'claude', dir: join(projectRoot(resolve(options.cwd ?? process.cwd())), '.claude', 'skills', SKILL_NAME) });
  }
  for (const { platform, dir } of destinations) {
    const target: SkillTarget = { platform, dir, files: [] };
    for (const [file, content] of contents) {
      const path = join(dir, file);
      // A read-only project or a folder that is not ours is E_PERMISSION / E_STORAGE, not a crash.
      const status = await writeIfChanged(path, content).catch((error: unknown) => Promise.reject(storageError(error, path, 'write')));
      target.files.push({ path, status });
    }
    result.targets.push(target);
  }
  return result;
}

/**
 * The `skill/` folder shipped with this package, found by walking up from this module:
 * it sits next to `package.json`, whether this code runs from `src/skill/`, `dist/cli/` or
 * a bundled chunk in `dist/`.
 *
 * @example
 * skillSourceDir(); // '/usr/lib/node_modules/portlease/skill'
 */
export function skillSourceDir(): string {
  let dir = moduleDir();
  for (let depth = 0; depth < 6; depth++) {
    if (existsSync(join(dir, 'skill', 'SKILL.md')) && existsSync(join(dir, 'package.json'))) return join(dir, 'skill');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new PortleaseError('E_STORAGE', `The portlease skill files are missing: no skill/SKILL.md above ${moduleDir()}. Reinstall portlease.`);
}

/** The git repository's top folder containing `cwd`, else `cwd`: skills belong at the project root. */
function projectRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else if (entry.isFile()) out.push(relative(root, path));
  }
  return out.sort();
}

/** Writes `content` to `path` unless it already holds exactly that; atomically, keeping the file's mode. */
async function writeIfChanged(path: string, content: Buffer): Promise<SkillFileStatus> {
  let existing: Buffer | null = null;
  try {
    existing = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing?.equals(content)) return 'unchanged';
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, content);
  return existing === null ? 'written' : 'updated';
}
