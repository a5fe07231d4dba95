/**
 * Where a message body ends (pure). The proxy forwards body bytes as they arrive, framing
 * and all (a chunked body stays chunked), and only counts: how many bytes of a chunk
 * belong to the body, and whether the body is over. That is what lets one backend
 * connection carry request after request, and a pipelined next request wait its turn.
 * The chunked decoder is strict (hex sizes, CRLF, bounded size and trailer lines), since a
 * client and a backend that disagree on where a chunked body ends are the smuggling case.
 */
import type { Framing } from './head.js';

/** The longest chunk-size line or trailer line accepted. @default 4096 */
export const MAX_CHUNK_LINE = 4096;

const SIZE = 0;
const SIZE_EXT = 1;
const SIZE_LF = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER_START = 6;
const TRAILER = 7;
const TRAILER_LF = 8;
const FINAL_LF = 9;

/** Counts one message body through its chunks. */
export class BodyCounter {
  /** The body is complete. */
  done: boolean;
  /** Why the body is malformed (chunked encoding only), once it is. */
  error: string | undefined;
  private readonly kind: Framing['kind'];
  private remaining: number;
  private state = SIZE;
  private digits = 0;
  private line = 0;

  constructor(framing: Framing) {
    this.kind = framing.kind;
    this.remaining = framing.kind === 'length' ? framing.length : 0;
    this.done = framing.kind === 'none';
  }

  /**
   * Consumes `chunk` from `start`; returns the index just after the body's last byte in it
   * (`chunk.length` when the body goes on past it), or -1 when the chunked encoding is
   * malformed (see {@link error}).
   *
   * @example
   * new BodyCounter({ kind: 'length', length: 2 }).feed(Buffer.from('okGET'), 0); // 2
   */
  feed(chunk: Buffer, start: number): number {
    if (this.done) return start;
    switch (this.kind) {
      case 'length': {
        const take = Math.min(this.remaining, chunk.length - start);
        this.remaining -= take;
        if (this.remaining === 0) this.done = true;
        return start + take;
      }
      case 'chunked':
        return this.chunked(chunk, start);
      default:
        // Runs until the connection closes.
        return chunk.length;
    }
  }

  private fail(reason: string): number {
    this.error = reason;
    return -1;
  }

  private chunked(chunk: Buffer, start: number): number {
    let i = start;
    while (i < chunk.length) {
      const byte = chunk[i]!;
      switch (this.state) {
        case SIZE: {
          const value = hex(byte);
          if (value >= 0) {
            if (++this.digits > 12) return this.fail('chunk size too large');
            this.remaining = this.remaining * 16 + value;
          } else if (this.digits === 0) return this.fail('chunk size');
          else if (byte === 13) this.state = SIZE_LF;
          else if (byte === 59 || byte === 32 || byte === 9) {
            // `;` starts a chunk extension (forwarded as is); whitespace before it (BWS).
            this.state = SIZE_EXT;
            this.line = 0;
          } else return this.fail('chunk size');
          i += 1;
          break;
        }
        case SIZE_EXT:
          if (byte === 13) this.state = SIZE_LF;
          else if (byte === 10 || (byte < 32 && byte !== 9) || byte === 127) return this.fail('chunk extension');
          else if (++this.line > MAX_CHUNK_LINE) return this.fail('chunk extension too long');
          i += 1;
          break;
        case SIZE_LF:
          if (byte !== 10) return this.fail('chunk size line');
          this.state = this.remaining === 0 ? TRAILER_START : DATA;
          this.digits = 0;
          i += 1;
          break;
        case DATA: {
          const take = Math.min(this.remaining, chunk.length - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = DATA_CR;
          break;
        }
        case DATA_CR:
          if (byte !== 13) return this.fail('chunk data');
          this.state = DATA_LF;
          i += 1;
          break;
        case DATA_LF:
          if (byte !== 10) return this.fail('chunk data');
          this.state = SIZE;
          i += 1;
          break;
        case TRAILER_START:
          if (byte === 13) this.state = FINAL_LF;
          else {
            this.state = TRAILER;
            this.line = 0;
            continue;
          }
          i += 1;
          break;
        case TRAILER:
          if (byte === 13) this.state = TRAILER_LF;
          else if (byte === 10 || (byte < 32 && byte !== 9) || byte === 127) return this.fail('trailer');
          else if (++this.line > MAX_CHUNK_LINE) return this.fail('trailer too long');
          i += 1;
          break;
        case TRAILER_LF:
          if (byte !== 10) return this.fail('trailer');
          this.state = TRAILER_START;
          i += 1;
          break;
        case FINAL_LF:
          if (byte !== 10) return this.fail('last chunk');
          this.done = true;
          return i + 1;
      }
    }
    return i;
  }
}

function hex(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  if (byte >= 97 && byte <= 102) return byte - 87;
  if (byte >= 65 && byte <= 70) return byte - 55;
  return -1;
}
