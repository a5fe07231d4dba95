/**
 * The registry on disk: a directory of immutable revision files, `registry/rev-<N>.json`,
 * whose newest is the registry.
 *
 * Why: a lock made of files (ours, like proper-lockfile's) can be broken — a holder
 * stalled past the stale time, a waiter whose clock is off. Safety must not depend on it.
 * So a commit is a compare-and-swap that the file system enforces:
 *
 * 1. The writer read revision B (the newest name it listed; it may be unreadable, then
 *    the data came from an older one).
 * 2. It writes its whole registry to a temp file of its own (`O_EXCL`), fsyncs it.
 * 3. **Commit point: `link(temp, rev-<B+1>)`.** `link` fails with `EEXIST` when the name
 *    exists, so of all writers that read B, exactly one creates B+1; the others retry from
 *    a fresh read, and their callers never see it. The file is complete before its name
 *    appears, so no reader can see a torn revision.
 * 4. It fsyncs the directory (durability; a failure here is a warning: the commit is made),
 *    removes its temp name and, every few commits, prunes revisions more than one behind
 *    the newest (never before the directory fsync succeeded, never the base it read).
 *
 * The newest name only grows: pruning never removes the newest nor the one before it, and
 * nothing else removes a revision. One trap remains: a writer that stalls between its read
 * and its link while others commit twice and prune can re-create a pruned name (ABA). Such
 * a commit can never become the newest, so nobody reads it (readers confirm the newest
 * name after reading, see `load`), but its writer must not report success. It can only
 * happen to a writer that was passed over (others committed while it held the lock), and
 * a writer knows that: its lock entry is gone. Such a writer lists the directory and checks
 * that the oldest newer revision carries its commit token among the tokens of its last
 * LINEAGE commits; otherwise it removes its orphan and retries. (A passed-over writer
 * whose real commit was followed by LINEAGE commits of others before it looked cannot
 * tell, and retries too: a named lease comes back the same, an anonymous one twice.)
 *
 * What a crash leaves, at each step: before 3, the last committed state (plus a temp file,
 * swept once its writer's pid is gone); after 3, the new state. An I/O error (EIO, ENOSPC,
 * EROFS) at any step before 3 leaves the last committed state and fails the call; after 3
 * it is a warning. A revision that cannot be read (bit rot, a hand edit, a FIFO planted in
 * its place) is passed over for the one before it, with a warning: the previous revision
 * is the backup, and it is never deleted before a newer one is durable.
 */
import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { cache } from './cache.js';
import { PortleaseError, storageError } from './errors.js';
import { codeOf, io } from './fsio.js';
import { isPidAlive, PLACE } from './owner.js';
import type { RegistryPaths } from './paths.js';
import { parseListing, prunable, revisionName, tempName, type Listing } from './revisions.js';
import { emptyRegistry, validateRegistry, type RegistryData } from './schema.js';

const FILE_MODE = 0o600;
/** Windows reports every writable folder as 0666: there, ACLs and not modes say who may write. */
const POSIX_MODES = process.platform !== 'win32';
const DIR_MODE = 0o700;
/** Largest registry file read: a file past it is refused before reading, not parsed. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Commit tokens each revision carries (its own last): how far a writer can tell its descendants. */
const LINEAGE = 64;
/** A writer lists the directory to prune on every PRUNE_BATCH-th revision (and after a recovery). */
const PRUNE_BATCH = 4;

/** Outcome of reading one file. */
type FileState =
  | { state: 'missing' }
  | { state: 'ok'; data: RegistryData; bytes: Buffer }
  | { state: 'corrupt'; reason: string }
  | { state: 'future'; schema: number };

