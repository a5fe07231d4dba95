/**
 * Connections to the leased ports: a bounded keep-alive agent and a lookup that only ever
 * answers loopback. A proxied request reuses an idle backend connection instead of opening
 * one per request (a new connection per request leaves thousands in TIME_WAIT and costs
 * most of the throughput), and never holds more than {@link BACKEND_MAX_SOCKETS} per
 * port. The name is resolved here, not by DNS: `localhost` may be mapped anywhere in
 * /etc/hosts, and the proxy must never become a relay to another machine.
 */
import { Agent } from 'node:http';
import type { LookupAddress, LookupOptions } from 'node:dns';

/** Backend connections per leased port, busy and idle together. @default 64 */
export const BACKEND_MAX_SOCKETS = 64;
/** Backend connections in all. @default 256 */
export const BACKEND_MAX_TOTAL = 256;
/**
 * Idle backend connections kept per port: as many as may be busy, so that a steady load
 * of N concurrent requests reuses N connections instead of closing and reopening the
 * surplus after every burst. Idle ones still close after the agent's timeout.
 * @default 64
 */
export const BACKEND_MAX_FREE = BACKEND_MAX_SOCKETS;

/** The host name given to every backend request; {@link loopbackLookup} resolves it. */
export const BACKEND_HOST = 'localhost';

const ADDRESSES: LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/**
 * A `lookup` for `net.connect` that resolves any name to 127.0.0.1 and ::1, in that order:
 * with `autoSelectFamily` a dev server listening on `::1` only (Vite on `localhost` where
 * it resolves to ::1 first) is reached too.
 *
 * @example
 * net.connect({ host: 'localhost', port, lookup: loopbackLookup, autoSelectFamily: true });
 */
export function loopbackLookup(
  _hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  if (options.all) callback(null, ADDRESSES);
  else callback(null, ADDRESSES[0]!.address, ADDRESSES[0]!.family);
}

/**
 * Connect options of every backend connection: loopback only, both families (the types
 * of Node 20 do not list `autoSelectFamily` on request options yet; `net.connect` takes it).
 */
export const BACKEND_CONNECT = { lookup: loopbackLookup, autoSelectFamily: true } as { lookup: typeof loopbackLookup };

/**
 * The agent of the proxy's backend requests.
 *
 * @example
 * http.request({ agent: backendAgent(), host: BACKEND_HOST, port, lookup: loopbackLookup, autoSelectFamily: true });
 */
export function backendAgent(): Agent {
  return new Agent({
    keepAlive: true,
    // A backend closes idle connections after its own keep-alive timeout (5 s in Node);
    // reusing one just before that races with its close. Drop ours sooner.
    timeout: 4000,
    maxSockets: BACKEND_MAX_SOCKETS,
    maxTotalSockets: BACKEND_MAX_TOTAL,
    maxFreeSockets: BACKEND_MAX_FREE,
    // The most recently used connection is the least likely to be closed by the backend.
    scheduling: 'lifo',
  });
}
