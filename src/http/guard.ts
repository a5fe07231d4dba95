/**
 * Pure checks that keep browsers and rebound DNS names away from a server on 127.0.0.1.
 * Loopback binding alone does not protect a local API: a web page can make the user's
 * browser send requests to it (CSRF), and a name rebound to 127.0.0.1 makes the page
 * same-origin (DNS rebinding). The port-registry clients we serve send neither `Origin`
 * nor `Sec-Fetch-*` and always send `Host: <addr>:<port>`, so these checks cost them
 * nothing; scripts that POST without `application/json` (as port-registry allows) are
 * told from web pages by those same two headers.
 */
import type { Reply } from './wire.js';

/** Request headers as Node's `req.headersDistinct`: every value a list, keys lower-case. */
export type DistinctHeaders = Record<string, string[] | undefined>;

/** Bodies larger than this are refused with 413. @default 65536 */
export const BODY_LIMIT = 64 * 1024;

/** The loopback names, as a listen address (`::1`) is written; one list for every check. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'] as const;
const LOOPBACK_NAMES = LOOPBACK_HOSTS.map((host) => bracket(host));
// http(s)://localhost, 127.0.0.1 or [::1], any port: the user's own local pages.
const LOOPBACK_ORIGIN = /^https?:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/**
 * The `Host` values the server answers to: each loopback name with the server's port,
 * plus `extraHosts` (the bound address when it is not loopback). Exact values only,
 * compared case-insensitively: no suffix or substring matching (`localhost.evil.example`).
 *
 * @example
 * allowedHosts(51234); // ['127.0.0.1:51234', 'localhost:51234', '[::1]:51234']
 */
export function allowedHosts(port: number, extraHosts: readonly string[] = []): string[] {
  const names = [...LOOPBACK_NAMES, ...extraHosts.map(bracket)];
  const hosts = names.map((name) => `${name.toLowerCase()}:${port}`);
  // Clients omit the default port from Host.
  if (port === 80) hosts.push(...names.map((name) => name.toLowerCase()));
  return [...new Set(hosts)];
}

/**
 * Wraps an IPv6 literal in brackets, as it appears in a Host header or URL.
 *
 * @example
 * bracket('::1'); // '[::1]'
 */
export function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function forbidden(message: string): Reply {
  return { status: 403, body: { error: message } };
}

/**
 * Refuses requests that a browser or a rebound DNS name could have sent: a `Host` outside
 * `allowed` (missing or repeated included), an `Origin` that is not a loopback page, or
 * `Sec-Fetch-Site: cross-site` (and `same-site` without a loopback `Origin`). Returns the
 * 403 reply, or `undefined` when the request may proceed.
 *
 * @example
 * checkRequest({ host: ['evil.example:51234'] }, allowedHosts(51234)); // { status: 403, … }
 */
export function checkRequest(headers: DistinctHeaders, allowed: readonly string[]): Reply | undefined {
  const host = headers['host'];
  if (host?.length !== 1 || !allowed.includes(host[0]!.toLowerCase())) {
    return forbidden(`forbidden: the Host header must be one of ${allowed.join(', ')}`);
  }
  const origin = headers['origin'];
  const loopbackOrigin = origin?.length === 1 && LOOPBACK_ORIGIN.test(origin[0]!);
  if (origin !== undefined && !loopbackOrigin) {
    return forbidden('forbidden: cross-origin requests are not allowed');
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined) {
    const value = site.length === 1 ? site[0]!.toLowerCase() : 'cross-site';
    if (value === 'cross-site' || (value === 'same-site' && !loopbackOrigin)) {
      return forbidden('forbidden: cross-site requests are not allowed');
    }
  }
  return undefined;
}

/**
 * Checks the `Content-Type` of a request that carries a body. port-registry accepts any
 * type (scripts POST with curl's form default, `text/plain` or none), and so does this,
 * except from a web page: a page can send a `text/plain`, form or multipart `POST` to any
 * address without a CORS preflight, but every browser marks such a request with `Origin`
 * (and current ones with `Sec-Fetch-Site`), which non-browser clients do not send. So a
 * `POST` that is not `application/json` is refused when it carries either mark (`403`,
 * nothing changed); an `application/json` one from another page never arrives, because
 * it needs a preflight that is never answered. `DELETE` cannot be sent cross-origin
 * without a preflight at all: any type is accepted.
 *
 * @example
 * checkContentType('POST', { 'content-type': ['text/plain'] }); // undefined: curl, a script
 * checkContentType('POST', { 'content-type': ['text/plain'], origin: ['http://localhost:3000'] }); // { status: 403, … }
 */
export function checkContentType(method: string, headers: DistinctHeaders): Reply | undefined {
  if (method !== 'POST') return undefined;
  const type = headers['content-type'];
  const media = type?.length === 1 ? type[0]!.split(';')[0]!.trim().toLowerCase() : undefined;
  if (media === 'application/json') return undefined;
  const site = headers['sec-fetch-site'];
  const fromPage = headers['origin'] !== undefined || (site !== undefined && !(site.length === 1 && site[0]!.toLowerCase() === 'none'));
  if (!fromPage) return undefined;
  return forbidden('forbidden: a request from a web page must send Content-Type: application/json');
}

/**
 * True when `host` is a loopback address or name: listening there exposes nothing to
 * other machines.
 *
 * @example
 * isLoopbackHost('LOCALHOST'); // true
 */
export function isLoopbackHost(host: string): boolean {
  return (LOOPBACK_HOSTS as readonly string[]).includes(host.toLowerCase());
}