/** Reads one registry file strictly: a regular file within the size limit, valid JSON, valid registry. */
async function readFileState(file: string): Promise<FileState> {
  let bytes: Buffer;
  try {
    const handle = await io.openRead(file);
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return { state: 'corrupt', reason: 'it is not a regular file' };
      if (stat.size > MAX_FILE_BYTES) return { state: 'corrupt', reason: `it is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB` };
      bytes = await handle.read(stat.size);
    } finally {
      await handle.close().catch(() => {});
    }
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT') return { state: 'missing' };
    if (code === 'ELOOP') return { state: 'corrupt', reason: 'it is a symbolic link' };
    throw storageError(error, file, 'read');
  }
  return parseBytes(file, bytes);
}

/** Parses and validates a file's bytes, reusing the cached data when they are the same. */
function parseBytes(file: string, bytes: Buffer): FileState {
  const cached = cache.lookup(file, bytes);
  if (cached) return { state: 'ok', data: cached, bytes };
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text it choked on: keep binary junk out of a one-line warning.
    // eslint-disable-next-line no-control-regex
    const why = (error as Error).message.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, '?');
    return { state: 'corrupt', reason: text.trim() === '' ? 'it is empty' : `it is not JSON (${why})` };
  }
  const result = validateRegistry(parsed);
  if ('kind' in result) return result.kind === 'future' ? { state: 'future', schema: result.schema } : { state: 'corrupt', reason: result.reason };
  return { state: 'ok', data: result, bytes };
}

function futureError(file: string, schema: number): PortleaseError {
  return new PortleaseError(
    'E_REGISTRY_VERSION',
    `${file} has schema ${schema}, written by a newer portlease. Upgrade portlease (this build reads schema 1); the file was left untouched.`,
    { file },
  );
}

/** A registry as read, with what a commit on top of it needs. */
export interface Loaded {
  data: RegistryData;
  /** The newest revision name listed (a commit creates `base + 1`); 0 when there is none. */
  base: number;
  /** The file the data came from, or `null` for a new registry. */
  file: string | null;
  /** Set when the newest revision was unreadable and an older one was used: the warning. */
  recovered: string | null;
  /** Unreadable revisions passed over (kept aside by the next writer). */
  skipped: string[];
  /** The bytes of `file`. */
  bytes: Buffer | null;
}

async function listing(paths: RegistryPaths) {
  try {
    return parseListing(await io.readdir(paths.registry));
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return parseListing([]);
    throw storageError(error, paths.registry, 'list');
  }
}

/**
 * Reads the newest readable revision (lock-free; changes no file). Confirms after reading
 * that the newest name is still the one read: a name re-created by a stalled writer (see
 * above) only exists while newer ones do, so a stable newest name is the real one.
 */
export async function load(paths: RegistryPaths, confirm = true): Promise<Loaded> {
  for (let attempt = 0; ; attempt++) {
    const { revisions } = await listing(paths);
    if (revisions.length === 0) return loadLegacy(paths);
    const loaded = await loadFrom(paths, revisions);
    if (loaded === null) continue; // a revision was pruned under us: list again
    // A writer needs no confirmation: a base that is not the newest makes its commit lose.
    if (!confirm) return loaded;
    const again = (await listing(paths)).revisions[0];
    if (again === revisions[0] || attempt >= 20) return loaded;
  }
}

/** The newest readable revision of a listing (newest first); `null` when one vanished meanwhile. */
async function loadFrom(paths: RegistryPaths, revisions: number[]): Promise<Loaded | null> {
  const skipped: string[] = [];
  const reasons: string[] = [];
  for (const rev of revisions) {
    const file = join(paths.registry, revisionName(rev));
    const read = await readFileState(file);
    if (read.state === 'missing') return null;
    if (read.state === 'future') throw futureError(file, read.schema);
    if (read.state === 'ok' && read.data.rev !== rev) {
      skipped.push(file);
      reasons.push(`${file} holds rev ${read.data.rev}`);
      continue;
    }
    if (read.state === 'corrupt') {
      skipped.push(file);
      reasons.push(`${file} is unreadable (${read.reason})`);
      continue;
    }
    cache.keep(file, read.bytes, read.data);
    const recovered = skipped.length === 0 ? null : `${reasons.join('; ')}: the registry was read from ${file}, the revision before it.`;
    return { data: read.data, base: revisions[0]!, file, recovered, skipped, bytes: read.bytes };
  }
  throw new PortleaseError(
    'E_REGISTRY_CORRUPT',
    `No readable revision in ${paths.registry}: ${reasons.join('; ')}. ` +
      `Move the directory aside (mv ${paths.registry} ${paths.registry}.broken) to start an empty registry; leases in it are then forgotten.`,
    { file: join(paths.registry, revisionName(revisions[0]!)) },
  );
}

