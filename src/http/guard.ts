/**
 * Pure checks that keep browsers and rebound DNS names away from a server on 127.0.0.1.
 * Loopback binding alone does not protect a local API: a web page can make the user's
 * browser send requests to it (CSRF), and a name rebound to 127.0.0.1 makes the page
 * same-origin (DNS rebinding). The port-registry clients we serve send neither `Origin`
 * nor `Sec-Fetch-*` and always send `Host: <addr>:<port>` and `application/json`, so
 * these checks cost them nothing.
 */
import type { Reply } from './wire.js';

/** Request headers as Node's `req.headersDistinct`: every value a list, keys lower-case. */
export type DistinctHeaders = Record<string, string[] | undefined>;

/** Bodies larger than this are refused with 413. @default 65536 */
export const BODY_LIMIT = 64 * 1024;

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
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
 * Checks the `Content-Type` of a request that carries a JSON body. A web page can POST
 * `text/plain`, form or multipart bodies to any address without a CORS preflight, so
 * `POST` must say exactly `application/json` (parameters such as `charset` ignored).
 * `DELETE` cannot be sent cross-origin without a preflight (which is never answered); it
 * may omit the header but must not name another type.
 *
 * @example
 * checkContentType('POST', { 'content-type': ['text/plain'] }); // { status: 415, … }
 */
export function checkContentType(method: string, headers: DistinctHeaders): Reply | undefined {
  const type = headers['content-type'];
  if (method !== 'POST' && type === undefined) return undefined;
  const media = type?.length === 1 ? type[0]!.split(';')[0]!.trim().toLowerCase() : undefined;
  if (media === 'application/json') return undefined;
  return { status: 415, body: { error: 'Content-Type must be application/json' } };
}
