/**
 * Atomic replacement of one small file: a reader sees the old content or the new, never
 * half of it, and an existing file keeps its permissions. The one home of this primitive:
 * `env --write`, `run --port-file`, the skill files and the server's pid file use it. (The
 * registry does not: its revisions are published by link(), see commit.ts.)
 */
// fs.promises rather than node:fs/promises: the CLI (CommonJS) then loads it only when a
// file is written, not at every start (~0.7 ms).
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomToken } from './token.js';

/**
 * Writes `text` to `file` through a uniquely named temp file in the same directory, fsync,
 * rename, then fsyncs the directory (best effort where that is unsupported).
 *
 * @example
 * await writeFileAtomic('.env', 'POSTGRES_PORT=20001\n');
 */
export async function writeFileAtomic(file: string, text: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const existingMode = await fs.stat(file).then(
    (stats) => stats.mode & 0o7777,
    () => undefined,
  );
  const temp = join(dirname(file), `.${basename(file)}.${randomToken(6)}.tmp`);
  try {
    // A new file: the mode asked for (the pid file: 0600), else the umask decides, like any editor would.
    const handle = await fs.open(temp, 'wx', existingMode ?? options.mode ?? 0o666);
    try {
      await handle.writeFile(text);
      // The umask must not narrow an existing file's mode (not even a 0666 one).
      if (existingMode !== undefined) await handle.chmod(existingMode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  try {
    const directory = await fs.open(dirname(file), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch {
    // Directories cannot be opened or fsynced on every platform (Windows); the rename stands.
  }
}
