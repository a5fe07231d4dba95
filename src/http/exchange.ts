/**
 * One proxied request and its response over one backend connection. The request head is
 * rewritten (`forward.ts`) and sent with the body's first bytes in one write; the body
 * follows as it arrives, counted (`framing.ts`) so that its end is known; the response
 * head is read (`response-reader.ts`), rewritten, and its body forwarded and counted the same way.
 * Bytes are never copied into a larger buffer, and each direction pauses its source while
 * its destination is full (backpressure, `flow.ts`). Once the response is complete the backend
 * connection goes back to the pool if both sides ended cleanly, else it is closed; a client
 * that goes away mid-exchange closes it at once, so the backend sees the disconnect.
 *
 * An upgrade (WebSocket) is the same exchange on a connection of its own: every client
 * byte after the head goes to the backend at once (frames a client sends before the
 * handshake is answered included); a 101 turns both connections into a tunnel
 * (`tunnel.ts`), any other answer is forwarded and both connections close after it.
 */
import type { BackendConnection, BackendUser } from './backend.js';
import type { ClientConnection } from './client.js';
import { Flow } from './flow.js';
import { BodyCounter } from './framing.js';
import { forwardRequest, responseHead } from './forward.js';
import type { RequestHead, ResponseHead } from './head.js';
import { badGatewayPage, badRequestPage, gatewayTimeoutPage } from './pages.js';
import { describeFailure } from './proxy.js';
import { ResponseHeadReader } from './response-reader.js';
import { asksWebSocket, Tunnel } from './tunnel.js';
import type { Lease } from '../types.js';

/** Methods whose request may be sent again on a fresh connection when a reused one was closed under it. */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

const SENDING = 0;
const AWAITING = 1;
const RESPONDING = 2;
const TUNNEL = 3;
const DONE = 4;

/** One request in flight between a client connection and a backend. */
export class Exchange implements BackendUser {
  /** Milliseconds timestamp when the response must have begun (0: no deadline now). */
  deadline = 0;
  private backend: BackendConnection | undefined;
  private phase = SENDING;
  private cancel: () => void = noop;
  private readonly head: string;
  private readonly requestBody: BodyCounter;
  private response: BodyCounter | undefined;
  private responseHead: ResponseHead | undefined;
  private readonly heads = new ResponseHeadReader();
  private answered = false;
  private keepClient = false;
  private surplus = false;
  private retried = false;
  private tunnel: Tunnel | undefined;
  private readonly flow: Flow;

  constructor(
    private readonly client: ClientConnection,
    private readonly request: RequestHead,
    private readonly lease: Lease,
    target: string,
  ) {
    this.head = forwardRequest(request, target, client.socket.remoteAddress, lease.id);
    this.requestBody = new BodyCounter(request.body);
    this.flow = new Flow(client.socket, this);
  }

  /** The exchange is over (answered, cut, or its client gone). */
  get over(): boolean {
    return this.phase === DONE;
  }

  /** The client's next bytes belong to this exchange (its body, or the upgraded stream). */
  get wantsBody(): boolean {
    return this.phase !== DONE && (this.request.upgrade || !this.requestBody.done);
  }

  /** Sends the request: on a pooled connection, or one of its own for an upgrade. */
  start() {
    const { proxy } = this.client.engine;
    if (this.request.expectContinue) this.client.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    this.deadline = Date.now() + proxy.responseTimeout;
    if (this.request.upgrade) this.attach(proxy.pool.dedicated(this.lease.port, this));
    else this.cancel = proxy.pool.acquire(this.lease.port, this, (connection) => this.attach(connection));
    // Waiting for a free backend connection: the body waits in the client's socket.
    if (!this.backend) this.client.socket.pause();
  }

  private attach(connection: BackendConnection) {
    this.cancel = noop;
    this.backend = connection;
    const socket = connection.socket;
    this.flow.backend = socket;
    if (this.request.upgrade) this.tunnel = new Tunnel(this.client.socket, socket, asksWebSocket(this.request));
    const buffered = this.client.take();
    this.flow.lastBodyAt = Date.now();
    if (buffered) {
      // Head and the body's first bytes in one write.
      socket.cork();
      socket.write(this.head, 'latin1');
      this.clientData(buffered, 0);
      socket.uncork();
    } else {
      socket.write(this.head, 'latin1');
      this.bodyProgress();
    }
    if (this.wantsBody) {
      this.client.readingBody(!this.request.upgrade);
      this.client.socket.resume();
    }
    // While a body streams, only its stalls count (see sweep); the response's time starts when it is sent.
    if (!this.request.upgrade && !this.requestBody.done) this.deadline = 0;
  }