/**
 * portlease 0.1 kept one `registry.json` (and `registry.json.bak`) in the home. It is read
 * when no revision exists yet; the first commit turns it into revision rev + 1.
 */
async function loadLegacy(paths: RegistryPaths): Promise<Loaded> {
  const reasons: string[] = [];
  for (const file of [paths.legacy, `${paths.legacy}.bak`]) {
    const read = await readFileState(file);
    if (read.state === 'future') throw futureError(file, read.schema);
    if (read.state === 'ok') return { data: read.data, base: read.data.rev, file, recovered: null, skipped: [], bytes: read.bytes };
    if (read.state === 'corrupt') reasons.push(`${file} is unreadable (${read.reason})`);
  }
  // Never silently emptied: a garbled old registry is refused like a garbled revision.
  if (reasons.length > 0) {
    throw new PortleaseError(
      'E_REGISTRY_CORRUPT',
      `${reasons.join('; ')}. Move it aside (mv ${paths.legacy} ${paths.legacy}.broken) to start an empty registry.`,
      {
        file: paths.legacy,
      },
    );
  }
  return { data: emptyRegistry(), base: 0, file: null, recovered: null, skipped: [], bytes: null };
}

/** The lock-free reader's view (`list`, `lookup`, HTTP GET): the data only. */
export async function readRegistry(paths: RegistryPaths): Promise<RegistryData> {
  return (await load(paths)).data;
}

/**
 * Thrown by a commit that lost the race for its revision name: the transaction reads again
 * and decides again. Never reaches a caller.
 */
export class CommitConflict extends Error {
  constructor() {
    super('another writer committed first');
  }
}

/**
 * Creates `dir` (0700) when missing. Only a directory portlease created has its mode set;
 * an existing one is left as it is, but refused when others can write to it (they could
 * plant files) or when it is a symlink.
 */
export async function ensureDir(dir: string): Promise<void> {
  // Checked once per process: every transaction asks, and the answer rarely changes (a
  // directory removed later makes the write fail with E_STORAGE, and the next call looks again).
  if (ensured.has(dir)) return;
  await checkDir(dir);
  ensured.add(dir);
}

const ensured = new Set<string>();

/** Forgets that `dir` was checked (it went missing). */
export function forgetDir(dir: string): void {
  ensured.delete(dir);
}

async function checkDir(dir: string): Promise<void> {
  try {
    let stat: BigIntStats;
    try {
      stat = await io.lstat(dir);
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') throw error;
      await io.mkdir(dir, DIR_MODE, true);
      stat = await io.lstat(dir);
      // mkdir's mode passes through the umask, which may take the owner's own bits.
      if (POSIX_MODES && (Number(stat.mode) & 0o777) !== DIR_MODE && Number(stat.uid) === process.getuid?.()) await io.chmod(dir, DIR_MODE);
      return;
    }
    if (!stat.isDirectory()) {
      throw new PortleaseError('E_PERMISSION', `${dir} is not a directory. Remove it or set PORTLEASE_HOME elsewhere.`, { file: dir });
    }
    const sticky = (Number(stat.mode) & 0o1000) !== 0;
    const uid = process.getuid?.();
    if (!sticky && uid !== undefined && uid !== 0 && Number(stat.uid) !== uid) {
      throw new PortleaseError('E_PERMISSION', `${dir} belongs to another user (uid ${stat.uid}). Set PORTLEASE_HOME to a directory of your own.`, {
        file: dir,
      });
    }
    if (POSIX_MODES && (Number(stat.mode) & 0o022) !== 0 && !sticky) {
      throw new PortleaseError(
        'E_PERMISSION',
        `${dir} is writable by other users (mode ${(Number(stat.mode) & 0o777).toString(8)}), who could tamper with the registry. Run chmod go-w ${dir}, or set PORTLEASE_HOME to a private directory.`,
        { file: dir },
      );
    }
  } catch (error) {
    if (error instanceof PortleaseError) throw error;
    throw storageError(error, dir, 'create');
  }
}

