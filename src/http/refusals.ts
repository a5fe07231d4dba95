/**
 * Answers for what Node's HTTP server handles before (or instead of) the request handler:
 * malformed requests, oversized headers, timeouts, unknown methods, `CONNECT`, and
 * connections refused at the cap. Each gets a JSON reply written straight to the socket,
 * then the connection is closed, so that no request is ever dropped without an answer.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** Methods the request handler sees; anything else (WebDAV, made-up tokens) is answered 405 without routing. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']);

/** The `Allow` header of a 405 for a method no route knows. */
export const ALLOWED_METHODS = 'GET, POST, DELETE';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

/**
 * A complete HTTP/1.1 response with a JSON `{"error": message}` body and
 * `Connection: close`, as raw text for a socket the HTTP server no longer answers on.
 *
 * @example
 * rawReply(405, 'method not allowed', { Allow: 'GET' }); // 'HTTP/1.1 405 Method Not Allowed\r\n…'
 */
export function rawReply(status: number, message: string, headers: Record<string, string> = {}): string {
  const body = `${JSON.stringify({ error: message })}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Writes `reply` and closes the socket once it is sent. */
function answer(socket: Socket, reply: string): void {
  socket.end(reply);
  socket.destroySoon();
}

/**
 * The server's `clientError` listener: malformed requests, unknown methods, oversized
 * headers and timeouts, answered in JSON before closing.
 *
 * @example
 * server.on('clientError', clientError);
 */
export function clientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A response already on the wire (pipelining) must not be interleaved with another.
  const busy = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy();
    return;
  }
  const [status, message, headers]: [number, string, Record<string, string>] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request headers too large', {}]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request timeout', {}]
        : // llhttp knows the registered methods only: a made-up token in an otherwise
          // well-formed request line fails to parse. Junk that is no request line stays 400.
          error.code === 'HPE_INVALID_METHOD' && looksLikeRequestLine(error)
          ? [405, 'method not allowed', { Allow: ALLOWED_METHODS }]
          : [400, 'bad request', {}];
  answer(socket, rawReply(status, message, headers));
}

const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/\d\.\d\r?\n/;

/** True when the bytes that failed to parse (Node passes them as `rawPacket`) start with a request line. */
function looksLikeRequestLine(error: NodeJS.ErrnoException & { rawPacket?: unknown }): boolean {
  return Buffer.isBuffer(error.rawPacket) && REQUEST_LINE.test(error.rawPacket.subarray(0, 1024).toString('latin1'));
}

/**
 * The server's `connect` listener. Without one, Node closes the socket of a `CONNECT`
 * request without a word; this server is no proxy, so it says so.
 *
 * @example
 * server.on('connect', refuseConnect);
 */
export function refuseConnect(_req: IncomingMessage, socket: Socket): void {
  socket.on('error', () => undefined);
  answer(socket, rawReply(405, 'method not allowed', { Allow: ALLOWED_METHODS }));
}

/**
 * Refuses a new connection when every open one is busy with a request: `503` and close,
 * instead of the bare reset of `server.maxConnections`.
 *
 * @example
 * if (!guard.admit(socket)) refuseBusy(socket);
 */
export function refuseBusy(socket: Socket): void {
  socket.on('error', () => undefined);
  answer(socket, rawReply(503, 'too many connections; try again', { 'Retry-After': '1' }));
}
