/**
 * The reverse proxy for plain HTTP requests to named URLs: resolve the host and path to a
 * live lease, then stream the request to its port and the response back, both with
 * backpressure and without buffering a body. Backend connections come from a bounded
 * keep-alive agent (`backend.ts`). A client that goes away tears the backend request down
 * (its connection is destroyed, not returned to the pool half-read); a backend that
 * refuses or resets gets the client a 502 page, or a cut connection once the response has
 * begun. Nothing here throws into the server.
 */
import { request, type Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Lease } from '../types.js';
import { BACKEND_CONNECT, BACKEND_HOST } from './backend.js';
import { isLoop, requestHeaders, responseHeaders, ROUTE_HEADER, smugglingRisk } from './forward.js';
import type { LiveRoutes } from './live-routes.js';
import { ambiguousPage, badGatewayPage, badRequestPage, loopPage, noRoutePage, unknownHostPage, type Page } from './pages.js';
import { resolveRoute } from './resolve.js';

/** What the proxy needs from the server. */
export interface ProxyContext {
  agent: Agent;
  routes: LiveRoutes;
  /** The server's port, for the URLs on its pages. */
  port: number;
  /** Milliseconds a request body may go without a byte before the exchange is cut. */
  timeout: number;
  onError: ((error: unknown) => void) | undefined;
}

/** Where a request goes, or the page that answers it instead. */
export type Target = { lease: Lease; target: string } | { page: Page };

/**
 * Resolves a request's host labels and target to a live lease, or to the page that
 * answers instead (404, 409, 508, 400). Shared by plain requests and WebSocket upgrades.
 *
 * @example
 * const found = await findTarget(['web', 'shop'], req, context);
 */
export async function findTarget(labels: readonly string[], req: IncomingMessage, context: ProxyContext): Promise<Target> {
  const target = req.url ?? '';
  // Origin form only: an absolute-form target could name a host other than the one routed.
  if (!target.startsWith('/')) return { page: badRequestPage('The request target must be a path.') };
  const risk = smugglingRisk(req.headersDistinct);
  if (risk) return { page: badRequestPage(`Refused: ${risk}.`) };
  let table = await context.routes.get();
  let found = resolveRoute(labels, target, table.entries);
  if (found.kind !== 'lease') {
    // The cached table may predate a lease reserved a moment ago: read the registry again
    // before answering that nothing is there (a failure path, so the read costs little).
    context.routes.invalidate();
    table = await context.routes.get();
    found = resolveRoute(labels, target, table.entries);
  }
  const host = req.headers.host ?? '';
  switch (found.kind) {
    case 'unknown':
      return { page: unknownHostPage(host, table.leases, context.port) };
    case 'no-route':
      return { page: noRoutePage(target.split('?')[0]!, found.leases, context.port) };
    case 'ambiguous':
      return { page: ambiguousPage(host, found.leases) };
    case 'lease':
      if (isLoop(req.headersDistinct[ROUTE_HEADER], found.lease.id)) return { page: loopPage(found.lease) };
      return { lease: found.lease, target: found.target };
  }
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
 * Proxies one request on a named-URL host. Resolves once the exchange is over or
 * abandoned; never rejects.
 *
 * @example
 * await proxyRequest(req, res, ['web', 'shop'], context, false);
 */
export async function proxyRequest(
  req: IncomingMessage,
  res: ServerResponse,
  labels: readonly string[],
  context: ProxyContext,
  expectsContinue: boolean,
): Promise<void> {
  let found: Target;
  try {
    found = await findTarget(labels, req, context);
  } catch (error) {
    // The registry could not be read: say so rather than guess a route.
    context.onError?.(error);
    return sendPage(res, { status: 503, html: 'portlease: the registry cannot be read right now.\n' });
  }
  if ('page' in found) return sendPage(res, found.page);
  const { lease, target } = found;
  const headers = requestHeaders(req.rawHeaders, { clientAddress: req.socket.remoteAddress, leaseId: lease.id, upgrade: false });
  // The client waits for a 100 before sending its body: give it at once; the backend gets
  // the body without having to answer Expect itself.
  if (expectsContinue) {
    dropHeader(headers, 'expect');
    res.writeContinue();
  }
  const backend = request({
    agent: context.agent,
    host: BACKEND_HOST,
    port: lease.port,
    ...BACKEND_CONNECT,
    method: req.method,
    path: target,
    headers,
    setHost: false,
  });
  await new Promise<void>((done) => {
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      done();
    };
    backend.on('response', (answer: IncomingMessage) => {
      answer.on('error', () => res.destroy());
      // The backend cut its response short: cut ours too, so the client sees it incomplete.
      answer.on('aborted', () => res.destroy());
      if (res.destroyed) {
        answer.destroy();
        return finish();
      }
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer.rawHeaders));
      answer.pipe(res);
      answer.on('end', finish);
    });
    backend.on('error', (error: NodeJS.ErrnoException) => {
      if (!res.headersSent) {
        context.routes.invalidate();
        sendPage(res, badGatewayPage(lease, describeFailure(error)));
      } else res.destroy();
      finish();
    });
    // The client went away (or its connection broke) before the response ended: stop the
    // backend request too, so the backend sees the disconnect and its socket is not reused.
    res.on('close', () => {
      if (!res.writableFinished) backend.destroy();
      finish();
    });
    // A body may stream for as long as it takes, but not stall: while it is incomplete the
    // client socket times out after `timeout` ms without a byte (Node then destroys it,
    // and the close above tears the backend request down). The response has no limit.
    if (!req.complete) {
      req.socket.setTimeout(context.timeout);
      req.once('end', () => req.socket.setTimeout(0));
    }
    req.pipe(backend);
  });
}

function dropHeader(headers: string[], name: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i]!.toLowerCase() === name) headers.splice(i, 2);
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
