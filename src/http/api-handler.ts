/**
 * The requests node:http answers: the `/v1` API and the dashboard, behind the Host,
 * cross-site and content-type checks (`guard.ts`), with the API's body limit and timeout.
 * Named-URL requests are the proxy's (`client.ts`); one that reaches node:http anyway (the
 * proxy refused to parse it, or it came on a connection that began with the API) is
 * answered here with a page, never forwarded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ABORTED, declaresTooLarge, readBody, TIMED_OUT, TOO_LARGE, withTimeout } from './body.js';
import type { ConnectionGuard } from './connections.js';
import type { DashboardHandler } from './dashboard/index.js';
import { dispatch } from './dispatch.js';
import { smugglingRisk } from './forward.js';
import { BODY_LIMIT, checkContentType, checkRequest } from './guard.js';
import { badRequestPage, misdirectedPage } from './pages.js';
import { sendPage, type ProxyContext } from './proxy.js';
import { ALLOWED_METHODS, KNOWN_METHODS } from './refusals.js';
import { route, takesBody, type RouteApi, type RouteOptions } from './routes.js';
import { sendJson } from './wire.js';

/** What {@link handleRequest} needs of the server. */
export interface HandlerContext {
  api: RouteApi;
  routeOptions: RouteOptions;
  hosts: () => readonly string[];
  onError: ((error: unknown) => void) | undefined;
  connections: ConnectionGuard;
  dashboard: DashboardHandler;
  proxy: ProxyContext;
  /** Connections handed over because the proxy would not parse their request. */
  refused: WeakSet<Socket>;
}

/** Answers one request node:http parsed: API, dashboard, or a refusal. Never throws (a failure is a 500). */
export async function handleRequest(req: IncomingMessage, res: ServerResponse, context: HandlerContext, expectsContinue: boolean): Promise<void> {
  // Without listeners these would be thrown; a client that hangs up is not our failure.
  req.on('error', noop);
  res.on('error', noop);
  // A connection refused at the cap has its 503 on the way: nothing else is answered on it.
  if (!context.connections.admitted(req.socket)) return;
  const done = context.connections.begin(req.socket);
  res.on('close', done);
  // The request is here: from now on the body timeout and keepAliveTimeout govern the socket,
  // and a reply that waits for the registry lock must not be cut off as "idle".
  req.socket.setTimeout(0);
  try {
    const destination = dispatch(req.headersDistinct['host'], context.hosts(), context.proxy.port);
    if (destination.kind === 'app') {
      // The proxy reads named-URL requests itself (client.ts); one reaches node:http only
      // when the proxy refused to parse it, or on a connection that began with the API.
      const risk = smugglingRisk(req.headersDistinct);
      if (risk !== undefined || context.refused.has(req.socket)) return sendPage(res, badRequestPage(`Refused: ${risk ?? 'malformed request'}.`));
      return sendPage(res, misdirectedPage(req.headers.host ?? ''));
    }
    const refusal = checkRequest(req.headersDistinct, context.hosts());
    if (refusal) return sendJson(res, refusal, true);
    if (await context.dashboard(req, res)) return;
    const method = req.method ?? '';
    if (!KNOWN_METHODS.has(method)) return sendJson(res, { status: 405, body: { error: 'method not allowed' }, headers: { Allow: ALLOWED_METHODS } }, true);
    const target = splitTarget(req.url ?? '');
    if (!target) return sendJson(res, { status: 400, body: { error: 'bad request' } }, true);
    let body = '';
    if (takesBody(method, target.path)) {
      const wrongType = checkContentType(method, req.headersDistinct);
      if (wrongType) return sendJson(res, wrongType, true);
      if (expectsContinue && !declaresTooLarge(req)) res.writeContinue();
      context.connections.readingBody(req.socket, true);
      const read = await withTimeout(readBody(req, BODY_LIMIT), context.proxy.timeout);
      if (read === TIMED_OUT) return sendJson(res, { status: 408, body: { error: 'request timeout' } }, true);
      context.connections.readingBody(req.socket, false);
      if (read === ABORTED) return;
      if (read === TOO_LARGE) return sendJson(res, { status: 413, body: { error: 'request body too large (limit 64 KiB)' } }, true);
      body = read;
    }
    const reply = await route({ method, path: target.path, query: target.query, body }, context.api, context.routeOptions);
    sendJson(res, reply, false);
  } catch (error) {
    context.onError?.(error);
    if (!res.headersSent) sendJson(res, { status: 500, body: { error: 'internal error' } }, true);
    else res.destroy();
  }
}

/** Splits the request target into path and query; `undefined` when it is not a path. */
function splitTarget(target: string): { path: string; query: URLSearchParams } | undefined {
  let rest = target;
  // Absolute form (`GET http://host/path`), which proxies send: keep its path and query.
  if (/^https?:\/\//i.test(rest)) {
    try {
      const url = new URL(rest);
      rest = url.pathname + url.search;
    } catch {
      return undefined;
    }
  }
  if (!rest.startsWith('/')) return undefined;
  const mark = rest.indexOf('?');
  const path = mark === -1 ? rest : rest.slice(0, mark);
  return { path, query: new URLSearchParams(mark === -1 ? '' : rest.slice(mark + 1)) };
}

function noop(): void {}