  /** Bytes from the client from `start` on: body bytes go to the backend, the rest waits as the next request. */
  clientData(chunk: Buffer, start: number) {
    const backend = this.backend;
    if (!backend) return this.client.hold(chunk.subarray(start));
    if (this.request.upgrade) {
      const part = start === 0 ? chunk : chunk.subarray(start);
      this.tunnel!.fromClient(part);
      return this.flow.toBackend(part);
    }
    const end = this.requestBody.feed(chunk, start);
    if (end === -1) return this.refuse(`Refused: malformed chunked body (${this.requestBody.error}).`);
    if (end > start) {
      this.flow.lastBodyAt = Date.now();
      this.flow.toBackend(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end));
    }
    if (end < chunk.length) this.client.hold(chunk.subarray(end));
    this.bodyProgress();
  }

  private bodyProgress() {
    if (!this.requestBody.done || this.phase !== SENDING) return;
    this.phase = AWAITING;
    this.client.readingBody(false);
    if (!this.answered) this.deadline = Date.now() + this.client.engine.proxy.responseTimeout;
  }

  onBackendData(chunk: Buffer) {
    if (this.phase === TUNNEL) {
      this.tunnel!.fromBackend(chunk);
      return this.flow.toClient(chunk);
    }
    if (this.phase === RESPONDING) return this.responseBody(chunk, 0);
    if (this.phase === DONE) return;
    let bytes = chunk;
    for (;;) {
      const read = this.heads.read(bytes, this.request.method);
      if (read.kind === 'more') return;
      if (read.kind === 'malformed') return this.badGateway(read.reason);
      const { head, buffer, end } = read;
      if (head.status === 101) {
        if (!this.request.upgrade) return this.badGateway('it switched protocols unasked');
        return this.upgraded(buffer, end);
      }
      if (head.status < 200) {
        // Interim (100 Continue, 103 Early Hints): passed on, the final response follows.
        this.flow.toClient(responseHead(head.status, head.reason, head.headers, 'interim'));
        if (end === buffer.length) return;
        bytes = buffer.subarray(end);
        continue;
      }
      return this.respond(head, buffer, end);
    }
  }

  private respond(head: ResponseHead, buffer: Buffer, end: number) {
    this.deadline = 0;
    this.answered = true;
    this.responseHead = head;
    this.phase = RESPONDING;
    this.keepClient = this.request.keepAlive && head.body.kind !== 'close' && !this.request.upgrade && this.requestBody.done && !this.client.ended;
    this.response = new BodyCounter(head.body);
    const text = responseHead(head.status, head.reason, head.headers, this.keepClient ? 'keep-alive' : 'close');
    const bodyEnd = this.response.feed(buffer, end);
    this.flow.headToClient(text, buffer, end, bodyEnd);
    if (bodyEnd !== -1 && bodyEnd < buffer.length) this.surplus = true;
    if (bodyEnd === -1) return this.cut();
    if (this.response.done) this.finish();
  }

  private responseBody(chunk: Buffer, start: number) {
    const counter = this.response!;
    const end = counter.feed(chunk, start);
    if (end === -1) return this.cut();
    if (end > start) this.flow.toClient(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end));
    if (end < chunk.length) this.surplus = true;
    if (counter.done) this.finish();
  }

  private upgraded(buffer: Buffer, end: number) {
    this.deadline = 0;
    this.answered = true;
    this.phase = TUNNEL;
    this.client.readingBody(false);
    this.tunnel!.open();
    // The backend's 101 head goes to the client as it is: its Upgrade and Connection fields are the point.
    this.tunnel!.fromBackend(buffer.subarray(end));
    this.flow.toClient(buffer);
  }

  /** The response is complete: the backend connection goes back to the pool or closes, the client goes on. */
  private finish() {
    this.phase = DONE;
    const backend = this.backend!;
    const { pool } = this.client.engine.proxy;
    if (!this.request.upgrade && this.responseHead!.keepAlive && this.requestBody.done && !this.surplus) {
      // The client's socket may still hold bytes of the backend's read buffer: the next
      // exchange on this connection would overwrite them.
      this.flow.whenFlushed(() => {
        backend.socket.resume();
        pool.release(backend);
      });
    } else pool.discard(backend);
    this.client.exchangeDone(this.keepClient);
  }

  /** The response broke off mid-body: the client must see it incomplete. */
  private cut() {
    this.phase = DONE;
    if (this.backend) this.client.engine.proxy.pool.discard(this.backend);
    this.client.socket.destroy();
  }

  private badGateway(reason: string) {
    this.client.engine.proxy.routes.expire();
    this.answer(badGatewayPage(this.lease, reason));
  }

  private refuse(reason: string) {
    this.answer(badRequestPage(reason));
  }

  /** Answers with a page instead of the backend's response (or cuts the client when a response has begun). */
  private answer(page: Parameters<ClientConnection['page']>[0]) {
    this.phase = DONE;
    this.cancel();
    if (this.backend) this.client.engine.proxy.pool.discard(this.backend);
    if (this.answered) this.client.socket.destroy();
    else this.client.page(page);
  }

  onBackendEnd() {
    if (this.phase === TUNNEL) return this.tunnel!.backendEnded();
    // A body delimited by the close ends here.
    if (this.phase === RESPONDING && this.responseHead!.body.kind === 'close') this.finish();
  }

  onBackendClose(error: NodeJS.ErrnoException | undefined) {
    if (this.phase === DONE) return;
    if (this.phase === TUNNEL) {
      this.phase = DONE;
      return this.tunnel!.backendGone();
    }
    if (this.phase === RESPONDING) {
      if (this.responseHead!.body.kind === 'close') this.finish();
      else this.cut();
      return;
    }
    const backend = this.backend!;
    // A reused connection the backend closed just as the request went out: the request
    // never reached it, so a request without a body may go again, once.
    if (backend.reused && !this.retried && !this.heads.started && this.request.body.kind === 'none' && IDEMPOTENT.has(this.request.method)) {
      this.retried = true;
      this.backend = undefined;
      this.flow.backend = undefined;
      this.phase = SENDING;
      this.cancel = this.client.engine.proxy.pool.acquire(this.lease.port, this, (connection) => this.attach(connection));
      return;
    }
    this.badGateway(error ? describeFailure(error) : 'it closed the connection without a response');
  }

  /** The server is closing: true when this exchange is a tunnel, which then closes both sides itself. */
  serverClosing(): boolean {
    if (this.phase !== TUNNEL) return false;
    this.tunnel!.shutdown();
    return true;
  }

  /** The client connection closed: stop the backend request too. */
  clientGone() {
    if (this.phase === DONE) return;
    const tunnel = this.phase === TUNNEL;
    this.phase = DONE;
    this.cancel();
    if (tunnel) return this.tunnel!.clientGone();
    if (this.backend) this.client.engine.proxy.pool.discard(this.backend);
  }

  /** The client ended its side: an upgraded stream passes that on; a body cut short ends the exchange. */
  clientEnded() {
    if (this.phase === TUNNEL) return this.tunnel!.clientEnded();
    if (this.phase !== DONE && !this.requestBody.done) {
      this.clientGone();
      this.client.socket.destroy();
    }
  }

  /** Enforces the response deadline (504) and the body stall limit. */
  sweep(now: number) {
    if (this.phase === DONE || this.phase === TUNNEL) return;
    const { proxy } = this.client.engine;
    if (this.deadline !== 0 && now >= this.deadline && !this.answered) {
      return this.answer(gatewayTimeoutPage(this.lease, Math.round(proxy.responseTimeout / 1000)));
    }
    // A body that stalls: cut both sides (the backend sees its request aborted). Not while
    // the backend is the slow one (the client is paused until its socket drains).
    if (this.backend && !this.request.upgrade && !this.requestBody.done && !this.flow.backendFull && now - this.flow.lastBodyAt >= proxy.timeout) {
      this.clientGone();
      this.client.socket.destroy();
    }
  }
}

function noop() {}
