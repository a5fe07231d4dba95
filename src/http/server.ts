/**
 * The HTTP server: `node:http` only, wire-compatible with port-registry's `/v1` API, and
 * hardened the way a server on 127.0.0.1 must be, since every web page the user opens and
 * every local user can reach it: Host allowlist (DNS rebinding), no cross-site requests,
 * `application/json` for bodies from web pages (CSRF), a 64 KiB body cap, short timeouts, a
 * connection cap that evicts slow and idle clients rather than refusing new ones
 * (`connections.ts`), no CORS headers, and JSON errors without stacks, also for what Node
 * answers before the handler (`refusals.ts`). The API's request handler is `api-handler.ts`;
 * routing itself is pure and lives in `routes.ts`.
 * Every connection is read by the named-URL proxy first (`client.ts`), which hands the
 * API's and the dashboard's connections to node:http.
 */
import { typeError, rangeError } from '../errors.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { openRegistry, type PortRange } from '../index.js';
import type { HomeOptions } from '../types.js';
import { probePort } from '../probe.js';
import { handleRequest, type HandlerContext } from './api-handler.js';
import { connectionGuard, MAX_CONNECTIONS } from './connections.js';
import { createDashboard } from './dashboard/index.js';
import { allowedHosts, bracket, isLoopbackHost } from './guard.js';
import { clientError, refuseConnect } from './refusals.js';
import type { RouteApi, RouteOptions } from './routes.js';
import { resolvePaths } from '../paths.js';
import { backendPool } from './backend.js';
import { liveRoutes } from './live-routes.js';
import type { ProxyContext } from './proxy.js';
import { watchRegistry } from './registry-watch.js';
import { takeConnections } from './intake.js';
import { onUpgrade } from './upgrade.js';
import { listen, listenV6 } from './bind.js';
import { reserveBatcher } from './batcher.js';

/** Default port: port-registry's, so that its clients find us without configuration. */
export const DEFAULT_SERVE_PORT = 51234;
/** Default address: loopback only. */
export const DEFAULT_SERVE_HOST = '127.0.0.1';

/** Options of {@link serve}. */
export interface ServeOptions extends HomeOptions {
  /**
   * Port to listen on; `0` lets the OS choose (read it from the result).
   * @default 51234
   */
  port?: number;
  /**
   * Address to listen on. Anything but loopback exposes the registry to the network:
   * only do it on purpose.
   * @default '127.0.0.1'
   */
  host?: string;
  /** Range auto-assigned ports come from. @default PORTLEASE_RANGE, else 20000-29999 */
  range?: PortRange | string;
  /**
   * Milliseconds an API request's body has to arrive once its headers are in (headers
   * within the lesser of this and 5 s); slower connections get `408` and are closed. A
   * proxied request body may stream for longer, but not stall for longer than this.
   * @default 10000
   */
  timeout?: number;
  /**
   * Milliseconds a named URL's backend has to begin its response once the request is
   * sent; past it the client gets a 504 page. A response that has begun streams for as
   * long as it takes, and upgraded WebSockets have no limit.
   * @default 120000
   */
  responseTimeout?: number;
  /** Called with unexpected failures (answered 500) and server errors, for logging. */
  onError?: (error: unknown) => void;
  /** Environment to read `PORTLEASE_*` from. @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * Also listen on `::1` (same port) when `host` is `127.0.0.1` or `localhost`, so that
   * browsers that try IPv6 first for `*.localhost` connect at once. Skipped quietly where
   * the machine has no IPv6 loopback.
   * @default true
   */
  ipv6?: boolean;
}

