/**
 * The registry on disk: reading it (the newest readable revision, lock-free and confirmed)
 * and the directories it lives in. How a commit publishes a new revision, and why that is
 * safe without trusting the lock, is in commit.ts.
 */
import type { BigIntStats } from 'node:fs';
import { dirname, join } from 'node:path';
import { cache } from './cache.js';
import { PortleaseError, storageError } from './errors.js';
import { codeOf, io } from './fsio.js';
import type { RegistryPaths } from './paths.js';
import { parseListing, revisionName, type Listing } from './revisions.js';
import { emptyRegistry, validateRegistry, type RegistryData } from './schema.js';

/** Mode of every registry file. */
export const FILE_MODE = 0o600;
/** Windows reports every writable folder as 0666: there, ACLs and not modes say who may write. */
const POSIX_MODES = process.platform !== 'win32';
const DIR_MODE = 0o700;
/** Largest registry file read: a file past it is refused before reading, not parsed. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Outcome of reading one file. */
export type FileState =
  | { state: 'missing' }
  | { state: 'ok'; data: RegistryData; bytes: Buffer }
  | { state: 'corrupt'; reason: string }
  | { state: 'future'; schema: number };

/** Reads one registry file strictly: a regular file within the size limit, valid JSON, valid registry. */
export async function readFileState(file: string): Promise<FileState> {
  let bytes: Buffer;
  try {
    const read = await io.readWhole(file, MAX_FILE_BYTES);
    if (!read.stat.isFile()) return { state: 'corrupt', reason: 'it is not a regular file' };
    if (read.bytes === null) return { state: 'corrupt', reason: `it is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB` };
    bytes = read.bytes;
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

export async function listing(paths: RegistryPaths): Promise<Listing> {
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
 * commit.ts) only exists while newer ones do, so a stable newest name is the real one.
 *
 * `known`: a registry this process read moments ago (the lock-free read a reserve makes
 * before it probes). When the newest name listed now is still the one it was read from,
 * it is returned without reading the file again — and this listing is its confirmation.
 * Why that is sound: nothing removes the newest revision (pruning keeps the newest and the
 * one before it; a passed-over writer removes only its own re-created name, which is never
 * the newest), so a newest name that is the same at both listings means no newer revision
 * was made in between; then the name was never prunable, the file read in between is the
 * one still there, and revision files are never rewritten. (A hand edit of the file in
 * those few milliseconds would be missed, as it would be a moment later.)
 */
export async function load(paths: RegistryPaths, confirm = true, known: Loaded | null = null): Promise<Loaded> {
  for (let attempt = 0; ; attempt++) {
    const { revisions } = await listing(paths);
    if (revisions.length === 0) return loadLegacy(paths);
    if (known !== null && isNewest(paths, known, revisions[0]!)) return known;
    const loaded = await loadFrom(paths, revisions);
    if (loaded === null) continue; // a revision was pruned under us: list again
    // A writer needs no confirmation: a base that is not the newest makes its commit lose.
    if (!confirm) return loaded;
    const again = (await listing(paths)).revisions[0];
    if (again === revisions[0] || attempt >= 20) return loaded;
  }
}

/** Whether `loaded` is a clean read of revision `newest` (not a recovery, not the legacy file). */
function isNewest(paths: RegistryPaths, loaded: Loaded, newest: number): boolean {
  return loaded.base === newest && loaded.skipped.length === 0 && loaded.file === join(paths.registry, revisionName(newest));
}

/**
 * Confirms a read made without confirmation (`load(paths, false)`): one listing, and the
 * read again, confirmed, when the newest name moved meanwhile.
 */
export async function confirmLoad(paths: RegistryPaths, loaded: Loaded): Promise<Loaded> {
  const newest = (await listing(paths)).revisions[0];
  // No revision yet: the read was of the legacy file (or of nothing), as a confirmed read's would be.
  const legacy = newest === undefined && !loaded.file?.startsWith(paths.registry);
  return legacy || (newest !== undefined && isNewest(paths, loaded, newest)) ? loaded : load(paths);
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

/**
 * `mkdir -p` by hand: Node's recursive mkdir loops forever where mkdir fails with ENOENT
 * under an existing parent (a pseudo file system: `--home /proc` as root).
 */
async function makeDirs(dir: string): Promise<void> {
  try {
    await io.mkdir(dir, DIR_MODE);
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return;
    if (codeOf(error) !== 'ENOENT' || dirname(dir) === dir) throw error;
    const parent = dirname(dir);
    await makeDirs(parent);
    try {
      await io.mkdir(dir, DIR_MODE);
    } catch (again) {
      // The parent was just made, and the umask may have taken the owner's own bits (0277
      // leaves it 0500): give a parent of ours 0700 and try once more.
      if (codeOf(again) !== 'EACCES' || !POSIX_MODES) throw again;
      const stat = await io.lstat(parent);
      if (Number(stat.uid) !== process.getuid?.() || (Number(stat.mode) & 0o777) === DIR_MODE) throw again;
      await io.chmod(parent, DIR_MODE);
      await io.mkdir(dir, DIR_MODE);
    }
  }
}

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
      await makeDirs(dir);
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
