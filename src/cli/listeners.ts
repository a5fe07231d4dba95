/**
 * Which processes listen on a TCP port, where the OS shows it (see src/platform/: `/proc`
 * on Linux, `lsof` on macOS, `netstat` on Windows). Processes of other users are often
 * unreadable: their sockets are reported with `pid: null`, or not at all.
 * Best effort by design: `check` must answer even where none of this exists.
 */
import { currentPlatform, type Listener } from '../platform/index.js';

export type { Listener } from '../platform/index.js';
export { parseProcNetTcp, type ProcSocket } from '../platform/linux-parse.js';

/**
 * The processes listening on `port`, as far as this OS lets us see. Never throws.
 *
 * @example
 * for (const { address, pid, command } of await findListeners(20001)) console.log(address, pid, command);
 */
export async function findListeners(port: number): Promise<Listener[]> {
  try {
    return await currentPlatform().listeners(port);
  } catch {
    // Best effort: an unreadable /proc or a missing tool means "unknown", not failure.
    return [];
  }
}
