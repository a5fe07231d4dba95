/**
 * Reading a request body with a cap. Node's HTTP server has no body limit of its own, and
 * a chunked body has no length to check up front, so the bytes are counted as they arrive.
 */
import type { IncomingMessage } from 'node:http';
import { BODY_LIMIT } from './guard.js';

/** The body was larger than the limit (declared or streamed). */
export const TOO_LARGE = Symbol('too large');
/** The client went away before the body was complete. */
export const ABORTED = Symbol('aborted');

/**
 * True when the request declares a `Content-Length` over the limit: refused unread.
 *
 * @example
 * if (declaresTooLarge(req)) reply413();
 */
export function declaresTooLarge(req: IncomingMessage, limit = BODY_LIMIT): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > limit;
}

/**
 * Reads the body as UTF-8 text, up to `limit` bytes.
 *
 * @example
 * const body = await readBody(req, BODY_LIMIT);
 * if (body === TOO_LARGE) reply413();
 */
export function readBody(req: IncomingMessage, limit = BODY_LIMIT): Promise<string | typeof TOO_LARGE | typeof ABORTED> {
  if (declaresTooLarge(req, limit)) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: string | typeof TOO_LARGE | typeof ABORTED) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return; // draining what follows a 413 until the socket closes
      size += chunk.length;
      if (size > limit) return settle(TOO_LARGE);
      chunks.push(chunk);
    });
    req.on('end', () => settle(Buffer.concat(chunks).toString('utf8')));
    req.on('close', () => settle(ABORTED));
    req.on('error', () => settle(ABORTED));
  });
}

/** The body did not arrive in time. */
export const TIMED_OUT = Symbol('timed out');

/**
 * `promise`, or {@link TIMED_OUT} when it takes longer than `ms`: an API body has the
 * server's `timeout` to arrive.
 *
 * @example
 * const body = await withTimeout(readBody(req), 10_000);
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}
