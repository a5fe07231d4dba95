/**
 * A client connection of the server, read by the proxy first. Every connection starts
 * here: the proxy reads request heads itself (`head.ts`), and each request on a
 * named-URL host is routed on its own (a second request with another `Host` or path goes
 * to its own backend) and forwarded over a pooled backend connection (`exchange.ts`), one
 * at a time: pipelined requests wait in order, each answered after the one before. A
 * connection whose request is for the API, the dashboard or a foreign host, or is not
 * well-formed, is handed to node:http at a request boundary with the bytes read so far,
 * and node:http answers it as it always has (including its refusals of malformed
 * requests). Deadlines are checked by a sweep (`sweep`), not a timer per request: the
 * first head must arrive within the header timeout, an idle keep-alive connection closes
 * after {@link KEEP_ALIVE_MS}.
 */
import type { Socket } from 'node:net';
import type { ConnectionGuard } from './connections.js';
import { dispatch } from './dispatch.js';
import { Exchange } from './exchange.js';
import { KEEP_ALIVE_SECONDS } from './forward.js';
import { BARE_LF, INCOMPLETE, MAX_HEAD, parseRequestHead, scanHead, type RequestHead } from './head.js';
import { badRequestPage, type Page } from './pages.js';
import { findTarget, rawPage, type ProxyContext } from './proxy.js';
import { rawReply } from './refusals.js';

/** An idle keep-alive client connection closes after this many ms (node:http's default). */
export const KEEP_ALIVE_MS = KEEP_ALIVE_SECONDS * 1000;
/** Bytes of pipelined requests read ahead while one is answered; past this, reading pauses. */
const READ_AHEAD = 64 * 1024;

/** What client connections share. */
export interface ClientEngine {
  proxy: ProxyContext;
  connections: ConnectionGuard;
  /** The API's exact `host:port` values (see `allowedHosts`). */
  hosts(): readonly string[];
  /** Milliseconds the first head may take (and a partial head after an idle spell). */
  headTimeout: number;
  /** Gives the socket to node:http with the bytes read so far; `refused` when the proxy would not parse them. */
  handOver(socket: Socket, buffered: Buffer | undefined, refused: boolean): void;
  /** Open client connections, for the sweep and for closing the server. */
  clients: Set<ClientConnection>;
}

const HEAD = 0;
const BUSY = 1;
const CLOSING = 2;
const GONE = 3;

/** One client connection while the proxy reads it. */
export class ClientConnection {
  /** The client ended its side (FIN). */
  ended = false;
  private state = HEAD;
  private buffer: Buffer | undefined;
  private exchange: Exchange | undefined;
  private deadline: number;
  private done: (() => void) | undefined;

  constructor(
    readonly socket: Socket,
    readonly engine: ClientEngine,
  ) {
    engine.clients.add(this);
    this.deadline = Date.now() + engine.headTimeout;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', noop);
    socket.on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer) => {
    if (this.state === BUSY) {
      const exchange = this.exchange;
      if (exchange?.wantsBody) exchange.clientData(chunk, 0);
      else this.hold(chunk);
      return;
    }
    if (this.state !== HEAD) return;
    this.buffer = this.buffer === undefined ? chunk : Buffer.concat([this.buffer, chunk]);
    this.next();
  };

  /** Keeps bytes that arrived ahead of their turn (a pipelined request). */
  hold(bytes: Buffer) {
    if (bytes.length === 0) return;
    this.buffer = this.buffer === undefined ? bytes : Buffer.concat([this.buffer, bytes]);
    if (this.buffer.length > READ_AHEAD) this.socket.pause();
  }

  /** Takes the bytes kept so far (the start of a body). */
  take(): Buffer | undefined {
    const buffer = this.buffer;
    this.buffer = undefined;
    return buffer;
  }

  /** Marks whether a request body is arriving (for the connection guard's eviction order). */
  readingBody(reading: boolean) {
    this.engine.connections.readingBody(this.socket, reading);
  }

