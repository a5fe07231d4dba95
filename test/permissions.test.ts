import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
import { lockLeftovers, registryState, ROOT, tempHome } from './helpers.js';

const NOBODY = 65534;
const root = process.getuid?.() === 0;

/** Runs `fn(registry)` (source text) in a node process as the unprivileged user `nobody`. */
function asNobody(home: string, body: string): { code?: string; message?: string; value?: unknown } {
  const script = `import(${JSON.stringify(`${ROOT}/dist/index.js`)}).then(async ({ openRegistry }) => {
    const registry = openRegistry({ home: ${JSON.stringify(home)} });
    try { console.log(JSON.stringify({ value: await (${body})(registry) })); }
    catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }
  });`;
  const out = execFileSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { code?: string; message?: string; value?: unknown };
}

// These drop privileges with setpriv, which needs root (CI runs as root); elsewhere they are skipped.
describe.skipIf(!root)('permissions (needs root to switch to nobody)', () => {
  it('a registry that is not yours: E_PERMISSION with the fix, and nothing changed', async () => {
    const registry = openRegistry({ home: `${tempHome()}/home` });
    await registry.reserve('db', { app: 'a', instance: 'i' });
    const before = registryState(registry.home);
    chmodSync(registry.home, 0o700);
    const result = asNobody(registry.home, `(r) => r.reserve('web', { app: 'a', instance: 'i' })`);
    expect(result.code).toBe('E_PERMISSION');
    expect(result.message).toMatch(/(EACCES|belongs to another user).*PORTLEASE_HOME/);
    expect(registryState(registry.home)).toEqual(before);
  });

  it('after a sudo run (directory yours, file root’s): E_PERMISSION, no partial state', async () => {
    const parent = tempHome();
    chmodSync(parent, 0o755);
    const registry = openRegistry({ home: `${parent}/home` });
    await registry.reserve('db', { app: 'a', instance: 'i' });
    chownSync(registry.home, NOBODY, NOBODY);
    const result = asNobody(registry.home, `(r) => r.reserve('web', { app: 'a', instance: 'i' })`);
    expect(result.code).toBe('E_PERMISSION');
    expect(lockLeftovers(registry.home)).toEqual([]);
    expect(readdirSync(registry.file).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
  });

  it('an owner the caller may not signal (EPERM) counts as alive: its lease is not reclaimed', async () => {
    const parent = tempHome();
    chmodSync(parent, 0o755);
    const home = `${parent}/home`;
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, NOBODY, NOBODY);
    // As nobody, make a registry holding a lease owned by this (root) process.
    const made = asNobody(home, `(r) => r.reserve('held', { app: 'a', instance: 'i', owner: ${process.pid} })`);
    // The whole answer as the message: when it is an error, its code and text say why.
    expect(made.value, JSON.stringify(made)).toMatchObject({ owner: { pid: process.pid } });
    const pruned = asNobody(home, `(r) => r.prune()`);
    expect(pruned.value).toEqual([]);
    expect(asNobody(home, `(r) => r.list()`).value).toHaveLength(1);
  });
});
