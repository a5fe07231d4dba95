/**
 * The registry file on disk: strict reads, crash-safe writes, recovery from the last good
 * copy. lowdb's stock JSONFile adapter is not safe here (one fixed temp name shared by
 * every process, no fsync, mode reset to 0644), so lowdb runs over this adapter instead.
 */
import { constants, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Low, type Adapter } from 'lowdb';
import { PortleaseError, storageError } from './errors.js';
import type { RegistryPaths } from './paths.js';
import { emptyRegistry, validateRegistry, type RegistryData } from './schema.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * The last registry this process read or wrote, per file, with its exact bytes. When the
 * file still holds those bytes, decoding, parsing and validating it again (most of a
 * reserve's CPU on a large registry) is skipped; comparing costs a read and a memcmp, but
 * unlike inode, mtime and size it cannot be fooled by inode reuse or coarse timestamps. A transaction takes
 * the entry out while it mutates the data and puts it back only after a successful write;
 * readers treat cached data as read-only and copy what they hand out.
 */
const cache = new Map<string, { bytes: Buffer; data: RegistryData }>();

/** Outcome of reading one file. */
type FileState =
  | { state: 'missing' }
  | { state: 'ok'; data: RegistryData }
  | { state: 'corrupt'; reason: string }
  | { state: 'future'; schema: number };

/** The file's bytes, or `null` when it does not exist. */
async function readBytes(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw storageError(error, file, 'read');
  }
}

/** Parses and validates a file's bytes, reusing the cached data when they are the same. */
function parseBytes(file: string, bytes: Buffer | null): FileState {
  if (bytes === null) return { state: 'missing' };
  const cached = cache.get(file);
  if (cached?.bytes.equals(bytes)) return { state: 'ok', data: cached.data };
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text it choked on: keep binary junk out of a one-line warning.
    // eslint-disable-next-line no-control-regex
    const why = (error as Error).message.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, '?');
    const what = text.trim() === '' ? 'it is empty' : `it is not JSON (${why})`;
    return { state: 'corrupt', reason: what };
  }
  const result = validateRegistry(parsed);
  if ('kind' in result) {
    return result.kind === 'future' ? { state: 'future', schema: result.schema } : { state: 'corrupt', reason: result.reason };
  }
  return { state: 'ok', data: result };
}

async function readFileState(file: string): Promise<FileState> {
  return parseBytes(file, await readBytes(file));
}

function futureError(file: string, schema: number): PortleaseError {
  return new PortleaseError(
    'E_REGISTRY_VERSION',
    `${file} has schema ${schema}, written by a newer portlease. Upgrade portlease (this build reads schema 1); the file was left untouched.`,
    { file },
  );
}

function corruptError(paths: RegistryPaths, reason: string, backupReason: string): PortleaseError {
  return new PortleaseError(
    'E_REGISTRY_CORRUPT',
    `${paths.file} is unreadable (${reason}) and its last good copy ${paths.backup} ${backupReason}. ` +
      `Move the file aside (mv ${paths.file} ${paths.file}.broken) to start an empty registry; leases in it are then forgotten.`,
    { file: paths.file },
  );
}

/**
 * Reads the registry for a lock-free reader (`list`, `lookup`, HTTP GET). Never changes
 * a file: a corrupt registry is read from its backup when that is good.
 */
export async function readRegistry(paths: RegistryPaths): Promise<RegistryData> {
  const bytes = await readBytes(paths.file);
  const main = parseBytes(paths.file, bytes);
  if (main.state === 'ok') {
    if (bytes !== null) cache.set(paths.file, { bytes, data: main.data });
    return main.data;
  }
  if (main.state === 'missing') return emptyRegistry();
  if (main.state === 'future') throw futureError(paths.file, main.schema);
  const backup = await readFileState(paths.backup);
  if (backup.state === 'ok') return backup.data;
  throw corruptError(paths, main.reason, backup.state === 'missing' ? 'does not exist' : 'is unreadable too');
}

/** Creates the registry directory (0700) when missing and refuses a symlinked one. */
export async function ensureDir(paths: RegistryPaths): Promise<void> {
  try {
    // One lstat when the directory exists (every write after the first); mkdir only when not.
    const stat = await fs.lstat(paths.dir).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await fs.mkdir(paths.dir, { recursive: true, mode: DIR_MODE });
      return fs.lstat(paths.dir);
    });
    if (!stat.isDirectory()) {
      throw new PortleaseError('E_PERMISSION', `${paths.dir} is not a directory. Remove it or set PORTLEASE_HOME elsewhere.`, {
        file: paths.dir,
      });
    }
    // mkdir's mode is filtered by the umask, and an existing dir keeps its mode: fix it if ours.
    if ((stat.mode & 0o777) !== DIR_MODE && stat.uid === process.getuid?.()) await fs.chmod(paths.dir, DIR_MODE);
  } catch (error) {
    if (error instanceof PortleaseError) throw error;
    throw storageError(error, paths.dir, 'create');
  }
}

/**
 * lowdb adapter for a writer that holds the lock. `read` recovers a corrupt registry
 * from its backup (keeping the bad file aside); `write` is crash-safe and fenced.
 */
