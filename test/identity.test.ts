import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveScope } from '../src/identity.js';
import { tempHome } from './helpers.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    stdio: 'ignore',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });

describe('default app and instance', () => {
  it('are the git repository and its linked worktree', () => {
    const root = tempHome();
    const repo = join(root, 'my-shop');
    mkdirSync(join(repo, 'packages', 'api'), { recursive: true });
    git(repo, 'init', '-q');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'init');
    git(repo, 'worktree', 'add', '-q', join(root, 'feature-x'));
    expect(resolveScope({ cwd: join(repo, 'packages', 'api') }, {})).toEqual({ app: 'my-shop', instance: 'default' });
    expect(resolveScope({ cwd: join(root, 'feature-x') }, {})).toEqual({ app: 'my-shop', instance: 'feature-x' });
  });

  it('fall back to the folder name, and yield to options and environment', () => {
    const dir = join(tempHome(), 'Plain Folder');
    mkdirSync(dir);
    expect(resolveScope({ cwd: dir }, {})).toEqual({ app: 'Plain Folder', instance: 'default' });
    expect(resolveScope({ cwd: dir }, { PORTLEASE_APP: 'env-app', PORTLEASE_INSTANCE: 'env-i' })).toEqual({ app: 'env-app', instance: 'env-i' });
    expect(resolveScope({ cwd: dir, app: 'opt' }, { PORTLEASE_APP: 'env-app' })).toEqual({ app: 'opt', instance: 'default' });
  });
});
