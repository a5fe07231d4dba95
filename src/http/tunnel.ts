/**
 * WebSocket (and any other `Upgrade`) passthrough for named URLs. The handshake is sent
 * to the lease's port with the forwarding headers, then bytes flow both ways untouched:
 * frames, pings and close frames (so a close code reaches the other side as sent), with
 * backpressure through `pipe`. Bytes the client sends before the backend has answered the
 * handshake (early frames) are kept: the client socket is paused the moment the upgrade
 * arrives and piped once the backend connection exists; writes to a connecting socket are
 * queued in order. An end on one side ends the other; an error or reset on one side
 * destroys the other. Upgraded connections are never cut by the request timeout.
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { BACKEND_CONNECT, BACKEND_HOST } from './backend.js';
import { requestHeaders } from './forward.js';
import { badGatewayPage, type Page } from './pages.js';
import { describeFailure, findTarget, type ProxyContext, type Target } from './proxy.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  508: 'Loop Detected',
};

/**
 * A page as a raw HTTP/1.1 response with `Connection: close`, for a socket the HTTP server
 * no longer answers on.
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
    'Connection: close',
    '',
    page.html,
  ].join('\r\n');
}

/**
 * Handles an `upgrade` event on a named-URL host: forwards the handshake and joins the two
 * sockets. Never rejects; every socket it touches ends up closed on failure.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => void proxyUpgrade(req, socket, head, labels, context));
 */
export async function proxyUpgrade(req: IncomingMessage, client: Socket, head: Buffer, labels: readonly string[], context: ProxyContext): Promise<void> {
  // Before any await: frames that arrive while the route is looked up must wait, not flow away.
  client.pause();
  client.on('error', () => client.destroy());
  client.setTimeout(0);
  let found: Target;
  try {
    found = await findTarget(labels, req, context);
  } catch (error) {
    context.onError?.(error);
    client.end(rawPage({ status: 503, html: 'portlease: the registry cannot be read right now.\n' }));
    return;
  }
  if ('page' in found) {
    client.end(rawPage(found.page));
    return;
  }
  const { lease, target } = found;
  if (client.destroyed) return;
  const headers = requestHeaders(req.rawHeaders, { clientAddress: req.socket.remoteAddress, leaseId: lease.id, upgrade: true });
  const lines = [`${req.method ?? 'GET'} ${target} HTTP/1.1`];
  for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
  const backend = connect({ host: BACKEND_HOST, port: lease.port, ...BACKEND_CONNECT });
  let answered = false;
  backend.once('data', () => {
    answered = true;
  });
  backend.on('error', (error: NodeJS.ErrnoException) => {
    if (!answered && !client.destroyed) {
      context.routes.invalidate();
      client.end(rawPage(badGatewayPage(lease, describeFailure(error))));
    } else client.destroy();
  });
  backend.on('close', () => {
    // A reset or a close without an end: the client must not wait for more.
    if (answered && !client.writableEnded) client.destroy();
  });
  client.on('close', () => backend.destroy());
  backend.setNoDelay(true);
  client.setNoDelay(true);
  backend.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) backend.write(head);
  client.pipe(backend);
  backend.pipe(client);
}