  /** Reads the next request head from the bytes kept, and starts its exchange. */
  private next() {
    const buffer = this.buffer;
    if (buffer === undefined) {
      this.socket.resume();
      return;
    }
    // Empty lines before a request line are skipped (RFC 9112 §2.2).
    let start = 0;
    while (start + 1 < buffer.length && buffer[start] === 13 && buffer[start + 1] === 10) start += 2;
    const end = scanHead(buffer, start);
    if (end === INCOMPLETE) {
      if (buffer.length - start > MAX_HEAD) return this.handOver(false);
      this.socket.resume();
      return;
    }
    if (end === BARE_LF) return this.handOver(true);
    const parsed = parseRequestHead(buffer.toString('latin1', start, end));
    if ('malformed' in parsed) return this.handOver(true);
    const destination = dispatch(parsed.head.host, this.engine.hosts(), this.engine.proxy.port);
    if (destination.kind !== 'app') return this.handOver(false);
    this.buffer = end < buffer.length ? buffer.subarray(end) : undefined;
    this.begin(parsed.head, destination.labels);
  }

  private begin(head: RequestHead, labels: string[]) {
    this.state = BUSY;
    this.done = this.engine.connections.begin(this.socket);
    if (head.risk !== undefined) return this.page(badRequestPage(`Refused: ${head.risk}.`));
    const request = { target: head.target, host: head.host[0]!, route: head.route };
    findTarget(labels, request, this.engine.proxy, (error, target) => {
      if (this.state !== BUSY) return;
      if (error !== null || target === undefined) {
        // The registry could not be read: say so rather than guess a route.
        this.engine.proxy.onError?.(error);
        return this.page({ status: 503, html: 'portlease: the registry cannot be read right now.\n' });
      }
      if ('page' in target) return this.page(target.page);
      const exchange = new Exchange(this, head, target.lease, target.target);
      this.exchange = exchange;
      exchange.start();
    });
  }

  /**
   * Answers with a page and closes: a page answers instead of forwarding, so a request
   * body stays unread, and the connection closes rather than parse it as a next request.
   */
  page(page: Page) {
    this.exchange = undefined;
    this.finishRequest();
    if (this.state === GONE) return;
    this.state = CLOSING;
    this.socket.end(rawPage(page));
    this.socket.destroySoon();
  }

  /** The exchange is over; `keep` says whether this connection may carry another request. */
  exchangeDone(keep: boolean) {
    this.exchange = undefined;
    this.finishRequest();
    if (this.state === GONE) return;
    if (!keep || this.ended) {
      this.state = CLOSING;
      this.socket.destroySoon();
      return;
    }
    this.state = HEAD;
    this.deadline = Date.now() + KEEP_ALIVE_MS;
    this.next();
  }

  private finishRequest() {
    this.done?.();
    this.done = undefined;
  }

  /** Gives the connection to node:http at this request boundary. */
  private handOver(refused: boolean) {
    const { socket } = this;
    socket.removeListener('data', this.onData);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('close', this.onClose);
    this.state = GONE;
    this.engine.clients.delete(this);
    const buffered = this.buffer;
    this.buffer = undefined;
    this.engine.handOver(socket, buffered, refused);
  }

  private readonly onEnd = () => {
    this.ended = true;
    if (this.state === BUSY) this.exchange?.clientEnded();
    // Between requests, a half-closed client sends no more: close after what is being written.
    else if (this.state === HEAD) this.socket.destroySoon();
  };

  private readonly onClose = () => {
    this.state = GONE;
    this.engine.clients.delete(this);
    this.exchange?.clientGone();
    this.exchange = undefined;
    this.finishRequest();
  };

  /** Enforces this connection's deadlines. */
  sweep(now: number) {
    if (this.state === BUSY) return this.exchange?.sweep(now);
    if (this.state !== HEAD || now < this.deadline) return;
    this.state = CLOSING;
    // A head begun and never finished gets node:http's answer to the same; an idle connection just closes.
    if (this.buffer !== undefined && this.buffer.length > 0) {
      this.socket.end(rawReply(408, 'request timeout'));
      this.socket.destroySoon();
    } else this.socket.destroy();
  }

  /** Closes the connection at once (the server is closing); a WebSocket tunnel first says 1001 to both sides. */
  destroy() {
    if (this.exchange?.serverClosing()) return;
    this.socket.destroy();
  }
}

function noop() {}
