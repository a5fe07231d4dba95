/**
 * `Upgrade` requests (WebSockets) at the server: dispatched on `Host` like any request,
 * tunnelled on a named-URL host (`tunnel.ts`), refused on the API's hosts and elsewhere.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionGuard } from './connections.js';
import { dispatch } from './dispatch.js';
import { checkRequest } from './guard.js';
import type { ProxyContext } from './proxy.js';
import { rawReply } from './refusals.js';
import { proxyUpgrade } from './tunnel.js';

/** What an upgrade needs from the server. */
export interface UpgradeContext {
  connections: ConnectionGuard;
  hosts: () => readonly string[];
  proxy: ProxyContext;
  /** Open upgraded connections, closed with the server. */
  tunnels: Set<Socket>;
  onError: ((error: unknown) => void) | undefined;
}

/**
 * An `Upgrade` request (WebSocket): tunnelled on a named-URL host, refused elsewhere (the
 * API has no upgrades). The connection counts as busy for the guard until it closes.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => onUpgrade(req, socket, head, context));
 */
export function onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, context: UpgradeContext): void {
  socket.on('error', () => undefined);
  if (!context.connections.admitted(socket)) {
    socket.destroy();
    return;
  }
  context.connections.begin(socket);
  context.tunnels.add(socket);
  socket.once('close', () => context.tunnels.delete(socket));
  const destination = dispatch(req.headersDistinct['host'], context.hosts(), context.proxy.port);
  if (destination.kind === 'app') {
    void proxyUpgrade(req, socket, head, destination.labels, context.proxy).catch((error: unknown) => {
      context.onError?.(error);
      socket.destroy();
    });
    return;
  }
  const refusal = checkRequest(req.headersDistinct, context.hosts());
  socket.end(refusal ? rawReply(403, (refusal.body as { error: string }).error) : rawReply(400, 'this server accepts no upgrade here'));
}
