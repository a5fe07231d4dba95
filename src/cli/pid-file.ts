/**
 * The background server's pid file (`serve.pid`, JSON) in the registry directory. The
 * server writes it once it listens and removes it when it stops, so the file means "a
 * server was listening"; a pid file whose process is gone (SIGKILL, a reboot) is stale and
 * cleaned up by whoever finds it (see background-server.ts).
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';

/** File name of the pid file inside the registry directory. */
export const PID_FILE = 'serve.pid';

/** What the pid file records. */
export interface PidInfo {
  pid: number;
  port: number;
  host: string;
  url: string;
  /** ISO time the server started listening. */
  startedAt: string;
}

/**
 * Writes the pid file atomically (temp file, rename), readable by the user only.
 *
 * @example
 * await writePidFile(registry.home, { pid: process.pid, port: 51234, host: '127.0.0.1', url, startedAt: new Date().toISOString() });
 */
export async function writePidFile(dir: string, info: PidInfo): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dir, PID_FILE), `${JSON.stringify(info)}\n`, { mode: 0o600 });
}

/**
 * Reads the pid file: its contents, `undefined` when there is none, or `null` when it is
 * unreadable or not ours (treated as stale).
 *
 * @example
 * const info = await readPidFile(registry.home);
 */
export async function readPidFile(dir: string): Promise<PidInfo | undefined | null> {
  let text: string;
  try {
    text = await readFile(join(dir, PID_FILE), 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
  try {
    const value = JSON.parse(text) as Partial<PidInfo>;
    const valid =
      Number.isSafeInteger(value.pid) &&
      (value.pid as number) > 0 &&
      Number.isInteger(value.port) &&
      typeof value.host === 'string' &&
      typeof value.url === 'string' &&
      typeof value.startedAt === 'string';
    return valid ? (value as PidInfo) : null;
  } catch {
    return null;
  }
}

/**
 * Removes the pid file when it names `pid` (or always, without `pid`): a server never
 * removes the file of another one that took over.
 *
 * @example
 * await removePidFile(registry.home, process.pid);
 */
export async function removePidFile(dir: string, pid?: number): Promise<void> {
  if (pid !== undefined) {
    const info = await readPidFile(dir);
    if (info?.pid !== pid) return;
  }
  await rm(join(dir, PID_FILE), { force: true });
}
