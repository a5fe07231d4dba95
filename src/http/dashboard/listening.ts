/**
 * Which leased ports something listens on right now. On Linux one read of
 * `/proc/net/tcp` and `/proc/net/tcp6` answers for every port at once, which matters with
 * 500 leases re-checked every few seconds; elsewhere each port is probed by binding it.
 */
import { readFile } from 'node:fs/promises';
import { probePort } from '../../probe.js';

/** TCP state `LISTEN` in `/proc/net/tcp*`. */
const LISTEN = '0A';

/**
 * The local ports in `LISTEN` state in the text of a `/proc/net/tcp` or `/proc/net/tcp6`
 * file (pure).
 *
 * @example
 * listeningIn('  0: 0100007F:1F90 00000000:0000 0A ...'); // Set { 8080 }
 */
export function listeningIn(text: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (fields[3] !== LISTEN || local === undefined) continue;
    const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}

/** Ports in `LISTEN` state in this network namespace, or `null` where /proc does not tell. */
async function procListening(): Promise<Set<number> | null> {
  const texts = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((file) => readFile(file, 'utf8').catch(() => null)));
  if (texts.every((text) => text === null)) return null;
  const ports = new Set<number>();
  for (const text of texts) if (text !== null) for (const port of listeningIn(text)) ports.add(port);
  return ports;
}

/** Probes run at once where each port must be bound to be checked. */
const PROBE_CONCURRENCY = 8;

/**
 * For each of `ports`, whether something listens on it (on Linux) or holds it bound
 * (elsewhere, where only a bind attempt tells); `null` for a port that could not be checked.
 *
 * @example
 * await listening([24817]); // Map { 24817 => true }
 */
export async function listening(ports: readonly number[]): Promise<Map<number, boolean | null>> {
  const result = new Map<number, boolean | null>();
  const fromProc = await procListening();
  if (fromProc !== null) {
    for (const port of ports) result.set(port, fromProc.has(port));
    return result;
  }
  const queue = [...new Set(ports)];
  const worker = async () => {
    for (let port = queue.pop(); port !== undefined; port = queue.pop()) {
      result.set(
        port,
        await probePort(port).then(
          (probe) => !probe.free,
          () => null,
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: PROBE_CONCURRENCY }, worker));
  return result;
}
