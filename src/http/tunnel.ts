/**
 * An upgraded connection (WebSocket, or any other `Upgrade`) between a client and a
 * backend once the backend answered 101: bytes pass both ways untouched (`exchange.ts`
 * forwards them with backpressure), frames, pings and close frames included, so a close
 * code reaches the other side as sent. An end on one side ends the other. When one side
 * breaks without a close frame, a WebSocket's other side gets one if the stream is between
 * two frames (`ws-frames.ts`): the browser sees 1014 (bad gateway) instead of 1006, the
 * backend 1001 (going away). When the server shuts down, both sides get 1001 the same way.
 * Upgraded connections are never cut by the request timeout.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { upgradeOf } from './forward.js';
import type { RequestHead } from './head.js';
import { closeFrame, FrameTracker } from './ws-frames.js';

/** Close code sent to a browser whose WebSocket backend broke (RFC 6455 registry: Bad Gateway). */
export const BACKEND_LOST_CODE = 1014;
/** Close code sent to a backend whose client went away (RFC 6455: Going Away). */
export const CLIENT_GONE_CODE = 1001;
/** Close code sent to both sides when the server shuts down (RFC 6455: Going Away). */
export const SHUTDOWN_CODE = 1001;
/** How long a backend may take to finish its close once told the client went away. @default 5000 */
const CLOSE_GRACE = 5000;

/** The upgrade asks for WebSocket, whose frames the tunnel follows (any other protocol's bytes pass unread). */
export function asksWebSocket(request: RequestHead): boolean {
  return request.upgrade && upgradeOf(request.headers)?.toLowerCase() === 'websocket';
}

/** The two sockets of an upgrade, and what their frames say. */
export class Tunnel {
  private readonly toClient: FrameTracker | undefined;
  private readonly toBackend: FrameTracker | undefined;
  private opened = false;

  constructor(
    private readonly client: Socket,
    private readonly backend: Socket,
    websocket: boolean,
  ) {
    this.toClient = websocket ? new FrameTracker() : undefined;
    this.toBackend = websocket ? new FrameTracker() : undefined;
    client.setTimeout(0);
  }

  /** The backend answered 101: from now on both sides speak the upgraded protocol. */
  open(): void {
    this.opened = true;
  }

  /** Bytes on their way to the backend (early frames included). */
  fromClient(bytes: Buffer): void {
    this.toBackend?.feed(bytes);
  }

  /** Bytes on their way to the client, after the 101 head. */
  fromBackend(bytes: Buffer): void {
    this.toClient?.feed(bytes);
  }

  /** The backend ended its side. */
  backendEnded(): void {
    this.closeClient();
  }

  /** The backend connection is gone. */
  backendGone(): void {
    this.closeClient();
  }

  /** The client ended its side: so does the backend's connection. */
  clientEnded(): void {
    this.closeBackend();
  }

  /** The client connection is gone: the backend's connection ends too, and closes if it lingers. */
  clientGone(): void {
    const backend = this.backend;
    if (backend.destroyed) return;
    this.closeBackend();
    setTimeout(() => backend.destroy(), CLOSE_GRACE).unref();
  }

  /**
   * The server is shutting down: each side that is between two frames and has not closed
   * gets a 1001 close frame, and both connections are destroyed once that is written (a
   * peer that never answers the close must not hold the server's close up).
   */
  shutdown(): void {
    const backend = this.backend;
    const client = this.client;
    const going = (tracker: FrameTracker | undefined) => this.opened && tracker !== undefined && !tracker.closed && tracker.atBoundary;
    if (!backend.destroyed) {
      if (!backend.writableEnded && going(this.toBackend))
        backend.end(closeFrame(SHUTDOWN_CODE, 'server shutting down', randomBytes(4)), () => backend.destroy());
      else backend.destroy();
    }
    if (!client.destroyed) {
      if (!client.writableEnded && going(this.toClient)) client.end(closeFrame(SHUTDOWN_CODE, 'server shutting down'), () => client.destroy());
      else client.destroy();
    }
  }

  /** Ends the backend's side, with a close frame of our own when the client sent none. */
  private closeBackend(): void {
    const backend = this.backend;
    if (backend.destroyed || backend.writableEnded) return;
    const tracker = this.toBackend;
    if (this.opened && tracker && !tracker.closed && tracker.atBoundary) backend.end(closeFrame(CLIENT_GONE_CODE, 'client went away', randomBytes(4)));
    else backend.end();
  }

  private closeClient(): void {
    const client = this.client;
    if (client.destroyed || client.writableEnded) return;
    const tracker = this.toClient;
    if (!tracker || tracker.closed) {
      client.end();
      return;
    }
    if (this.opened && tracker.atBoundary) {
      client.end(closeFrame(BACKEND_LOST_CODE, 'backend connection lost'));
      return;
    }
    // Mid-frame: nothing well-formed can follow; the client sees the connection drop.
    client.destroy();
  }
}
