/**
 * Routing decisions of the reverse proxy and the answers it gives instead of forwarding:
 * a request's host labels and target resolve to a live lease, or to a page (404, 409, 508,
 * 400). The forwarding itself is in `client.ts` (the client connection) and `exchange.ts`
 * (one request and its response over a backend connection).
 */
import type { ServerResponse } from 'node:http';
import type { Lease } from '../types.js';
import type { BackendPool } from './backend.js';
import { isLoop } from './forward.js';
import type { LiveRoutes, RouteTable } from './live-routes.js';
import { ambiguousPage, badRequestPage, loopPage, noRoutePage, unknownHostPage, type Page } from './pages.js';
import { resolveRoute } from './resolve.js';

/** What the proxy needs from the server. */
export interface ProxyContext {
  pool: BackendPool;
  routes: LiveRoutes;
  /** The server's port, for the URLs on its pages. */
  port: number;
  /** Milliseconds a request body may go without a byte before the exchange is cut. */
  timeout: number;
  /** Milliseconds a backend has to begin its response once the request is sent (then 504). */
  responseTimeout: number;
  onError: ((error: unknown) => void) | undefined;
}

/** What routing reads from a request. */
export interface RouteRequest {
  /** The request target as sent. */
  target: string;
  /** The `Host` value, for the pages. */
  host: string;
  /** `X-Portlease-Route` values. */
  route: readonly string[] | undefined;
}

/** Where a request goes, or the page that answers it instead. */
export type Target = { lease: Lease; target: string } | { page: Page };

/**
 * Decides a request against a routing table (pure).
 *
 * @example
 * decideTarget(['web', 'shop'], { target: '/', host: 'web.shop.localhost:51234', route: undefined }, table, 51234);
 */
export function decideTarget(labels: readonly string[], request: RouteRequest, table: RouteTable, port: number): Target {
  const { target } = request;
  // Origin form only: an absolute-form target could name a host other than the one routed.
  if (!target.startsWith('/')) return { page: badRequestPage('The request target must be a path.') };
  const found = resolveRoute(labels, target, table.entries);
  switch (found.kind) {
    case 'unknown':
      return { page: unknownHostPage(request.host, table.leases, port) };
    case 'no-route':
      return { page: noRoutePage(target.split('?')[0]!, found.leases, port) };
    case 'ambiguous':
      return { page: ambiguousPage(request.host, found.leases) };
    case 'lease':
      if (isLoop(request.route, found.lease.id)) return { page: loopPage(found.lease) };
      return { lease: found.lease, target: found.target };
  }
}

/**
 * Resolves a request to a live lease or a page. Synchronous when the cached table is
 * fresh and names a lease (the common case: no promise per request); otherwise reads the
 * registry again before answering that nothing is there (the table may predate a lease
 * reserved a moment ago), and calls back once that read is done.
 *
 * @example
 * findTarget(['web', 'shop'], request, context, (error, target) => …);
 */
export function findTarget(labels: readonly string[], request: RouteRequest, context: ProxyContext, callback: (error: unknown, target?: Target) => void): void {
  const table = context.routes.current();
  if (table) {
    const target = decideTarget(labels, request, table, context.port);
    if ('lease' in target || !request.target.startsWith('/')) {
      callback(null, target);
      return;
    }
    context.routes.expire();
  }
  // One read for every request that is waiting for it (never one per request).
  context.routes.get().then(
    (fresh) => callback(null, decideTarget(labels, request, fresh, context.port)),
    (error: unknown) => callback(error),
  );
}

/**
 * Writes a page. A page is an answer instead of forwarding, so any request body is left
 * unread: the connection closes after it rather than parse that body as a next request.
 */
export function sendPage(res: ServerResponse, page: Page): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(page.status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(page.html)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close',
  });
  res.end(page.html);
}

/**
 * Why a backend connection failed, in words for the 502 page.
 *
 * @example
 * describeFailure(Object.assign(new Error(), { code: 'ECONNREFUSED' })); // 'connection refused (is the service running?)'
 */
export function describeFailure(error: NodeJS.ErrnoException): string {
  // Both loopback addresses failed (autoSelectFamily): the first one's reason says enough.
  const first = error instanceof AggregateError ? (error.errors[0] as NodeJS.ErrnoException | undefined) : undefined;
  const code = error.code ?? first?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the service running?)';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was reset';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    default:
      return code ?? error.message;
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  421: 'Misdirected Request',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  508: 'Loop Detected',
};

/**
 * A page as a raw HTTP/1.1 response with `Connection: close`, for a socket the proxy
 * answers on itself.
 *
 * @example
 * rawPage({ status: 404, html: '…' }); // 'HTTP/1.1 404 Not Found\r\n…'
 */
export function rawPage(page: Page): string {
  return [
    `HTTP/1.1 ${page.status} ${REASONS[page.status] ?? 'Error'}`,
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(page.html)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '',
    page.html,
  ].join('\r\n');
}
