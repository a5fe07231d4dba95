/**
 * Counts and times every filesystem call a process makes through `fs.promises`,
 * `FileHandle` methods, the callback API and the synchronous API (src/fsio.ts makes its
 * short calls synchronously), labelled by call and file (`open rev-*.json`,
 * `fsync registry/`, `link .tmp-* → rev-*.json`, …). Calls on a descriptor are labelled
 * with the file it was opened from.
 * Install it BEFORE importing the library, so that nothing it loads has kept a reference
 * to an unwrapped function. Calls of one transaction run one after the other, so their
 * times add up to the time spent waiting on the filesystem; the rest of a cycle is CPU
 * (JSON, validation), probing and scheduling. A call made while another metered call is
 * in flight (fs.promises.rm runs lstat + unlink through the callback API) is not counted
 * again: only outermost calls are.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/**
 * A synchronous call runs to its end before anything else does, so it is never inside
 * another metered call, even while an asynchronous one (a heartbeat's utimes) is in flight:
 * count it always.
 */
const syncOutside = true;

const PROMISE_API = [
  'open',
  'readFile',
  'writeFile',
  'rename',
  'rm',
  'rmdir',
  'unlink',
  'link',
  'lstat',
  'stat',
  'mkdir',
  'readdir',
  'chmod',
  'utimes',
  'access',
  'copyFile',
];
/** Calls whose second argument is a path too (the target): labelled `from → to`. */
const TWO_PATHS = new Set(['rename', 'link', 'copyFile']);
const HANDLE_API = ['writeFile', 'readFile', 'sync', 'datasync', 'chmod', 'stat', 'write', 'read'];
const CALLBACK_API = ['mkdir', 'rmdir', 'stat', 'lstat', 'utimes', 'open', 'close', 'readFile', 'writeFile', 'rename', 'unlink', 'realpath', 'fsync'];
/** Synchronous calls (`<name>Sync`), labelled `<name> <file>` like the others; those in FD_API take a descriptor. */
const SYNC_API = [
  'open',
  'close',
  'fstat',
  'read',
  'write',
  'fchmod',
  'fsync',
  'link',
  'unlink',
  'rename',
  'mkdir',
  'rmdir',
  'readdir',
  'lstat',
  'stat',
  'chmod',
  'utimes',
  'readlink',
];
const FD_API = new Set(['close', 'fstat', 'read', 'write', 'fchmod', 'fsync']);

/**
 * A file's role from its path, with the random parts folded (names of src/revisions.ts and
 * src/lock.ts): `rev-<N>.json` → `rev-*.json`, a temp file `.tmp-<pid>-<hex>` → `.tmp-*`,
 * a lock staging directory `.lock-<pid>-<token>` → `.lock-*`, a lock holder's entry
 * `h.<pid>.…` → `h.*`, a waiter's marker in the lock's queue `w.<pid>.…` → `w.*`, the floor's `.floor.<pid>-<n>.tmp` → `.floor.*.tmp`. The registry's
 * directory is `registry/`; any other name without a dot is the home, `(home)`.
 */
export function fileRole(path) {
  if (typeof path !== 'string' && !(path instanceof URL)) return '';
  if (String(path).startsWith('/proc/')) return '/proc/*';
  const name = String(path).split('/').pop() ?? '';
  if (name === 'registry') return 'registry/';
  if (!name.includes('.')) return '(home)';
  return name
    .replace(/^rev-\d+\.json/, 'rev-*.json')
    .replace(/^\.tmp-\d+-[0-9a-f]+(?:-[0-9a-f]+)?$/, '.tmp-*')
    .replace(/^\.lock-\d+-[0-9a-f]+(?:-[0-9a-f]+)?$/, '.lock-*')
    .replace(/^h\.\d+\..*$/, 'h.*')
    .replace(/^w\.\d+\..*$/, 'w.*')
    .replace(/\.corrupt-[0-9TZ-]+$/, '.corrupt-*')
    .replace(/\.\d+-[0-9a-f]+\.tmp$/, '.*.tmp');
}

