/**
 * Checks of the paths a command is given, made before any lease is reserved: a file the
 * CLI will write for the user (`env --write`, `run --port-file`) and the registry home
 * (`--home`). A lease made and then stranded by a bad path is the failure these prevent;
 * special files (devices, FIFOs, directories) are refused from their type alone, never
 * opened or read.
 */
// fs.promises rather than node:fs/promises: loaded only when a path is checked, not at every start.
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { contextOf, type Registry } from '../api.js';
import { isPortleaseError, PortleaseError } from '../errors.js';
import { ensureHome } from '../registry.js';
import { UsageError } from './args.js';
import { writeFileAtomic } from '../atomic-write.js';

/**
 * A failure of a file the user named on the command line (`E_FILE`, exit 1). The message
 * names the flag and the path.
 *
 * @example
 * throw new FileError('--write /nonexistent/.env: the folder /nonexistent does not exist');
 */
export class FileError extends Error {
  override readonly name = 'FileError';
  /** Stable code, for `--json` error output. */
  readonly code = 'E_FILE';
}

/** Largest file `env --write` merges into; anything bigger is not a `.env` file. @default 1048576 */
export const TEXT_FILE_LIMIT = 1024 * 1024;

function kindOf(stats: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Resolves and checks a file the command will write: a non-empty name, an existing folder
 * that is one, and (when the file exists) a regular file. Returns the absolute path.
 *
 * @example
 * const file = await checkWriteTarget('--write', '.env', io.cwd);
 */
export async function checkWriteTarget(flag: string, value: string, cwd: string): Promise<string> {
  if (value.trim() === '') throw new UsageError(`${flag} needs a file name, got an empty string`);
  const file = resolve(cwd, value);
  const folder = dirname(file);
  const folderStats = await fs.stat(folder).catch((error: NodeJS.ErrnoException) => error);
  if (folderStats instanceof Error) {
    const why = folderStats.code === 'ENOENT' ? 'does not exist' : folderStats.code === 'ENOTDIR' ? 'is not a folder' : `cannot be read (${folderStats.code})`;
    throw new FileError(`Cannot write ${file} (${flag}): the folder ${folder} ${why}`);
  }
  if (!folderStats.isDirectory()) throw new FileError(`Cannot write ${file} (${flag}): ${folder} is not a folder`);
  const fileStats = await fs.stat(file).catch(() => undefined);
  if (fileStats !== undefined && !fileStats.isFile()) {
    throw new FileError(`Cannot write ${file} (${flag}): it is ${kindOf(fileStats)}, not a regular file`);
  }
  return file;
}

/**
 * Reads a text file the command is about to rewrite, or `undefined` when it does not exist.
 * Opened non-blocking (a FIFO would otherwise wait for a writer), then refused unread unless
 * it is a regular file of at most `limit` bytes.
 *
 * @example
 * const before = (await readTargetText('--write', file)) ?? '';
 */
export async function readTargetText(flag: string, file: string, limit = TEXT_FILE_LIMIT): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FileError(`Cannot read ${file} (${flag}, ${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new FileError(`Cannot use ${file} (${flag}): it is ${kindOf(stats)}, not a regular file`);
    if (stats.size > limit) throw new FileError(`Cannot use ${file} (${flag}): it has ${stats.size} bytes, more than the ${limit} a .env file may have`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Writes a checked target atomically; a failure (disk full, permissions) is a
 * {@link FileError} naming the flag.
 *
 * @example
 * await writeTarget('--port-file', file, '20001\n');
 */
export async function writeTarget(flag: string, file: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(file, text);
  } catch (error) {
    throw new FileError(`Cannot write ${file} (${flag}, ${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
}

/**
 * Checks, before a command writes, that the registry home can hold the registry: storage's
 * own check of the home and its registry folder (the one a write makes first, creating
 * them when missing), so that `--home` at a file, a device or `/proc` fails at once and
 * before anything else happens, with the code the CLI documents (`E_STORAGE`) and the
 * flag named.
 *
 * @example
 * const registry = await checkHome(openRegistry({ home: flags.home, env: io.env, cwd: io.cwd }));
 */
export async function checkHome(registry: Registry): Promise<Registry> {
  try {
    await ensureHome(contextOf(registry).paths);
  } catch (error) {
    if (!isPortleaseError(error)) throw error;
    throw new PortleaseError('E_STORAGE', `The registry home ${registry.home} (--home or PORTLEASE_HOME) cannot hold a registry: ${error.message}`, {
      cause: error,
      file: registry.home,
    });
  }
  return registry;
}
