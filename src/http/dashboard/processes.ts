/**
 * What the OS tells about a lease's owner: alive or dead, and its command line. Command
 * lines are read once per process (pid and start time) and forgotten when no lease names
 * that process any more.
 */
import { readFile } from 'node:fs/promises';
import { isAlive, isLocal } from '../../owner.js';
import type { Owner } from '../../types.js';
import type { OwnerView } from './view.js';

/** Longest command line shown: enough to tell `next dev` from `vitest`, not a wall of flags. */
const MAX_COMMAND = 300;

/**
 * A command line from the bytes of `/proc/<pid>/cmdline` (pure): arguments are NUL-separated;
 * shown space-separated, control characters replaced, cut at 300 characters.
 *
 * @example
 * commandLine('node\0server.js\0'); // 'node server.js'
 */
export function commandLine(raw: string): string | null {
  // eslint-disable-next-line no-control-regex
  const text = raw
    .split('\0')
    .filter(Boolean)
    .join(' ')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  if (text === '') return null;
  return text.length > MAX_COMMAND ? `${text.slice(0, MAX_COMMAND - 1)}…` : text;
}

/** Looks owners up, remembering command lines between passes. */
export interface OwnerLookup {
  /** The view of `owner` (alive, command line) as of now. */
  view(owner: Owner): Promise<OwnerView>;
  /** Forgets the processes not looked up since the last call: call once per pass. */
  sweep(): void;
}

/**
 * An owner lookup with a command-line cache.
 *
 * @example
 * const owners = ownerLookup();
 * await owners.view(lease.owner); // { pid: 4242, command: 'node server.js', alive: true, local: true }
 */
export function ownerLookup(): OwnerLookup {
  let commands = new Map<string, string | null>();
  let seen = new Map<string, string | null>();
  return {
    async view(owner) {
      const local = isLocal(owner);
      const alive = isAlive(owner);
      const key = `${owner.pid}/${owner.start}`;
      let command: string | null = null;
      if (local && alive) {
        // A command line cached for this pid and start time is the same process's.
        const known = seen.get(key) ?? commands.get(key);
        command = known !== undefined ? known : await readFile(`/proc/${owner.pid}/cmdline`, 'utf8').then(commandLine, () => null);
        seen.set(key, command);
      }
      return { pid: owner.pid, command, alive, local };
    },
    sweep() {
      commands = seen;
      seen = new Map();
    },
  };
}
