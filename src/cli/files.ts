/**
 * Atomic file replacement for files the CLI writes for the user (`env --write`,
 * `run --port-file`): a reader sees the old content or the new, never half of it, and an
 * existing file keeps its permissions.
 */
import { randomBytes } from 'node:crypto';
import { access, constants, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PortleaseError, storageError } from '../errors.js';

/**
 * Writes `text` to `file` through a uniquely named temp file in the same directory, fsync,
 * rename, then fsyncs the directory (best effort where that is unsupported).
 *
 * @example
 * await writeFileAtomic('.env', 'POSTGRES_PORT=20001\n');
 */
export async function writeFileAtomic(file: string, text: string | Uint8Array): Promise<void> {
  const existingMode = await stat(file).then(
    (stats) => stats.mode & 0o7777,
    () => undefined,
  );
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // A new file: the umask decides, like any editor would.
    const handle = await open(temp, 'wx', existingMode ?? 0o666);
    try {
      await handle.writeFile(text);
      // The umask must not narrow an existing file's mode (not even a 0666 one).
      if (existingMode !== undefined) await handle.chmod(existingMode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  try {
    const directory = await open(dirname(file), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch {
    // Directories cannot be opened or fsynced on every platform (Windows); the rename stands.
  }
}

/**
 * Reads a text file, or `undefined` when it does not exist.
 *
 * @example
 * const text = (await readTextIfExists('.env')) ?? '';
 */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Checks that `file` can be written by {@link writeFileAtomic}: its directory exists and is
 * writable, and the file, if any, is a regular file we can read. Run before any lease is
 * made, so that a bad path fails with nothing changed. Throws `E_STORAGE` / `E_PERMISSION`.
 *
 * @example
 * await checkWritable('/missing/dir/.env'); // PortleaseError E_STORAGE: … does not exist
 */
export async function checkWritable(file: string): Promise<void> {
  const dir = dirname(file);
  const dirStats = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      throw new PortleaseError('E_STORAGE', `Cannot write ${file}: the directory ${dir} does not exist. Create it first`, { cause: error, file });
    }
    throw storageError(error, dir, 'read');
  });
  if (!dirStats.isDirectory()) throw new PortleaseError('E_STORAGE', `Cannot write ${file}: ${dir} is not a directory`, { file });
  // The temp file is created in the directory, so the directory must be writable (not only the file).
  await access(dir, constants.W_OK | constants.X_OK).catch((error: unknown) => {
    throw storageError(error, dir, 'write to');
  });
  const fileStats = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw storageError(error, file, 'read');
  });
  if (fileStats !== undefined && !fileStats.isFile()) throw new PortleaseError('E_STORAGE', `Cannot write ${file}: it is not a regular file`, { file });
  if (fileStats !== undefined) {
    await access(file, constants.R_OK).catch((error: unknown) => {
      throw storageError(error, file, 'read');
    });
  }
}