/** Makes a commit token: random, short, never reused in practice. */
const newToken = () => randomBytes(6).toString('hex');

/**
 * Publishes `data` as revision `loaded.base + 1`. Resolves once the revision is linked
 * (the commit point); throws `CommitConflict` when another writer got there first, a
 * `PortleaseError` when nothing could be written. Trouble after the commit point (directory
 * fsync, cleanup) is a warning: the caller's lease exists.
 *
 * `held` tells whether this writer still holds the lock it took before reading: if so, no
 * other writer can have read a base since, so nobody can have made and pruned the name just
 * linked, and the commit is certain. Only a writer that was passed over (it stalled past
 * the stale time) must check the newer revisions' lineage.
 */
export async function commit(paths: RegistryPaths, loaded: Loaded, data: RegistryData, held: () => Promise<boolean>): Promise<void> {
  const rev = loaded.base + 1;
  const token = newToken();
  data.rev = rev;
  data.lineage = [...(loaded.data.lineage ?? []), token].slice(-LINEAGE);
  const { schema, nextId, lineage, leases, sticky } = data;
  const bytes = Buffer.from(`${JSON.stringify({ schema, rev, nextId, lineage, leases, sticky })}\n`);
  const temp = join(paths.registry, tempName(process.pid, PLACE, randomBytes(4).toString('hex')));
  const target = join(paths.registry, revisionName(rev));
  try {
    await io.writeNew(temp, bytes, FILE_MODE);
    await io.link(temp, target);
  } catch (error) {
    await io.unlink(temp).catch(() => {});
    if (codeOf(error) === 'EEXIST') throw new CommitConflict();
    if (codeOf(error) === 'ENOENT') forgetDir(paths.registry);
    throw storageError(error, target, 'write');
  }
  // Linked. From here on, a failure must not make the caller believe that nothing happened.
  const trouble: string[] = [];
  await io.unlink(temp).catch((error: unknown) => trouble.push(`remove ${temp}: ${codeOf(error)}`));
  const durable = await io.syncDir(paths.registry).then(
    () => true,
    (error: unknown) => trouble.push(`fsync ${paths.registry}: ${codeOf(error)}`) < 0,
  );
  const certain = await held();
  // A passed-over writer must see the listing; the others list only now and then, to prune.
  const after = !certain
    ? await listingToConfirm(paths, target)
    : rev % PRUNE_BATCH === 0 || loaded.skipped.length > 0
      ? await listing(paths).catch(() => null)
      : null;
  if (!certain && after!.revisions[0]! > rev && !(await descends(paths, after!.revisions, rev, token))) {
    await io.unlink(target).catch(() => {});
    throw new CommitConflict();
  }
  cache.keep(target, bytes, data);
  // Pruning waits for a durable directory: the backup must outlive the new name's fsync.
  if (after && durable) trouble.push(...(await tidy(paths, after, rev, loaded)));
  if (trouble.length > 0) {
    process.emitWarning(`The registry was written (rev ${rev}), but cleaning up failed: ${trouble.join('; ')}.`, { code: 'PORTLEASE_STORAGE' });
  }
}

