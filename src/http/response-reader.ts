/**
 * Reading a backend's response head, which may span reads. The backend connection reads
 * into one buffer that every read reuses (`backend.ts`), so the part of a head that has to
 * wait for the next read is copied out first — whatever it is a view of: the read itself,
 * or what an interim response (100 Continue, 103 Early Hints) left of it.
 */
import { BARE_LF, INCOMPLETE, parseResponseHead, scanHead, type ResponseHead } from './head.js';

/** The largest response head accepted from a backend (node:http's client limit). @default 16384 */
export const MAX_RESPONSE_HEAD = 16 * 1024;

/** What one {@link ResponseHeadReader.read} found. */
export type ResponseRead =
  /** The head is incomplete: its start is kept for the next read. */
  | { kind: 'more' }
  /** Not a response: the reason, for the 502 page. */
  | { kind: 'malformed'; reason: string }
  /** A head, in `buffer` up to `end`; what follows it (body, or the next head after an interim one) is the rest. */
  | { kind: 'head'; head: ResponseHead; buffer: Buffer; end: number };

const MORE: ResponseRead = { kind: 'more' };

/** The response heads of one exchange, read off the backend's bytes. */
export class ResponseHeadReader {
  private pending: Buffer | undefined;

  /** Part of a head has arrived and waits for the rest. */
  get started(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Reads the next head from `bytes`, after what earlier reads left. `bytes` may be a view
   * of the reused read buffer; a head that is incomplete is kept as a copy.
   */
  read(bytes: Buffer, method: string): ResponseRead {
    const buffer = this.pending ? Buffer.concat([this.pending, bytes]) : bytes;
    this.pending = undefined;
    const end = scanHead(buffer, 0);
    if (end === INCOMPLETE) {
      if (buffer.length > MAX_RESPONSE_HEAD) return { kind: 'malformed', reason: 'its response head is too large' };
      this.pending = buffer === bytes ? Buffer.from(bytes) : buffer;
      return MORE;
    }
    if (end === BARE_LF) return { kind: 'malformed', reason: 'it sent a malformed response' };
    const parsed = parseResponseHead(buffer.toString('latin1', 0, end), method);
    if ('malformed' in parsed) return { kind: 'malformed', reason: `it sent a malformed response (${parsed.malformed})` };
    return { kind: 'head', head: parsed.head, buffer, end };
  }
}
