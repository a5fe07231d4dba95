/**
 * The headers a reverse proxy sends on (pure). Hop-by-hop fields describe one connection
 * and must not be forwarded (RFC 9110 §7.6.1): `Connection` and every field it names,
 * plus `Keep-Alive`, `Proxy-Connection`, `TE`, `Transfer-Encoding`, `Trailer`, `Upgrade`
 * (kept for a WebSocket handshake, which is forwarded as one) and the proxy credentials.
 * The body is forwarded with its own framing, so a chunked request or response says so
 * again on the other side (see {@link requestHead}, {@link responseHead}). The original `Host` is kept (dev servers build absolute
 * URLs from it) and `X-Forwarded-For/-Host/-Proto` say where the request came from.
 */

import type { RequestHead } from './head.js';

/** Header names (lower-case) that never cross the proxy. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/** Marks a request that passed this proxy: the ids of the leases it was routed to, in order. */
export const ROUTE_HEADER = 'x-portlease-route';
/** Routing a request more often than this through portlease is a loop, whatever the leases. */
export const MAX_ROUTE_HOPS = 8;

/** Where a forwarded request came from. */
export interface ForwardInfo {
  /** The client's address (`req.socket.remoteAddress`). */
  clientAddress: string | undefined;
  /** The lease the request goes to, appended to {@link ROUTE_HEADER}. */
  leaseId: number;
  /** Keep `Connection: upgrade` and `Upgrade` (a WebSocket handshake). */
  upgrade: boolean;
  /** The proxy answered `Expect: 100-continue` itself: drop `Expect`. */
  continued?: boolean;
}

/** Names listed in `Connection` values: hop-by-hop for this message only. */
function connectionTokens(raw: readonly string[]): Set<string> {
  const tokens = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1]!.split(',')) tokens.add(token.trim().toLowerCase());
  }
  return tokens;
}

/**
 * The request headers to send to the backend, as a flat `[name, value, …]` list in the
 * client's order and spelling (Node's `req.rawHeaders`).
 *
 * @example
 * requestHeaders(['Host', 'web.shop.localhost:51234', 'Connection', 'keep-alive'], { clientAddress: '127.0.0.1', leaseId: 3, upgrade: false });
 * // ['Host', 'web.shop.localhost:51234', 'X-Forwarded-For', '127.0.0.1', 'X-Forwarded-Host', …]
 */
export function requestHeaders(raw: readonly string[], info: ForwardInfo): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let forwardedHost: string | undefined;
  let forwardedProto: string | undefined;
  let route: string | undefined;
  let host = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
    else if (lower === 'x-forwarded-host') forwardedHost ??= value;
    else if (lower === 'x-forwarded-proto') forwardedProto ??= value;
    else if (lower === ROUTE_HEADER) route = route === undefined ? value : `${route}, ${value}`;
    else if (HOP_BY_HOP.has(lower) || named.has(lower) || (info.continued === true && lower === 'expect')) continue;
    else {
      if (lower === 'host') host = value;
      out.push(name, value);
    }
  }
  const client = info.clientAddress?.replace(/^::ffff:/, '') ?? 'unknown';
  out.push('X-Forwarded-For', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  out.push('X-Forwarded-Host', forwardedHost ?? host);
  out.push('X-Forwarded-Proto', forwardedProto ?? 'http');
  out.push('X-Portlease-Route', route === undefined ? String(info.leaseId) : `${route}, ${info.leaseId}`);
  if (info.upgrade) out.push('Connection', 'Upgrade', 'Upgrade', upgradeOf(raw) ?? 'websocket');
  return out;
}

/** The value of a request's `Upgrade` field (raw name/value pairs), if it has one. */
export function upgradeOf(raw: readonly string[]): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'upgrade') return raw[i + 1];
  return undefined;
}

/**
 * True when the request already passed this proxy on its way to `leaseId`, or passed it
 * {@link MAX_ROUTE_HOPS} times: forwarding it again would loop. A dev server that proxies
 * `/api` to another named URL passes once per lease, and is no loop.
 *
 * @example
 * isLoop(['3, 7'], 7); // true
 */
