/**
 * Default app and instance names: the git repository and its linked worktree, read from
 * `.git` without spawning git (a reserve must stay cheap).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { NAME_MAX_LENGTH, nameProblem, trimName, UNSAFE_GLOBAL } from './names.js';
import { checkName } from './validate.js';

/** App and instance that name a lease. */
export interface Scope {
  app: string;
  instance: string;
}

/**
 * Turns a folder name into a name: kept as it is when it is one (`My Project` stays
 * `My Project`, as port-registry's portctl names it), else trimmed, unsafe characters as
 * `-` and cut to the length limit; `default` when nothing is left.
 */
function sanitize(folder: string): string {
  const name = trimName(folder);
  if (nameProblem(name) === undefined) return name;
  const cleaned = trimName([...name.replace(UNSAFE_GLOBAL, '-')].slice(0, NAME_MAX_LENGTH).join(''));
  return nameProblem(cleaned) === undefined ? cleaned : 'default';
}

function findGit(cwd: string): { top: string; dotGit: string } | null {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    try {
      statSync(dotGit);
      return { top: dir, dotGit };
    } catch {
      // keep climbing
    }
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The git repository's name and linked worktree of `cwd`: in a linked worktree `.git` is
 * a file `gitdir: <main>/.git/worktrees/<name>`, so the app is the main checkout's folder
 * and the instance the worktree's folder.
 */
function detectScope(cwd: string): Scope {
  const git = findGit(cwd);
  if (!git) return { app: sanitize(basename(resolve(cwd))), instance: 'default' };
  try {
    const text = readFileSync(git.dotGit, 'utf8');
    const match = /^gitdir:\s*(.+)$/m.exec(text);
    const gitdir = match?.[1] ? resolve(git.top, match[1].trim()) : '';
    const worktrees = dirname(gitdir);
    if (basename(worktrees) === 'worktrees') {
      return { app: sanitize(basename(dirname(dirname(worktrees)))), instance: sanitize(basename(git.top)) };
    }
  } catch {
    // .git is a directory: a main checkout
  }
  return { app: sanitize(basename(git.top)), instance: 'default' };
}

/**
 * Resolves app and instance: explicit options, then `PORTLEASE_APP` / `PORTLEASE_INSTANCE`,
 * then the git repository / worktree of `cwd`.
 *
 * @example
 * resolveScope({ app: 'shop' }); // { app: 'shop', instance: 'default' }
 */
export function resolveScope(
  options: { app?: string | undefined; instance?: string | undefined; cwd?: string | undefined } = {},
  env: Record<string, string | undefined> = process.env,
): Scope {
  const app = options.app ?? (env['PORTLEASE_APP'] || undefined);
  const instance = options.instance ?? (env['PORTLEASE_INSTANCE'] || undefined);
  if (app !== undefined && instance !== undefined) return { app: checkName(app, 'app'), instance: checkName(instance, 'instance') };
  const detected = detectScope(options.cwd ?? process.cwd());
  return {
    app: app === undefined ? detected.app : checkName(app, 'app'),
    instance: instance === undefined ? detected.instance : checkName(instance, 'instance'),
  };
}

/**
 * App and instance of one call on a registry: explicit options, then its environment's
 * `PORTLEASE_APP` / `PORTLEASE_INSTANCE`, then the git repository of its `cwd` (or of
 * `process.cwd()` at this call).
 *
 * @example
 * scopeIn({ env: {}, cwd: '/work/shop' }, {}); // { app: 'shop', instance: 'default' }
 */
export function scopeIn(
  where: { env: Record<string, string | undefined>; cwd: string | undefined },
  options: { app?: string | undefined; instance?: string | undefined; cwd?: string | undefined } = {},
): Scope {
  return resolveScope({ app: options.app, instance: options.instance, cwd: options.cwd ?? where.cwd }, where.env);
}
