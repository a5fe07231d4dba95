/**
 * Who may change the registry from the dashboard (pure). A release or prune is a state
 * change a browser can be made to send, so on top of the server's Host and Origin rules
 * (guard.ts) an action must be:
 *
 * - **same-origin**: `Origin` is exactly `http://<Host>` (a page of another port of
 *   localhost is same-site, and passes guard.ts, but not this), and `Sec-Fetch-Site`, when
 *   sent, is `same-origin`;
 * - **JSON** (`Content-Type: application/json`), which another origin cannot send without a
 *   CORS preflight that this server never grants;
 * - **carrying the server's token** in `X-Portlease-Token`: a random secret made when the
 *   server starts and embedded in the page, which another origin cannot read. A custom
 *   header also needs a preflight, so the token cannot be sent cross-origin either.
 */
import { timingSafeEqual } from 'node:crypto';
import type { DistinctHeaders } from '../guard.js';
import type { Reply } from '../wire.js';

/** The header that carries the dashboard token. */
export const TOKEN_HEADER = 'x-portlease-token';

const forbidden = (error: string): Reply => ({ status: 403, body: { error } });

function single(headers: DistinctHeaders, name: string): string | undefined {
  const values = headers[name];
  return values?.length === 1 ? values[0] : undefined;
}

/**
 * Checks a dashboard action's headers. Returns the 403 reply, or `undefined` when the
 * request may change the registry.
 *
 * @example
 * checkAction({ host: ['localhost:51234'], origin: ['http://localhost:3000'] }, token); // { status: 403, … }
 */
export function checkAction(headers: DistinctHeaders, token: string): Reply | undefined {
  const host = single(headers, 'host');
  const origin = single(headers, 'origin');
  if (host === undefined || origin === undefined || origin.toLowerCase() !== `http://${host.toLowerCase()}`) {
    return forbidden('forbidden: dashboard actions must come from the dashboard page itself (same origin)');
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && single(headers, 'sec-fetch-site')?.toLowerCase() !== 'same-origin') {
    return forbidden('forbidden: dashboard actions must be same-origin requests');
  }
  const type = single(headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return forbidden('forbidden: dashboard actions must send Content-Type: application/json');
  const sent = single(headers, TOKEN_HEADER);
  if (sent === undefined || !sameSecret(sent, token)) return forbidden('forbidden: missing or wrong dashboard token (reload the page)');
  return undefined;
}

/** Compares in constant time, so that the token cannot be guessed byte by byte from timing. */
function sameSecret(sent: string, token: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The lease id in a release body `{"id": <positive integer>}`, or `undefined`.
 *
 * @example
 * releaseTarget('{"id": 7}'); // 7
 */
export function releaseTarget(body: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const id = typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown }).id : undefined;
    return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}