/**
 * The listing a passed-over writer needs to confirm its commit, tried a few times (EMFILE
 * passes): without it the writer cannot tell a real commit from a re-created pruned name,
 * and must not report success.
 */
async function listingToConfirm(paths: RegistryPaths, target: string): Promise<Listing> {
  let failure: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const names = await io.readdir(paths.registry);
      return parseListing(names);
    } catch (error) {
      failure = error;
      await new Promise((resolve) => setTimeout(resolve, 10 * (attempt + 1)));
    }
  }
  throw new PortleaseError(
    'E_STORAGE',
    `Wrote ${target} but could not list ${paths.registry} (${codeOf(failure)}) to confirm it after this process was passed over; the lease may or may not be in the registry. Check with portlease list.`,
    { cause: failure, file: target },
  );
}

/** Whether the oldest revision newer than `rev` carries `token` in its lineage. */
async function descends(paths: RegistryPaths, revisions: number[], rev: number, token: string): Promise<boolean> {
  for (const newer of revisions.filter((candidate) => candidate > rev).reverse()) {
    const read = await readFileState(join(paths.registry, revisionName(newer))).catch(() => ({ state: 'missing' }) as const);
    if (read.state === 'missing') continue; // pruned meanwhile: the next newer one tells
    return read.state === 'ok' && (read.data.lineage ?? []).includes(token);
  }
  return false;
}

/**
 * After a commit: keeps unreadable revisions aside for a post-mortem, prunes old revisions
 * (never the base the data came from), and removes temp files of dead writers of this
 * host and pid namespace. Returns what failed.
 */
async function tidy(paths: RegistryPaths, after: Listing, rev: number, loaded: Loaded): Promise<string[]> {
  const trouble: string[] = [];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  // A hard link under a name that is no revision: the bad bytes stay for a post-mortem.
  for (const file of loaded.skipped) await io.link(file, `${file}.corrupt-${stamp}`).catch(() => {});
  const base = loaded.file?.startsWith(paths.registry) ? loaded.data.rev : null;
  for (const gone of prunable(after.revisions, rev, base)) {
    await io.unlink(join(paths.registry, revisionName(gone))).catch((error: unknown) => {
      if (codeOf(error) !== 'ENOENT') trouble.push(`prune rev ${gone}: ${codeOf(error)}`);
    });
  }
  for (const temp of after.temps) {
    if (temp.place === PLACE && temp.pid !== process.pid && !isPidAlive(temp.pid)) await io.unlink(join(paths.registry, temp.name)).catch(() => {});
  }
  return trouble;
}

/**
 * lowdb adapter for one transaction: `read` loads the newest readable revision, `write`
 * commits on top of it (and throws `CommitConflict` when it lost the race).
 */
class RegistryAdapter implements Adapter<RegistryData> {
  loaded: Loaded | null = null;

  constructor(
    private readonly paths: RegistryPaths,
    private readonly held: () => Promise<boolean>,
  ) {}

  async read(): Promise<RegistryData> {
    this.loaded = await load(this.paths, false);
    // The transaction changes what it gets, while a reader of this process may hold the
    // cached object: a copy of the top level and the arrays (lease objects are replaced,
    // never changed in place).
    const { data } = this.loaded;
    return { ...data, leases: [...data.leases], sticky: [...data.sticky] };
  }

  async write(data: RegistryData): Promise<void> {
    if (this.loaded === null) throw new Error('write before read');
    await commit(this.paths, this.loaded, data, this.held);
  }
}

/**
 * A lowdb database over the registry, for one transaction. (lowdb is imported up front, not
 * on first use: a write at jest's teardown may not load modules any more.)
 */
export async function openDatabase(paths: RegistryPaths, held: () => Promise<boolean>): Promise<{ db: Low<RegistryData>; adapter: RegistryAdapter }> {
  const adapter = new RegistryAdapter(paths, held);
  return { db: new Low(adapter, emptyRegistry()), adapter };
}
