/**
 * Every connection's first stop. The server's `connection` event is taken from node:http:
 * each new connection is admitted by the connection guard and read by the proxy
 * (`client.ts`); a connection whose request is not a named URL's goes on to node:http's
 * own listener, with the bytes read so far put back, at a request boundary. One sweep
 * enforces the deadlines of the proxy's connections and closes idle backend connections,
 * instead of a timer armed per request.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ClientConnection, type ClientEngine } from './client.js';
import type { ConnectionGuard } from './connections.js';
import type { ProxyContext } from './proxy.js';
import { refuseBusy } from './refusals.js';

/** What the intake needs from the server. */
export interface IntakeOptions {
  proxy: ProxyContext;
  connections: ConnectionGuard;
  /** The API's exact `host:port` values. */
  hosts: () => readonly string[];
  /** Milliseconds the first request head may take. */
  headTimeout: number;
  /** Milliseconds between sweeps. */
  sweepInterval: number;
}

/** The intake of a server. */
export interface Intake {
  /** Connections node:http got because the proxy would not parse their request (answered 400 there). */
  refused: WeakSet<Socket>;
  /** Stops the sweep and closes the proxy's connections (node:http closes its own). */
  close(): void;
}

/**
 * Takes `server`'s connections in (call once, before it listens).
 *
 * @example
 * const intake = takeConnections(server, { proxy, connections, hosts, headTimeout: 5000, sweepInterval: 1000 });
 */
export function takeConnections(server: Server, options: IntakeOptions): Intake {
  const [nodeConnection] = server.listeners('connection') as Array<(socket: Socket) => void>;
  if (!nodeConnection) throw new Error('node:http registered no connection listener');
  server.removeAllListeners('connection');
  const refused = new WeakSet<Socket>();
  const clients = new Set<ClientConnection>();
  const engine: ClientEngine = {
    proxy: options.proxy,
    connections: options.connections,
    hosts: options.hosts,
    headTimeout: options.headTimeout,
    clients,
    handOver(socket, buffered, refusedByProxy) {
      if (refusedByProxy) refused.add(socket);
      socket.pause();
      if (buffered !== undefined) socket.unshift(buffered);
      nodeConnection.call(server, socket);
      socket.resume();
    },
  };
  server.on('connection', (socket: Socket) => {
    if (!options.connections.admit(socket)) return refuseBusy(socket);
    // Small heads and frames both ways: no Nagle delay (the `::1` listener's sockets too).
    socket.setNoDelay(true);
    new ClientConnection(socket, engine);
  });
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const client of clients) client.sweep(now);
    options.proxy.pool.sweep(now);
  }, options.sweepInterval);
  sweeper.unref();
  return {
    refused,
    close() {
      clearInterval(sweeper);
      for (const client of clients) client.destroy();
    },
  };
}
