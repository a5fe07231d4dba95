/** Where bodies end (Content-Length and chunked, split anywhere) and WebSocket frame boundaries. */
import { describe, expect, it } from 'vitest';
import { BodyCounter } from '../../src/http/framing.js';
import { closeFrame, FrameTracker } from '../../src/http/ws-frames.js';

/** Feeds `text` to a chunked counter cut into pieces of `size` bytes; returns where the body ended in the whole text. */
function chunkedEnd(text: string, size: number): number | string {
  const counter = new BodyCounter({ kind: 'chunked' });
  const bytes = Buffer.from(text, 'latin1');
  for (let at = 0; at < bytes.length; at += size) {
    const piece = bytes.subarray(at, at + size);
    const end = counter.feed(piece, 0);
    if (end === -1) return `error: ${counter.error}`;
    if (counter.done) return at + end;
  }
  return 'incomplete';
}

describe('BodyCounter', () => {
  it('counts a Content-Length body and leaves what follows', () => {
    const counter = new BodyCounter({ kind: 'length', length: 5 });
    expect(counter.feed(Buffer.from('abc'), 0)).toBe(3);
    expect(counter.done).toBe(false);
    expect(counter.feed(Buffer.from('deGET /'), 0)).toBe(2);
    expect(counter.done).toBe(true);
    expect(new BodyCounter({ kind: 'none' }).done).toBe(true);
  });

  it('finds the end of a chunked body, with extensions and trailers, however it is split', () => {
    const body = '5\r\nhello\r\n1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n';
    for (const size of [1, 2, 3, 7, 64]) expect(chunkedEnd(`${body}GET / HTTP/1.1`, size)).toBe(body.length);
    expect(chunkedEnd('0\r\n\r\n', 1)).toBe(5);
    expect(chunkedEnd('5\r\nhel', 64)).toBe('incomplete');
  });

  it('refuses malformed chunked encoding', () => {
    for (const text of ['x\r\n', '5\nhello\r\n0\r\n\r\n', '5\r\nhelloX\r\n', '1\r\na\r\n0\r\n\r\r', 'fffffffffffffff\r\n', '0\r\nX: a\nb\r\n\r\n']) {
      expect(String(chunkedEnd(text, 64)), JSON.stringify(text)).toMatch(/^error/);
    }
  });
});

describe('FrameTracker', () => {
  it('follows frames of every length form, split anywhere, and sees a close frame', () => {
    const frames = Buffer.concat([
      Buffer.from([0x81, 0x02, 0x68, 0x69]),
      Buffer.concat([Buffer.from([0x82, 126, 0x01, 0x00]), Buffer.alloc(256)]),
      Buffer.concat([Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]), Buffer.alloc(65536)]),
      Buffer.concat([Buffer.from([0x81, 0x83, 1, 2, 3, 4]), Buffer.alloc(3)]),
    ]);
    for (const size of [1, 5, 1000, frames.length]) {
      const tracker = new FrameTracker();
      const boundaries: number[] = [];
      for (let at = 0; at < frames.length; at += size) {
        tracker.feed(frames.subarray(at, at + size));
        if (tracker.atBoundary) boundaries.push(Math.min(at + size, frames.length));
      }
      expect(tracker.atBoundary).toBe(true);
      expect(tracker.closed).toBe(false);
      expect(boundaries).toContain(frames.length);
    }
    const tracker = new FrameTracker();
    tracker.feed(Buffer.from([0x81, 0x05, 0x68]));
    expect(tracker.atBoundary).toBe(false);
    tracker.feed(closeFrame(1000, 'bye').subarray(0, 0));
    tracker.feed(Buffer.from('ello'));
    tracker.feed(closeFrame(1000, 'bye'));
    expect(tracker.atBoundary).toBe(true);
    expect(tracker.closed).toBe(true);
  });

  it('builds close frames, masked for a backend', () => {
    expect([...closeFrame(1014, 'x')]).toEqual([0x88, 3, 0x03, 0xf6, 0x78]);
    const masked = closeFrame(1001, 'x', Buffer.from([1, 2, 3, 4]));
    expect([...masked.subarray(0, 6)]).toEqual([0x88, 0x83, 1, 2, 3, 4]);
    expect([...masked.subarray(6)]).toEqual([0x03 ^ 1, 0xe9 ^ 2, 0x78 ^ 3]);
  });
});
