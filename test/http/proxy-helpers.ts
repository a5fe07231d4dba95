/** Helpers of the proxy tests: backends on leased ports, requests with a chosen Host. */
import { createServer, request, type Agent, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ReserveOptions } from '../../src/index.js';
import type { Harness } from './helpers.js';

export { eventually } from '../helpers.js';

export interface Backend {
  server: Server;
  port: number;
  /** Connections the backend accepted. */
  connections: Socket[];
  /** Requests it received. */
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** Handler of a backend; by default answers `<name> <method> <url>`. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Reserves `service` (durable, app `shop`, instance `default` unless given) in the
 * harness's registry and starts a backend on its port.
 */
export async function backend(harness: Harness, service: string, options: ReserveOptions = {}, handler?: Handler): Promise<Backend> {
  const lease = await harness.registry.reserve(service, { app: 'shop', instance: 'default', durable: true, ...options });
  const connections: Socket[] = [];
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    if (handler) return handler(req, res);
    res.setHeader('content-type', 'text/plain');
    res.end(`${service} ${req.method} ${req.url}`);
  });
  server.on('connection', (socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(lease.port, '127.0.0.1', resolve));
  return {
    server,
    port: lease.port,
    connections,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A request to the server with `Host: <host>:<port>`. */
export function get(
  harness: Harness,
  host: string,
  path = '/',
  options: { method?: string; agent?: Agent | false; headers?: Record<string, string>; body?: string } = {},
): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: harness.server.port,
        path,
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers: { host: `${host}:${harness.server.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
