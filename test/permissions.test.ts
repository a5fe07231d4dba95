import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
import { lockLeftovers, registryFile, registryState, ROOT, tempHome } from './helpers.js';

const NOBODY = 65534;
const root = process.getuid?.() === 0;

/** Runs `fn(registry)` (source text) in a node process as the unprivileged user `nobody`. */
function asNobody(home: string, body: string, umask?: string): { code?: string; message?: string; value?: unknown } {
  const script = `import(${JSON.stringify(`${ROOT}/dist/index.js`)}).then(async ({ openRegistry }) => {
    const registry = openRegistry({ home: ${JSON.stringify(home)} });
    try { console.log(JSON.stringify({ value: await (${body})(registry) })); }
    catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }
  });`;
  const node = [process.execPath, '--input-type=module', '-e', script];
  // With a umask: sh sets it, then runs node in its place ("$0" "$@" is the node command line).
  const command = umask === undefined ? node : ['sh', '-c', `umask ${umask} && exec "$0" "$@"`, ...node];
  const out = execFileSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...command], { encoding: 'utf8' });
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

/** Whether this process can run a command as nobody with setpriv (root, setpriv installed, the uid usable). */
const canBeNobody = (() => {
  if (!root || process.platform !== 'linux') return false;
  try {
    execFileSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!canBeNobody)(`a user who is not root, under umask 0277${canBeNobody ? '' : ' (SKIPPED: needs root, setpriv and the user nobody)'}`, () => {
  // mkdir's mode passes through the umask: 0277 leaves a new directory 0500, in which its
  // owner cannot create anything (root can, so this runs as nobody). The home, the
  // registry directory and the lock's stage must come out 0700 all the same.
  it('reserves, releases and reserves again; the home, the registry and the lock are 0700, the revision 0600', () => {
    const parent = tempHome();
    chmodSync(parent, 0o777);
    const home = `${parent}/nested/home`;
    const result = asNobody(
      home,
      `async (r) => { const a = await r.reserve('web', { app: 'a', instance: 'i' }); await a.release(); return (await r.reserve('api', { app: 'a', instance: 'i', durable: true })).service; }`,
      '0277',
    );
    expect(result, result.message).toEqual({ value: 'api' });
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    expect([`${parent}/nested`, home, `${home}/registry`, `${home}/registry.lock`].map(mode)).toEqual(['700', '700', '700', '700']);
    expect(mode(registryFile(home))).toBe('600');
    expect(lockLeftovers(home)).toEqual([]);
  });
});
