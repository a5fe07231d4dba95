/**
 * Who really holds a port: the processes the OS says listen on it. A lease whose owner
 * died is kept while its port is bound (a child it left behind may still serve there), and
 * a user told "the name is taken" needs to know which process to stop.
 */
import { isPortleaseError, PortleaseError, type Lease } from '../index.js';
import { probePort } from '../probe.js';
import { findListeners, type Listener } from './listeners.js';

/**
 * The listeners of a port in a few words: `pid 4242 (node server.js) on 0.0.0.0`; several
 * joined with `, `; `undefined` when the OS shows none (or not whose).
 *
 * @example
 * describeListeners(await findListeners(20001)); // 'pid 4242 (node server.js) on 0.0.0.0'
 */
export function describeListeners(listeners: readonly Listener[]): string | undefined {
  const seen = new Map<string, string[]>();
  for (const listener of listeners) {
    const who = listener.pid === null ? 'a process of another user' : `pid ${listener.pid}${listener.command === null ? '' : ` (${listener.command})`}`;
    seen.set(who, [...(seen.get(who) ?? []), listener.address]);
  }
  if (seen.size === 0) return undefined;
  return [...seen].map(([who, addresses]) => `${who} on ${addresses.join(', ')}`).join('; ');
}

/**
 * Who listens on `port`, in words, or `undefined` when nobody visibly does.
 *
 * @example
 * await whoListens(20001); // 'pid 4242 (node server.js) on 0.0.0.0'
 */
export async function whoListens(port: number): Promise<string | undefined> {
  return describeListeners(await findListeners(port));
}

/**
 * Adds who listens on the holder's port to an `E_SERVICE_LEASED` / `E_PORT_LEASED` error
 * (same code, holder and port; the original as `cause`); any other error is returned as is.
 *
 * @example
 * throw await withListeners(error);
 */
export async function withListeners(error: unknown): Promise<unknown> {
  if (!isPortleaseError(error) || (error.code !== 'E_SERVICE_LEASED' && error.code !== 'E_PORT_LEASED') || error.port === undefined) return error;
  const who = await whoListens(error.port);
  if (who === undefined) return error;
  const message = `${error.message.replace(/\.?$/, '.')} Port ${error.port} is in use by ${who}.`;
  return new PortleaseError(error.code, message, { cause: error, port: error.port, ...(error.holder === undefined ? {} : { holder: error.holder }) });
}

/**
 * State of a lease for `list --all`: `live`, `expired`, `dead-bound` (owner gone, port
 * still in use: kept until it is free) or `dead` (reclaimed at the next write).
 */
export type LeaseState = 'live' | 'expired' | 'dead-bound' | 'dead';

/**
 * The state of a dead owner's lease: still bound or not, as the OS says now.
 *
 * @example
 * await deadState(lease); // 'dead-bound'
 */
export async function deadState(lease: Lease): Promise<LeaseState> {
  return (await probePort(lease.port)).free ? 'dead' : 'dead-bound';
}
