/**
 * Publishing a revision. The registry is a directory of immutable revision files,
 * `registry/rev-<N>.json`, whose newest is the registry (reading it: storage.ts).
 *
 * Why: a lock made of files (ours, like proper-lockfile's) can be broken — a holder
 * stalled past the stale time, a waiter whose clock is off. Safety must not depend on it.
 * So a commit is a compare-and-swap that the file system enforces:
 *
 * 1. The writer read revision B (the newest name it listed; it may be unreadable, then
 *    the data came from an older one).
 * 2. It writes its whole registry to a temp file of its own (`O_EXCL`, 0600) and fsyncs it:
 *    the data and the inode are on disk before any name other than its own points at them.
 * 3. **Commit point: `link(temp, rev-<B+1>)`.** `link` fails with `EEXIST` when the name
 *    exists, so of all writers that read B, exactly one creates B+1; the others retry from
 *    a fresh read, and their callers never see it. The file is complete and durable before
 *    its name appears, so no reader can see a torn revision, nor one that a power cut or a
 *    failing disk could still take away.
 * 4. It fsyncs the directory (the name's durability; a failure here is a warning: the commit
 *    is made and the data is on disk), then removes its temp name and, every few commits,
 *    prunes revisions more than one behind the newest (never before the directory fsync
 *    succeeded, never the base it read).
 *
 * Why the fsync comes before the link. A revision is visible the moment it is linked: a
 * lock-free reader (a re-ask of `reserve` answered without the lock, `lookup`, `list`) may
 * act on it at once, and hand its caller a lease from it. If the link came first and the
 * file's fsync then failed (EIO), the revision would have been seen but may not be on disk,
 * and nothing can take back what a reader was told: withdrawing the revision afterwards
 * frees a port that someone was handed, and a power cut between the link and the fsync
 * loses it the same way. So an fsync failure happens before anything is published: the
 * call fails and the registry is as it was. (Linking first saves one journal commit per
 * write on ext4, about 0.1–0.2 ms: not worth a port handed out twice.) What remains open
 * between the link and the directory fsync is the name alone, never the data: a power cut
 * there may lose the name (the previous revision is then the newest), and it takes every
 * process of the host, and so every reader that saw the revision, with it. The temp name is
 * removed after the directory fsync: removing it before would change the directory again,
 * and that fsync would have to write it too.
 *
 * The newest name only grows: pruning never removes the newest nor the one before it, and
 * nothing else removes a revision. One trap remains: a writer that stalls between its
 * read and its link while others commit twice and prune can re-create a pruned name (ABA). Such a commit can never become the newest, so nobody
 * reads it (readers confirm the newest name after reading, see `load`; a writer reuses a
 * read of its own only while its name is still the newest), but its writer must not report
 * success. It can happen to a writer that still holds the lock, too: writers that were
 * passed over earlier commit without it (three of them, between its read and its link,
 * make and prune its name). So every writer lists the directory after its link: a newest
 * name equal to its own is its real commit (a re-created name is never the newest);
 * otherwise it checks that the oldest newer revision carries its commit token among the
 * tokens of its last LINEAGE commits, or else removes its orphan and retries. (A
 * passed-over writer whose real commit was followed by LINEAGE commits of others before it
 * looked cannot tell, and retries too: a named lease comes back the same, an anonymous one
 * twice.)
 *
 * What a crash leaves, at each step: before 3, the last committed state (plus a temp file,
 * swept once its writer's pid is gone); after 3, the new state. An I/O error (EIO, ENOSPC,
 * EROFS) at any step up to 3, the file's fsync included, leaves the last committed state
 * and fails the call; after 3 it is a warning. A revision that cannot be read (bit rot, a
 * hand edit, a FIFO planted in its place) is passed over for the one before it, with a
 * warning: the previous revision is the backup, and it is never deleted before a newer one
 * is durable.
 */