export function isLoop(route: readonly string[] | undefined, leaseId: number): boolean {
  if (route === undefined) return false;
  const ids = route.flatMap((value) => value.split(',')).map((id) => id.trim());
  return ids.length >= MAX_ROUTE_HOPS || ids.includes(String(leaseId));
}

/**
 * The response headers to send to the client, hop-by-hop ones removed, as a flat list
 * (Node's `res.rawHeaders`).
 *
 * @example
 * responseHeaders(['Content-Type', 'text/html', 'Connection', 'close']); // ['Content-Type', 'text/html']
 */
export function responseHeaders(raw: readonly string[]): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/**
 * Why a request must not be forwarded, or `undefined`: a `Transfer-Encoding` other than
 * exactly `chunked` (Node accepts `identity` or `gzip, chunked`, which a backend may frame
 * differently: request smuggling). Conflicting `Content-Length`/`Transfer-Encoding`,
 * obs-fold and bare LF never get here: Node's parser refuses them (400).
 *
 * @example
 * smugglingRisk({ 'transfer-encoding': ['gzip, chunked'] }); // 'unsupported Transfer-Encoding'
 */
export function smugglingRisk(headers: Record<string, string[] | undefined>): string | undefined {
  const te = headers['transfer-encoding'];
  if (te === undefined) return undefined;
  if (te.length !== 1 || te[0]!.trim().toLowerCase() !== 'chunked') return 'unsupported Transfer-Encoding';
  return undefined;
}

/**
 * The request head to send to the backend: the request line with `target`, the forwarded
 * headers, and `Transfer-Encoding: chunked` again when the body is chunked (it is
 * forwarded as it came, chunks and all).
 *
 * @example
 * requestHead('GET', '/', 1, ['Host', 'web.shop.localhost:51234'], false); // 'GET / HTTP/1.1\r\nHost: web.shop.localhost:51234\r\n\r\n'
 */
export function requestHead(method: string, target: string, minor: 0 | 1, headers: readonly string[], chunked: boolean): string {
  let text = `${method} ${target} HTTP/1.${minor}\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  if (chunked) text += 'Transfer-Encoding: chunked\r\n';
  return `${text}\r\n`;
}

/**
 * The head to send the backend for a request the proxy parsed (`head.ts`): its headers
 * forwarded ({@link requestHeaders}) after `Expect: 100-continue` was answered by the
 * proxy, and its line with `target` ({@link requestHead}).
 */
export function forwardRequest(request: RequestHead, target: string, clientAddress: string | undefined, leaseId: number): string {
  const headers = requestHeaders(request.headers, { clientAddress, leaseId, upgrade: request.upgrade, continued: request.expectContinue });
  return requestHead(request.method, target, request.minor, headers, request.body.kind === 'chunked');
}

/**
 * The response head to send to the client: the backend's status and end-to-end headers,
 * `Transfer-Encoding` kept (the body is forwarded as it came, chunks and all; a received
 * `Content-Length` beside it is dropped, RFC 9112 §6.3), and this proxy's own `Connection`
 * for the client connection, as node:http words it, so clients see what they saw before.
 * An interim (1xx) head gets no `Connection` field.
 *
 * @example
 * responseHead(200, 'OK', ['Content-Length', '2', 'Connection', 'keep-alive'], 'keep-alive');
 * // 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n'
 */
export function responseHead(status: number, reason: string, raw: readonly string[], connection: 'keep-alive' | 'close' | 'interim'): string {
  const named = connectionTokens(raw);
  let coded = false;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'transfer-encoding') coded = true;
  let text = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (lower === 'transfer-encoding' ? false : lower === 'content-length' ? coded : HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  if (connection === 'keep-alive') text += `Connection: keep-alive\r\nKeep-Alive: timeout=${KEEP_ALIVE_SECONDS}\r\n`;
  else if (connection === 'close') text += 'Connection: close\r\n';
  return `${text}\r\n`;
}

/** Seconds an idle client connection stays open, announced in `Keep-Alive` (node:http's default). */
export const KEEP_ALIVE_SECONDS = 5;
