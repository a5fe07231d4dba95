/** `listen()`: bind a Node server on a leased port, closing the gap between lease and bind. */
import type { Server } from 'node:net';
import { LISTEN_ATTEMPTS } from './defaults.js';
import { PortleaseError, typeError } from './errors.js';
import type { HeldLease, ReserveOptions } from './types.js';

/** Options of `listen()`. */
export interface ListenOptions extends ReserveOptions {
  /** Address to bind. @default undefined (Node's default: `::` dual-stack, else `0.0.0.0`) */
  host?: string;
}

function bind(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(host === undefined ? { port } : { port, host });
  });
}

type Reserve = (service: string | undefined, options: ReserveOptions) => Promise<HeldLease>;

/**
 * Reserves a port and binds `server` on it. When something outside portlease took the
 * port between the probe and the bind (EADDRINUSE), the lease is released and another
 * port tried. The lease is released when the server closes.
 */
export async function listenWith(reserve: Reserve, server: Server, service: string | undefined, options: ListenOptions = {}): Promise<HeldLease> {
  if (!server || typeof (server as Server).listen !== 'function') throw typeError('listen() needs a net.Server or http.Server');
  if (server.listening) throw typeError('the server is already listening');
  const { host, ...reserveOptions } = options;
  const exclude = new Set(options.exclude ?? []);
  let lastError: unknown;
  for (let attempt = 0; attempt < LISTEN_ATTEMPTS; attempt++) {
    const lease = await reserve(service, { ...reserveOptions, exclude });
    try {
      await bind(server, lease.port, host);
    } catch (error) {
      await lease.release();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (options.port !== undefined) {
        throw new PortleaseError('E_PORT_BUSY', `Port ${lease.port} was taken by another program before the server could bind it.`, {
          cause: error,
          port: lease.port,
        });
      }
      lastError = error;
      exclude.add(lease.port);
      continue;
    }
    server.once('close', () => {
      void lease.release().catch(() => {});
    });
    return lease;
  }
  throw new PortleaseError('E_PORT_BUSY', `Every port tried in ${LISTEN_ATTEMPTS} attempts was taken by another program before the bind.`, {
    cause: lastError,
  });
}