import { join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { cache } from './cache.js';
import { PortleaseError, storageError } from './errors.js';
import { codeOf, io } from './fsio.js';
import { hereTag, isPidAlive } from './owner.js';
import type { RegistryPaths } from './paths.js';
import { parseListing, prunable, revisionName, tempName, type Listing } from './revisions.js';
import { emptyRegistry, type RegistryData } from './schema.js';
import { randomToken } from './token.js';
import { FILE_MODE, forgetDir, load, readFileState, type Loaded } from './storage.js';

/** Commit tokens each revision carries (its own last): how far a writer can tell its descendants. */
const LINEAGE = 64;
/** A writer lists the directory to prune on every PRUNE_BATCH-th revision (and after a recovery). */
const PRUNE_BATCH = 4;

/**
 * Thrown by a commit that lost the race for its revision name: the transaction reads again
 * and decides again. Never reaches a caller.
 */
export class CommitConflict extends Error {
  constructor() {
    super('another writer committed first');
  }
}

/** Makes a commit token: random, short, never reused in practice. */
const newToken = () => randomToken(6);

/**
 * Publishes `data` as revision `loaded.base + 1`. Resolves once the file was fsynced, then
 * linked, and the directory fsynced; throws `CommitConflict` when another writer got there
 * first, a `PortleaseError` when it could not be written (and then the registry does not
 * hold it, and no reader saw it). Trouble after the link (the directory fsync, cleanup) is a
 * warning: the caller's lease exists.
 *
 * `held` tells whether this writer still holds the lock it took before reading. It decides
 * how often the writer prunes; it does not make the commit certain (passed-over writers
 * commit without the lock): the listing after the link does.
 */
export async function commit(paths: RegistryPaths, loaded: Loaded, data: RegistryData, held: () => Promise<boolean>): Promise<void> {
  const rev = loaded.base + 1;
  const token = newToken();
  data.rev = rev;
  data.lineage = [...(loaded.data.lineage ?? []), token].slice(-LINEAGE);
  const { schema, nextId, lineage, leases, sticky } = data;
  const bytes = Buffer.from(`${JSON.stringify({ schema, rev, nextId, lineage, leases, sticky })}\n`);
  const temp = join(paths.registry, tempName(process.pid, hereTag(), randomToken(4)));
  const target = join(paths.registry, revisionName(rev));
  try {
    // Durable before it is published: a failed fsync publishes nothing (see the header).
    // (writeTemp closes its descriptor when it fails; syncClose closes it in any case.)
    await io.syncClose(await io.writeTemp(temp, bytes, FILE_MODE), temp);
    await io.link(temp, target);
  } catch (error) {
    await io.unlink(temp).catch(() => {});
    if (codeOf(error) === 'EEXIST') throw new CommitConflict();
    if (codeOf(error) === 'ENOENT') forgetDir(paths.registry);
    throw storageError(error, target, 'write');
  }
  // Written. From here on, a failure must not make the caller believe that nothing happened.
  const trouble: string[] = [];
  const durable = await io.syncDir(paths.registry).then(
    () => true,
    (error: unknown) => trouble.push(`fsync ${paths.registry}: ${codeOf(error)}`) < 0,
  );
  // After the directory fsync, not before: removing a name changes the directory, which
  // that fsync would then have to write as well.
  await io.unlink(temp).catch((error: unknown) => trouble.push(`remove ${temp}: ${codeOf(error)}`));
  // Every writer looks, the holder too: holding the lock does not mean that nobody made and
  // pruned this name meanwhile. Writers passed over earlier commit without the lock; three
  // of them between this writer's read and its link make rev, rev + 1 and rev + 2 and prune
  // rev, which the link then re-creates (test/passed-over.test.ts). The newest name listed
  // tells: a re-created name is never the newest.
  const after = await listingToConfirm(paths, target);
  if (after.revisions[0]! > rev && !(await descends(paths, after.revisions, rev, token))) {
    await io.unlink(target).catch(() => {});
    throw new CommitConflict();
  }
  cache.keep(target, bytes, data);
  // A passed-over writer prunes every time; the others only now and then. Pruning waits for
  // a durable directory: the backup must outlive the new name's fsync. Whether this writer
  // still holds the lock decides nothing else, so it is asked (an lstat) only when the
  // batch and a recovery do not already call for a prune.
  const prune = rev % PRUNE_BATCH === 0 || loaded.skipped.length > 0 || !(await held());
  if (prune && durable) trouble.push(...(await tidy(paths, after, rev, loaded)));
  if (trouble.length > 0) {
    process.emitWarning(`The registry was written (rev ${rev}), but cleaning up failed: ${trouble.join('; ')}.`, { code: 'PORTLEASE_STORAGE' });
  }
}

/**
 * The listing every writer needs to confirm its commit, tried a few times (EMFILE
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
    `Wrote ${target} but could not list ${paths.registry} (${codeOf(failure)}) to confirm the commit (its name may be a pruned one, re-created); the lease may or may not be in the registry. Check with portlease list.`,
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
    if (temp.place === hereTag() && temp.pid !== process.pid && !isPidAlive(temp.pid)) await io.unlink(join(paths.registry, temp.name)).catch(() => {});
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
    private readonly known: Loaded | null,
  ) {}

  async read(): Promise<RegistryData> {
    this.loaded = await load(this.paths, false, this.known);
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
 * A lowdb database over the registry, for one transaction; `known` is a read of the same
 * process moments before, used when the newest revision is still that one (see `load`).
 * (lowdb is imported up front, not on first use: a write at jest's teardown may not load
 * modules any more.)
 */
export async function openDatabase(
  paths: RegistryPaths,
  held: () => Promise<boolean>,
  known: Loaded | null = null,
): Promise<{ db: Low<RegistryData>; adapter: RegistryAdapter }> {
  const adapter = new RegistryAdapter(paths, held, known);
  return { db: new Low(adapter, emptyRegistry()), adapter };
}
