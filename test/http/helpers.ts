/**
 * Helpers of the HTTP tests: a real server over a temp registry, raw requests. Temp
 * folders, processes and ports come from the core (test/helpers.ts), re-exported here.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach } from 'vitest';
import { openRegistry, type Registry } from '../../src/index.js';
import { serve, type PortleaseServer, type ServeOptions } from '../../src/http/index.js';
import { makeTempDir, registryState, removeDir } from '../helpers.js';

export * from '../helpers.js';

export interface Harness {
  home: string;
  registry: Registry;
  server: PortleaseServer;
  /** Stops the server and removes the home. */
  close(): Promise<void>;
}

/** A server on an OS-chosen port over a fresh temp registry (its own: `close()` removes it, so a whole file may share one). */
export async function startServer(options: ServeOptions = {}): Promise<Harness> {
  const home = makeTempDir('portlease-http-');
  const registry = openRegistry({ home });
  const server = await serve({ port: 0, home, ...options });
  return {
    home,
    registry,
    server,
    async close() {
      await server.close();
      removeDir(home);
    },
  };
}

/**
 * A fresh server for each test of the file (or of the describe block it is called in):
 * started before each test and handed to `set`, closed with its home after it.
 *
 * @example
 * let h: Harness;
 * useServer((started) => {
 *   h = started;
 * });
 */
export function useServer(set: (harness: Harness) => void, options: ServeOptions = {}): void {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await startServer(options);
    set(current);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body (`undefined` when it is not JSON). */
  json: any;
}

export interface CallOptions {
  /** A JSON value (serialised) or a raw string body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Send `Transfer-Encoding: chunked` instead of a Content-Length. */
  chunked?: boolean;
}

/**
 * One request over a fresh connection, with `Host: 127.0.0.1:<port>` and (with a body)
 * `Content-Type: application/json` unless overridden, as port-registry's Go client sends.
 */
export function call(server: PortleaseServer, method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { host: `127.0.0.1:${server.port}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (body !== undefined && !options.chunked) headers['content-length'] = String(Buffer.byteLength(body));
  Object.assign(headers, options.headers);
  for (const [key, value] of Object.entries(headers)) if (value === '') delete headers[key];
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    // The server may answer (413, 403) and close before the body is all sent.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Sends raw bytes over a socket and resolves with everything received until the server closes. */
export function raw(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(error)));
  });
}

/** The registry's files and bytes: to prove a refusal changed nothing. */
export async function registryBytes(registry: Registry): Promise<string> {
  return JSON.stringify(registryState(registry.home));
}

/** Body of a POST /v1/allocations. */
export function alloc(service: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { app: 'shop', instance: 'main', service, ...extra };
}
