/**
 * Host dispatch (pure): which part of the server a request's `Host` header reaches. The
 * loopback names with the server's port reach the `/v1` API and the local pages; a name
 * under `.localhost` with the server's port reaches the reverse proxy; anything else is
 * refused, as before (DNS rebinding: a hostile name rebound to 127.0.0.1 arrives with its
 * own Host). Browsers resolve every `*.localhost` name to loopback themselves, so a page
 * of another site cannot make one point elsewhere.
 */

/** Where a request goes. */
export type Destination =
  /** The `/v1` API and the local pages (`GET /`). */
  | { kind: 'api' }
  /** The reverse proxy; `labels` are the DNS labels before `.localhost`, lower-case, first label first. */
  | { kind: 'app'; labels: string[] }
  /** Neither: refused with 403. */
  | { kind: 'forbidden' };

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SUFFIX = '.localhost';
/** `a.b.c.localhost` at most: service, instance, app. */
const MAX_LABELS = 3;

/**
 * Classifies the `Host` header values of a request (Node's `headersDistinct.host`).
 * `apiHosts` are the exact `host:port` values of the API (see `allowedHosts`); a proxy
 * host must carry the server's `port` too (or none when the port is 80).
 *
 * @example
 * dispatch(['web.shop.localhost:51234'], ['127.0.0.1:51234'], 51234); // { kind: 'app', labels: ['web', 'shop'] }
 * dispatch(['evil.example:51234'], ['127.0.0.1:51234'], 51234);       // { kind: 'forbidden' }
 */
export function dispatch(host: readonly string[] | undefined, apiHosts: readonly string[], port: number): Destination {
  if (host?.length !== 1) return { kind: 'forbidden' };
  const value = host[0]!.toLowerCase();
  if (apiHosts.includes(value)) return { kind: 'api' };
  const name = stripPort(value, port);
  if (name === undefined || !name.endsWith(SUFFIX)) return { kind: 'forbidden' };
  const labels = name.slice(0, -SUFFIX.length).split('.');
  if (labels.length > MAX_LABELS || !labels.every((label) => LABEL.test(label))) return { kind: 'forbidden' };
  return { kind: 'app', labels };
}

/** The name of `host:port` when its port is the server's (or absent on port 80). */
function stripPort(value: string, port: number): string | undefined {
  const colon = value.lastIndexOf(':');
  if (colon === -1) return port === 80 ? value : undefined;
  return value.slice(colon + 1) === String(port) ? value.slice(0, colon) : undefined;
}
