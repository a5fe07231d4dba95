/**
 * HTTP/1.1 message heads as the proxy reads them (pure): where a head ends, and what a
 * request or response head says about routing and framing. Strict where leniency lets a
 * request mean one thing here and another at the backend (request smuggling): a bare LF,
 * obs-fold, a control character, conflicting or repeated `Content-Length`, and
 * `Content-Length` together with `Transfer-Encoding` make a request `malformed`, and the
 * server's own parser (node:http) then answers it as it answers any malformed request.
 * A well-formed request the proxy still will not forward (a transfer coding other than
 * `chunked`) carries a `risk` and is answered 400.
 */

/** How a message body is delimited. */
export type Framing =
  /** No body. */
  | { kind: 'none' }
  /** `Content-Length` bytes. */
  | { kind: 'length'; length: number }
  /** Chunked transfer coding, ended by the last chunk and trailers. */
  | { kind: 'chunked' }
  /** Until the sender closes (responses only). */
  | { kind: 'close' };

/** A request head the proxy may forward. */
export interface RequestHead {
  method: string;
  /** The request target as sent (`/a?b`, or absolute form). */
  target: string;
  /** `1` for HTTP/1.1, `0` for HTTP/1.0. */
  minor: 0 | 1;
  /** Header fields as a flat `[name, value, …]` list, in the client's order and spelling. */
  headers: string[];
  /** Every `Host` value (one, when well-formed). */
  host: string[];
  /** `X-Portlease-Route` values, for loop detection. */
  route: string[] | undefined;
  body: Framing;
  /** The client keeps the connection open after this exchange. */
  keepAlive: boolean;
  /** `Connection: upgrade` with an `Upgrade` field (a WebSocket handshake). */
  upgrade: boolean;
  /** `Expect: 100-continue` on a request with a body. */
  expectContinue: boolean;
  /** Why the proxy refuses to forward this well-formed request, if it does. */
  risk?: string;
}

/** A response head from a backend. */
export interface ResponseHead {
  status: number;
  reason: string;
  minor: 0 | 1;
  headers: string[];
  body: Framing;
  /** The backend keeps its connection open after this response. */
  keepAlive: boolean;
}

/** The largest head read, as node:http's `maxHeaderSize`. @default 16384 */
export const MAX_HEAD = 16 * 1024;

/** {@link scanHead}: the head is not complete yet. */
export const INCOMPLETE = -1;
/** {@link scanHead}: a line ends in a bare LF. */
export const BARE_LF = -2;

/**
 * Where the head that starts at `from` ends (the index after its empty line), or
 * {@link INCOMPLETE}, or {@link BARE_LF} as soon as a line ends without CR.
 *
 * @example
 * scanHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\nrest'), 0); // 27
 */
export function scanHead(buffer: Buffer, from: number): number {
  let lf = buffer.indexOf(10, from);
  while (lf !== -1) {
    if (lf === from || buffer[lf - 1] !== 13) return BARE_LF;
    if (buffer[lf + 1] === 13) {
      if (lf + 2 >= buffer.length) return INCOMPLETE;
      return buffer[lf + 2] === 10 ? lf + 3 : BARE_LF;
    }
    lf = buffer.indexOf(10, lf + 1);
  }
  return INCOMPLETE;
}

/** Methods the proxy forwards: those node:http's parser knows, less CONNECT (no tunnels to arbitrary hosts). */
const METHODS: ReadonlySet<string> = new Set(
  (
    'GET HEAD POST PUT DELETE OPTIONS PATCH TRACE PROPFIND PROPPATCH MKCOL COPY MOVE LOCK UNLOCK SEARCH REPORT ' +
    'MKACTIVITY CHECKOUT MERGE M-SEARCH NOTIFY SUBSCRIBE UNSUBSCRIBE PURGE LINK UNLINK BIND REBIND UNBIND ACL ' +
    'MKCALENDAR QUERY SOURCE'
  ).split(' '),
);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Control characters other than HTAB (obs-text, 0x80-0xff, is allowed as node:http allows it).
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;
const DIGITS = /^\d{1,15}$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?$/;

interface Fields {
  headers: string[];
  host: string[];
  route: string[] | undefined;
  length: string | undefined;
  lengths: number;
  te: string[];
  connection: Set<string>;
  upgrade: boolean;
  expect: boolean;
}