/** A running server. */
export interface PortleaseServer {
  /** Base URL, such as `http://127.0.0.1:51234`. */
  url: string;
  /** The port listened on (the real one when `port: 0` was asked). */
  port: number;
  /** The address listened on. */
  host: string;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

/**
 * Serves the port-registry `/v1` API over the portlease registry. Leases made through it
 * are durable named leases, visible to the library and the CLI at once, and the other way
 * round.
 *
 * @example
 * import { serve } from 'portlease/http';
 * const server = await serve({ port: 0 });
 * await fetch(`${server.url}/v1/allocations`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ app: 'shop', instance: 'main', service: 'db' }),
 * });
 * await server.close();
 */
export async function serve(options: ServeOptions = {}): Promise<PortleaseServer> {
  const port = options.port ?? DEFAULT_SERVE_PORT;
  const host = options.host ?? DEFAULT_SERVE_HOST;
  const timeout = options.timeout ?? 10_000;
  const responseTimeout = options.responseTimeout ?? 120_000;
  if (typeof port !== 'number') throw typeError(`port must be a number, got ${typeof port}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw rangeError(`port must be an integer from 0 to 65535, got ${port}`);
  if (typeof host !== 'string' || host === '') throw typeError('host must be a non-empty string');
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 100) {
    throw rangeError(`timeout must be at least 100 ms, got ${String(timeout)}`);
  }
  if (typeof responseTimeout !== 'number' || !Number.isFinite(responseTimeout) || responseTimeout < 100) {
    throw rangeError(`responseTimeout must be at least 100 ms, got ${String(responseTimeout)}`);
  }

  const registry = openRegistry({
    ...(options.home === undefined ? {} : { home: options.home }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  // Writes from this server queue up here instead of contending for the registry lock
  // among themselves; other processes still take turns through the lock.
  const serial = serialQueue();
  // Allocations that arrive together share one transaction (see batcher.ts).
  const batched = reserveBatcher(registry, serial);
  const api: RouteApi = {
    reserve: (service, reserveOptions) => batched(service, reserveOptions),
    release: (target) => serial(() => registry.release(target)),
    list: (filter) => registry.list(filter),
    probePort: (candidate) => probePort(candidate),
  };
  const routeOptions: RouteOptions = {};
  if (options.range !== undefined) routeOptions.range = options.range;
  if (options.onError !== undefined) routeOptions.onError = options.onError;

  let hosts: string[] = [];
  const connections = connectionGuard(MAX_CONNECTIONS);
  // The live page on `/` (see dashboard/): its actions queue up with the /v1 writes.
  const dashboard = createDashboard({
    paths: resolvePaths(registry.home),
    release: (id) => serial(() => registry.release(id)),
    prune: () => serial(() => registry.prune()),
    hosts: () => hosts,
    // The named URLs it shows go through this server: its port once it listens.
    port: () => (proxy.port === 0 ? undefined : proxy.port),
    onError: options.onError,
  });
  const pool = backendPool();
  const routes = liveRoutes(() => registry.list());
  // A release or a new lease drops the cached routes at once (see live-routes.ts).
  const registryWatch = watchRegistry(resolvePaths(registry.home), () => routes.invalidate());
  // The port is known once listening; the proxy's pages and Host checks read it from here.
  const proxy: ProxyContext = { pool, routes, port, timeout, responseTimeout, onError: options.onError };
  const server = createServer(
    {
      // Node answers a missing Host with its own bare-text 400; the Host check (guard.ts)
      // answers it with the documented JSON 403 instead.
      requireHostHeader: false,
      // No whole-request timeout from Node: a proxied upload streams for as long as its
      // bytes keep coming (proxy.ts cuts one that goes idle), and Node's timer would cut it
      // after `timeout` however fast it flows. API bodies get the same limit in handleRequest() (api-handler.ts).
      requestTimeout: 0,
      headersTimeout: Math.min(5000, timeout),
      keepAliveTimeout: 5000,
      // Node checks the two timeouts above only this often (default 30 s).
      connectionsCheckingInterval: Math.min(1000, timeout),
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => void handleRequest(req, res, context, false),
  );
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => void handleRequest(req, res, context, true));
  // No server.maxConnections: it refuses newcomers while slow or idle sockets hold every
  // slot (slowloris). The guard evicts the connection that has sent the least instead.
  // No per-connection request cap: Node answers requests past it with 503 instead of
  // closing, which breaks keep-alive clients of proxied dev servers (a page's many asset
  // and HMR requests share connections). Connections are bounded by the guard and by
  // keepAliveTimeout instead.
  server.maxRequestsPerSocket = 0;
  // Every connection is read by the proxy first; the API's go on to node:http (intake.ts).
  const intake = takeConnections(server, {
    proxy,
    connections,
    hosts: () => hosts,
    headTimeout: Math.min(5000, timeout),
    sweepInterval: Math.min(1000, Math.max(50, Math.floor(timeout / 4))),
  });
  const context: HandlerContext = {
    api,
    routeOptions,
    hosts: () => hosts,
    onError: options.onError,
    connections,
    dashboard: dashboard.handle,
    proxy,
    refused: intake.refused,
  };
  server.on('clientError', clientError);
  server.on('connect', refuseConnect);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
    onUpgrade(req, socket, head, { connections, hosts: () => hosts, port: () => proxy.port }),
  );

  await listen(server, port, host);
  server.on('error', (error) => options.onError?.(error));
  const actualPort = (server.address() as AddressInfo).port;
  proxy.port = actualPort;
  hosts = allowedHosts(actualPort, extraHosts(host));
  const v6 =
    options.ipv6 !== false && (host === '127.0.0.1' || host.toLowerCase() === 'localhost') ? await listenV6(server, actualPort, options.onError) : undefined;
  const urlHost = WILDCARD_HOSTS.has(host) ? DEFAULT_SERVE_HOST : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${bracket(urlHost)}:${actualPort}`,
    port: actualPort,
    host,
    close() {
      closing ??= new Promise((resolve) => {
        dashboard.close();
        registryWatch.close();
        v6?.close();
        server.close(() => resolve());
        server.closeAllConnections();
        // The proxy's connections (upgraded ones included) are not node:http's to close.
        intake.close();
        pool.destroy();
      });
      return closing;
    },
  };
}

/** Host names besides loopback that reach this server: the bound address, or every interface's for a wildcard. */
function extraHosts(host: string): string[] {
  if (isLoopbackHost(host)) return [];
  if (!WILDCARD_HOSTS.has(host)) return [host];
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
  return [...addresses, host];
}

/** Runs async tasks one at a time, in order; a failure does not stop the ones after it. */
function serialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task, task);
    tail = run.catch(noop);
    return run;
  };
}

function noop(): void {}
