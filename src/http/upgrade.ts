/**
 * `Upgrade` requests (WebSockets) that reach node:http: those on the API's hosts and
 * elsewhere, refused (the API has no upgrades). A named-URL host's upgrade is the proxy's
 * (`client.ts`, `tunnel.ts`); one that arrives on a connection node:http already serves
 * is answered 421, as any named-URL request there.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionGuard } from './connections.js';
import { dispatch } from './dispatch.js';
import { checkRequest } from './guard.js';
import { misdirectedPage } from './pages.js';
import { rawPage } from './proxy.js';
import { rawReply } from './refusals.js';

/** What an upgrade needs from the server. */
export interface UpgradeContext {
  connections: ConnectionGuard;
  hosts: () => readonly string[];
  /** The server's port. */
  port: () => number;
}

/**
 * An `Upgrade` request (WebSocket) on a connection node:http serves: refused.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => onUpgrade(req, socket, head, context));
 */
export function onUpgrade(req: IncomingMessage, socket: Socket, _head: Buffer, context: UpgradeContext): void {
  socket.on('error', () => undefined);
  if (!context.connections.admitted(socket)) {
    socket.destroy();
    return;
  }
  context.connections.begin(socket);
  const destination = dispatch(req.headersDistinct['host'], context.hosts(), context.port());
  if (destination.kind === 'app') {
    socket.end(rawPage(misdirectedPage(req.headers.host ?? '')));
    return;
  }
  const refusal = checkRequest(req.headersDistinct, context.hosts());
  socket.end(refusal ? rawReply(403, (refusal.body as { error: string }).error) : rawReply(400, 'this server accepts no upgrade here'));
}