/** Parses the header lines of `text` after its start line; `undefined` when one is malformed. */
function fields(text: string, from: number): Fields | undefined {
  const out: Fields = { headers: [], host: [], route: undefined, length: undefined, lengths: 0, te: [], connection: new Set(), upgrade: false, expect: false };
  let at = from;
  while (at < text.length) {
    let end = text.indexOf('\r\n', at);
    if (end === -1) end = text.length;
    const line = text.slice(at, end);
    at = end + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (CONTROL.test(value) || value.includes('\r')) return undefined;
    out.headers.push(name, value);
    switch (name.toLowerCase()) {
      case 'host':
        out.host.push(value);
        break;
      case 'content-length':
        out.lengths += 1;
        out.length = value;
        break;
      case 'transfer-encoding':
        out.te.push(value);
        break;
      case 'connection':
        for (const token of value.split(',')) out.connection.add(token.trim().toLowerCase());
        break;
      case 'upgrade':
        out.upgrade = true;
        break;
      case 'expect':
        out.expect = value.toLowerCase() === '100-continue';
        break;
      case 'x-portlease-route':
        out.route = out.route === undefined ? [value] : [...out.route, value];
        break;
    }
  }
  return out;
}

/**
 * Parses a request head (latin1 text up to and including its empty line).
 *
 * @example
 * parseRequestHead('GET / HTTP/1.1\r\nHost: web.shop.localhost:51234\r\n\r\n'); // { head: { method: 'GET', … } }
 */
export function parseRequestHead(text: string): { head: RequestHead } | { malformed: string } {
  const lineEnd = text.indexOf('\r\n');
  const line = lineEnd === -1 ? text : text.slice(0, lineEnd);
  const first = line.indexOf(' ');
  const last = line.lastIndexOf(' ');
  if (first <= 0 || last === first) return { malformed: 'request line' };
  const method = line.slice(0, first);
  const target = line.slice(first + 1, last);
  const version = line.slice(last + 1);
  if (!METHODS.has(method)) return { malformed: 'method' };
  if (!TARGET.test(target)) return { malformed: 'request target' };
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') return { malformed: 'version' };
  const minor = version === 'HTTP/1.1' ? 1 : 0;
  const f = fields(text, lineEnd + 2);
  if (!f) return { malformed: 'header field' };
  if (f.lengths > 1 || (f.length !== undefined && !DIGITS.test(f.length))) return { malformed: 'Content-Length' };
  if (f.te.length > 0 && f.length !== undefined) return { malformed: 'Content-Length with Transfer-Encoding' };
  let body: Framing = { kind: 'none' };
  let risk: string | undefined;
  if (f.te.length > 0) {
    if (minor === 1 && f.te.length === 1 && f.te[0]!.toLowerCase() === 'chunked') body = { kind: 'chunked' };
    else risk = 'unsupported Transfer-Encoding';
  } else if (f.length !== undefined && f.length !== '0') body = { kind: 'length', length: Number(f.length) };
  const head: RequestHead = {
    method,
    target,
    minor,
    headers: f.headers,
    host: f.host,
    route: f.route,
    body,
    // HTTP/1.0 keep-alive is not offered: such a client gets one exchange per connection.
    keepAlive: minor === 1 && !f.connection.has('close'),
    upgrade: f.upgrade && f.connection.has('upgrade'),
    expectContinue: f.expect && minor === 1 && body.kind !== 'none',
  };
  if (risk !== undefined) head.risk = risk;
  return { head };
}

/**
 * Parses a backend's response head; `method` is the request's (a `HEAD` response has no body).
 *
 * @example
 * parseResponseHead('HTTP/1.1 204 No Content\r\n\r\n', 'GET'); // { head: { status: 204, body: { kind: 'none' }, … } }
 */
export function parseResponseHead(text: string, method: string): { head: ResponseHead } | { malformed: string } {
  const lineEnd = text.indexOf('\r\n');
  const match = STATUS_LINE.exec(lineEnd === -1 ? text : text.slice(0, lineEnd));
  if (!match) return { malformed: 'status line' };
  const minor = match[1] === '1' ? 1 : 0;
  const status = Number(match[2]);
  const f = fields(text, lineEnd + 2);
  if (!f) return { malformed: 'header field' };
  let body: Framing;
  if ((status >= 100 && status < 200) || status === 204 || status === 304 || method === 'HEAD') body = { kind: 'none' };
  else if (f.te.length > 0) {
    // RFC 9112 §6.3: chunked as the final coding frames the body; any other coding runs to the close.
    const codings = f.te.join(',').split(',');
    body = codings[codings.length - 1]!.trim().toLowerCase() === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  } else if (f.length !== undefined) {
    if (!DIGITS.test(f.length) || (f.lengths > 1 && !sameLengths(f.headers, f.length))) return { malformed: 'Content-Length' };
    body = f.length === '0' ? { kind: 'none' } : { kind: 'length', length: Number(f.length) };
  } else body = { kind: 'close' };
  const keepAlive = body.kind !== 'close' && (minor === 1 ? !f.connection.has('close') : f.connection.has('keep-alive'));
  return { head: { status, reason: match[3] ?? '', minor, headers: f.headers, body, keepAlive } };
}

/** True when every `Content-Length` field of `headers` says `length` (repeated but equal is one length). */
function sameLengths(headers: readonly string[], length: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === 'content-length' && headers[i + 1] !== length) return false;
  return true;
}
