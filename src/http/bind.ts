/**
 * Binding the server: its address with a clear error when the port is taken, and `::1`
 * beside 127.0.0.1 so that browsers that try IPv6 first for `*.localhost` connect at once.
 */
import type { Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { PortleaseError } from '../errors.js';
import { bracket } from './guard.js';

/**
 * Listens on `host:port` (exclusively); a taken port is `E_PORT_BUSY` naming the likely holder.
 *
 * @example
 * await listen(server, 51234, '127.0.0.1');
 */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new PortleaseError(
            'E_PORT_BUSY',
            `Cannot listen on ${bracket(host)}:${port}: the port is in use (another portlease serve or port-registry?). Stop it or pick another --port.`,
            { cause: error, port },
          ),
        );
      } else {
        reject(error);
      }
    };
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Listens on `[::1]:port` too and hands its connections to `server`, so both addresses
 * share one server, one connection cap and one set of timeouts. Where `::1` does not exist
 * or is taken, the server stays on IPv4 alone (reported through `onError` when taken).
 *
 * @example
 * const v6 = await listenV6(server, 51234, console.error);
 */
export function listenV6(server: Server, port: number, onError: ((error: unknown) => void) | undefined): Promise<NetServer | undefined> {
  const v6 = createNetServer((socket) => server.emit('connection', socket));
  return new Promise((resolve) => {
    v6.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') onError?.(error);
      resolve(undefined);
    });
    v6.listen({ port, host: '::1', ipv6Only: true, exclusive: true }, () => {
      v6.on('error', (error) => onError?.(error));
      resolve(v6);
    });
  });
}