class RegistryAdapter implements Adapter<RegistryData> {
  /** Set when `read` recovered from the backup: the warning to show. */
  recovered: string | null = null;
  /** The revision read (`null`: no file): a write refuses to replace any other. */
  private seenRev: number | null = null;
  private seenBytes: Buffer | null = null;

  constructor(
    private readonly paths: RegistryPaths,
    /** Called just before the rename; throws to refuse a write whose lock was lost. */
    private readonly fence: () => Promise<void>,
  ) {}

  async read(): Promise<RegistryData> {
    const { paths } = this;
    const bytes = await readBytes(paths.file);
    const main = parseBytes(paths.file, bytes);
    // The transaction mutates what it gets: out of the cache until it is written.
    cache.delete(paths.file);
    this.seenBytes = bytes;
    this.seenRev = main.state === 'ok' ? main.data.rev : null;
    if (main.state === 'ok') return main.data;
    if (main.state === 'missing') return emptyRegistry();
    if (main.state === 'future') throw futureError(paths.file, main.schema);
    const backup = await readFileState(paths.backup);
    if (backup.state !== 'ok') {
      throw corruptError(paths, main.reason, backup.state === 'missing' ? 'does not exist' : 'is unreadable too');
    }
    const aside = `${paths.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await fs.rename(paths.file, aside);
    } catch (error) {
      throw storageError(error, paths.file, 'move aside');
    }
    this.seenBytes = null;
    this.seenRev = null;
    this.recovered = `${paths.file} was unreadable (${main.reason}); it was moved to ${aside} and the registry recovered from ${paths.backup} (rev ${backup.data.rev}).`;
    return backup.data;
  }

  /** Puts data that was read and left unchanged back into the cache. */
  retain(data: RegistryData): void {
    if (this.seenBytes !== null && this.recovered === null) cache.set(this.paths.file, { bytes: this.seenBytes, data });
  }

  async write(data: RegistryData): Promise<void> {
    const { paths } = this;
    const temp = `${paths.dir}/.${basename(paths.file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    // Key order fixed, so that readRevision finds the revision in the first bytes.
    const { schema, rev, nextId, leases, sticky } = data;
    const bytes = Buffer.from(`${JSON.stringify({ schema, rev, nextId, leases, sticky })}\n`);
    try {
      // O_EXCL|O_NOFOLLOW: never write through a planted file or symlink.
      const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
      try {
        await handle.writeFile(bytes);
        await handle.chmod(FILE_MODE); // the umask may have removed bits we rely on
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.fence();
      // Fencing: a holder that lost its lock (stalled past the stale time) must not
      // replace what the new holder wrote meanwhile.
      if ((await readRevision(paths.file)) !== this.seenRev) {
        throw new PortleaseError('E_LOCK_COMPROMISED', `${paths.file} changed while this process held the lock; nothing was written. Try again.`, {
          file: paths.file,
        });
      }
      await keepBackup(paths);
      await fs.rename(temp, paths.file);
      await syncDir(paths.dir);
      cache.set(paths.file, { bytes, data });
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => {});
      if (error instanceof PortleaseError) throw error;
      throw storageError(error, paths.file, 'write');
    }
    await removeOrphanTemps(paths);
  }
}

/** Hard-links the current file as the backup: the version read and validated by this writer. */
async function keepBackup(paths: RegistryPaths): Promise<void> {
  await fs.unlink(paths.backup).catch(() => {});
  try {
    await fs.link(paths.file, paths.backup);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename still happened.
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Temp files left by writers killed between write and rename (registry and lock holder
 * record). Only a lock holder calls this, so no live writer's temp file is among them.
 */
async function removeOrphanTemps(paths: RegistryPaths): Promise<void> {
  const registryTemp = `.${basename(paths.file)}.`;
  const ownerTemp = `${basename(paths.lockOwner)}.`;
  const names = await fs.readdir(paths.dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => (name.startsWith(registryTemp) && name.endsWith('.tmp')) || name.startsWith(ownerTemp))
      .map((name) => fs.rm(`${paths.dir}/${name}`, { force: true }).catch(() => {})),
  );
}

/** A lowdb database over the registry file, for one locked transaction. */
export function openDatabase(paths: RegistryPaths, fence: () => Promise<void>): { db: Low<RegistryData>; adapter: RegistryAdapter } {
  const adapter = new RegistryAdapter(paths, fence);
  return { db: new Low(adapter, emptyRegistry()), adapter };
}

/**
 * The revision on disk, read from the first bytes of the file: every write raises it and
 * writes it near the start (`{"schema":1,"rev":N,…`), so this is the fence's cheap check.
 * `null` when there is no file; `-1` when it holds no revision (a corrupt file).
 */
async function readRevision(file: string): Promise<number | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const match = /^\{"schema":\d+,"rev":(\d+),/.exec(head.toString('utf8', 0, bytesRead));
    if (match) return Number(match[1]);
    // Not written by us (edited by hand?): read it whole.
    try {
      const parsed = JSON.parse(await handle.readFile('utf8')) as { rev?: unknown } | null;
      return typeof parsed?.rev === 'number' ? parsed.rev : -1;
    } catch {
      return -1;
    }
  } finally {
    await handle.close();
  }
}
