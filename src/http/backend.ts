/**
 * Connections to the leased ports: a bounded keep-alive agent and a lookup that only ever
 * answers loopback. A proxied request reuses an idle backend connection instead of opening
 * one per request (a new connection per request leaves thousands in TIME_WAIT and costs
 * most of the throughput), and never holds more than {@link BACKEND_MAX_SOCKETS} per
 * port. The name is resolved here, not by DNS: `localhost` may be mapped anywhere in
 * /etc/hosts, and the proxy must never become a relay to another machine.
 */
import { Agent, type ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
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
 * Idle backend connections close after this many ms: a backend closes its own idle
 * connections after its keep-alive timeout (5 s in Node), and reusing one just before
 * that races with the close. @default 4000
 */
export const BACKEND_IDLE_TIMEOUT = 4000;

/**
 * An agent whose timeout applies to idle connections only. The stock `timeout` option
 * also times busy sockets, and refreshing that timer on every chunk read cost a fifth of
 * the throughput of 1 MiB responses here.
 */
class BackendAgent extends Agent {
  override keepSocketAlive(socket: Socket): void {
    // Node returns whether to keep the socket (always true here; its types say void), and
    // destroys a free socket that times out (its own 'timeout' listener).
    const keep = super.keepSocketAlive(socket);
    socket.setTimeout(BACKEND_IDLE_TIMEOUT);
    // biome-ignore lint/correctness/noVoidTypeReturn: Node reads this value (its types say void)
    return keep;
  }

  override reuseSocket(socket: Socket, request: ClientRequest): void {
    socket.setTimeout(0);
    super.reuseSocket(socket, request);
  }
}

/**
 * The agent of the proxy's backend requests.
 *
 * @example
 * http.request({ agent: backendAgent(), host: BACKEND_HOST, port, ...BACKEND_CONNECT });
 */
export function backendAgent(): Agent {
  return new BackendAgent({
    keepAlive: true,
    maxSockets: BACKEND_MAX_SOCKETS,
    maxTotalSockets: BACKEND_MAX_TOTAL,
    maxFreeSockets: BACKEND_MAX_FREE,
    // The most recently used connection is the least likely to be closed by the backend.
    scheduling: 'lifo',
  });
}
