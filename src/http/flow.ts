/**
 * The bytes of one proxied exchange between its two sockets, with backpressure in each
 * direction and no copies: request bytes go to the backend and pause the client while the
 * backend's socket is full; response bytes go to the client straight from the backend
 * connection's read buffer, which the next read overwrites, so backend reads pause while
 * the client's socket still holds any of them (the same pause is the backpressure of a
 * slow client).
 */
import type { Socket } from 'node:net';

/** Body bytes that go out joined to the response head as text rather than as a second buffer. */
const SMALL_BODY = 4096;

/** What a {@link Flow} asks of its exchange before it resumes a socket. */
export interface FlowOwner {
  /** The exchange is over: nothing is resumed any more. */
  readonly over: boolean;
  /** The client's next bytes belong to the exchange (its body, or an upgraded stream). */
  readonly wantsBody: boolean;
}

/** Both directions of one exchange. */
export class Flow {
  /** The backend connection's socket, once there is one. */
  backend: Socket | undefined;
  /** Milliseconds timestamp when request body bytes last moved (the stall limit counts from it). */
  lastBodyAt = 0;
  /** The client is paused until the backend's socket drains. */
  private draining = false;
  /** Backend reads are paused until the client's socket has written what it was given. */
  private held = false;
  /** Runs once the client's writes are out (see {@link whenFlushed}). */
  private afterFlush: (() => void) | undefined;

  constructor(
    private readonly client: Socket,
    private readonly owner: FlowOwner,
  ) {}

  /** The backend is the slow side: its socket is full and the client waits. */
  get backendFull(): boolean {
    return this.draining;
  }

  /** Request bytes to the backend; pauses the client while the backend's socket is full. */
  toBackend(bytes: Buffer) {
    if (!this.backend!.write(bytes) && !this.draining) {
      this.draining = true;
      this.client.pause();
      this.backend!.once('drain', this.backendDrained);
    }
  }

  private readonly backendDrained = () => {
    this.draining = false;
    this.lastBodyAt = Date.now();
    if (!this.owner.over && this.owner.wantsBody) this.client.resume();
  };

  /** Response bytes (or a head as latin1 text) to the client; pauses backend reads until they are written. */
  toClient(bytes: Buffer | string) {
    const client = this.client;
    if (typeof bytes === 'string') client.write(bytes, 'latin1', this.flushed);
    else client.write(bytes, this.flushed);
    if (client.writableLength > 0 && !client.destroyed && !this.held) {
      this.held = true;
      this.backend!.pause();
    }
  }

  /**
   * A response head and the body bytes of `bytes` from `start` to `end` that came with it,
   * in one write: a small body joins the head as text (latin1 keeps every byte), a larger
   * one follows it in a writev.
   */
  headToClient(head: string, bytes: Buffer, start: number, end: number) {
    if (end - start > SMALL_BODY) {
      this.client.cork();
      this.toClient(head);
      this.toClient(bytes.subarray(start, end));
      this.client.uncork();
    } else this.toClient(end > start ? head + bytes.toString('latin1', start, end) : head);
  }

  /**
   * Runs `then` once the client's socket holds none of the backend's bytes: at once, or
   * when its writes are out. The backend connection may be reused only then, since the
   * next exchange on it would overwrite them.
   */
  whenFlushed(then: () => void) {
    if (this.held) this.afterFlush = then;
    else then();
  }

  private readonly flushed = () => {
    if (!this.held) return;
    const client = this.client;
    if (client.writableLength > 0 && !client.destroyed) return;
    this.held = false;
    const later = this.afterFlush;
    this.afterFlush = undefined;
    if (later) later();
    else if (!this.owner.over) this.backend?.resume();
  };
}
