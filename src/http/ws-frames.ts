/**
 * WebSocket frame boundaries (pure, RFC 6455 §5.2). The proxy passes frames through as
 * bytes; it only needs to know whether a stream is between two frames and whether a close
 * frame has passed, so that when one side breaks it can close the other side with a real
 * close code (1014 towards the browser, 1001 towards the backend) instead of a bare reset,
 * which a browser reports as 1006. A close frame can only be added between frames.
 */

const CLOSE = 0x8;

/** Follows the frames of one direction of a WebSocket connection. */
export class FrameTracker {
  /** A close frame has passed. */
  closed = false;
  private header: number[] = [];
  private payload = 0;

  /** True between two frames: a frame of our own may be sent now. */
  get atBoundary(): boolean {
    return this.payload === 0 && this.header.length === 0;
  }

  /**
   * Follows the bytes of `chunk`.
   *
   * @example
   * const tracker = new FrameTracker();
   * tracker.feed(Buffer.from([0x81, 0x02, 0x68, 0x69])); // tracker.atBoundary === true
   */
  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.payload > 0) {
        const take = Math.min(this.payload, chunk.length - i);
        this.payload -= take;
        i += take;
        continue;
      }
      this.header.push(chunk[i]!);
      i += 1;
      const needed = headerLength(this.header);
      if (this.header.length < needed) continue;
      const [first, second] = this.header as [number, number];
      const size = second & 0x7f;
      let length = size;
      if (size === 126) length = this.header[2]! * 256 + this.header[3]!;
      else if (size === 127) {
        length = 0;
        for (let k = 2; k < 10; k++) length = length * 256 + this.header[k]!;
      }
      if ((first & 0x0f) === CLOSE) this.closed = true;
      this.header = [];
      this.payload = length;
    }
  }
}

/** Bytes of a frame header so far: 2, then the extended length and the mask key. */
function headerLength(header: readonly number[]): number {
  if (header.length < 2) return 2;
  const size = header[1]! & 0x7f;
  const masked = (header[1]! & 0x80) !== 0;
  return 2 + (size === 126 ? 2 : size === 127 ? 8 : 0) + (masked ? 4 : 0);
}

/**
 * A close frame with `code` and a short `reason`, masked with `mask` when given (frames
 * from a client must be masked, frames from a server must not).
 *
 * @example
 * closeFrame(1014, 'backend connection lost'); // <Buffer 88 19 03 f6 …>
 */
export function closeFrame(code: number, reason: string, mask?: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason.slice(0, 120), 'utf8')]);
  if (mask === undefined) return Buffer.concat([Buffer.from([0x80 | CLOSE, payload.length]), payload]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x80 | CLOSE, 0x80 | payload.length]), mask, masked]);
}