/** Installs the meter; returns `{ reset(), read() }` where read() maps a label to {calls, ms}. */
export async function installFsMeter() {
  let stats = new Map();
  let active = 0;
  const roles = new WeakMap(); // FileHandle → role of the path it was opened with
  const add = (label, ms) => {
    const entry = stats.get(label) ?? { calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += ms;
    stats.set(label, entry);
  };
  const wrapAsync = (target, name, label) => {
    const original = target[name];
    if (typeof original !== 'function') return;
    target[name] = async function metered(...args) {
      if (active > 0) return original.apply(this, args);
      active += 1;
      const t0 = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        active -= 1;
        add(label(this, args), performance.now() - t0);
      }
    };
  };
  for (const name of PROMISE_API) {
    const label = TWO_PATHS.has(name) ? (_, args) => `${name} ${fileRole(args[0])} → ${fileRole(args[1])}` : (_, args) => `${name} ${fileRole(args[0])}`.trim();
    wrapAsync(fs.promises, name, label);
  }
  // FileHandle#close is an own property of each handle: wrap it on the handles open() returns.
  const open = fs.promises.open;
  fs.promises.open = async function meteredOpen(...args) {
    const handle = await open.apply(this, args);
    roles.set(handle, fileRole(args[0]));
    wrapAsync(handle, 'close', (self) => `close ${roles.get(self) ?? ''}`.trim());
    return handle;
  };
  const handle = await fs.promises.open(new URL(import.meta.url).pathname, 'r');
  const proto = Object.getPrototypeOf(handle);
  await handle.close();
  for (const name of HANDLE_API) {
    const verb = name === 'sync' ? 'fsync' : `handle.${name}`;
    wrapAsync(proto, name, (self) => `${verb} ${roles.get(self) ?? ''}`.trim());
  }
  const fds = new Map(); // descriptor → role of the path it was opened with
  const roleOf = (name, target) => (FD_API.has(name) && typeof target === 'number' ? (fds.get(target) ?? '') : fileRole(target));
  for (const name of CALLBACK_API) {
    const original = fs[name];
    if (typeof original !== 'function') continue;
    fs[name] = function metered(...args) {
      const callback = args[args.length - 1];
      if (typeof callback !== 'function' || active > 0) return original.apply(this, args);
      active += 1;
      const t0 = performance.now();
      const role = roleOf(name === 'close' ? 'close' : name, args[0]);
      args[args.length - 1] = function done(...results) {
        active -= 1;
        // fsync(fd): the one call src/fsio.ts leaves to the thread pool; labelled as the sync ones.
        add(name === 'fsync' ? `fsync ${role}`.trim() : `${name} ${role} (callback API)`, performance.now() - t0);
        return callback.apply(this, results);
      };
      return original.apply(this, args);
    };
  }
  for (const name of SYNC_API) {
    const original = fs[`${name}Sync`];
    if (typeof original !== 'function') continue;
    const twoPaths = TWO_PATHS.has(name);
    fs[`${name}Sync`] = function meteredSync(...args) {
      if (active > 0 && !syncOutside) return original.apply(this, args);
      const label = twoPaths ? `${name} ${fileRole(args[0])} → ${fileRole(args[1])}` : `${name} ${roleOf(name, args[0])}`.trim();
      const t0 = performance.now();
      try {
        const result = original.apply(this, args);
        if (name === 'open') fds.set(result, fileRole(args[0]));
        return result;
      } finally {
        // A failed call counts too (a lock attempt that finds the lock held is a failed rename).
        add(label, performance.now() - t0);
      }
    };
  }
  // Named imports of node:fs (ESM) see the wrapped functions only after this.
  syncBuiltinESMExports();
  return {
    reset() {
      stats = new Map();
    },
    read() {
      return new Map([...stats].map(([label, entry]) => [label, { ...entry }]));
    },
  };
}
