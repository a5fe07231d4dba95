/**
 * The proxy's own framing over raw sockets: pipelined requests in order, responses without
 * a body (1xx, HEAD, 204, 304), chunked bodies both ways, `Connection: close` from either
 * side, HTTP/1.0, a malformed request after a good one, and the API and a named URL on one
 * connection.
 */
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type Harness } from './helpers.js';
import { backend, type Backend, type Handler } from './proxy-helpers.js';

let harness: Harness;
const backends: Backend[] = [];
afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
  await harness?.close();
});
async function up(service: string, options: Parameters<typeof backend>[2] = {}, handler?: Handler): Promise<Backend> {
  const b = await backend(harness, service, options, handler);
  backends.push(b);
  return b;
}

interface Reply {
  head: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw client connection that reads whole responses (by their own framing) one at a time. */
class Raw {
  readonly socket: Socket;
  closed: Promise<void>;
  private data = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake?.();
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  /** Everything received and not read yet, as text. */
  text(): string {
    return this.data.toString('latin1');
  }

  send(text: string): void {
    this.socket.write(text);
  }

  private async more(): Promise<void> {
    if (this.ended) throw new Error(`connection closed; had ${JSON.stringify(this.data.toString('latin1'))}`);
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
  }

  /** The next response; `bodyless` for a HEAD request. */
  async read(bodyless = false): Promise<Reply> {
    let end = this.data.indexOf('\r\n\r\n');
    while (end === -1) {
      await this.more();
      end = this.data.indexOf('\r\n\r\n');
    }
    const head = this.data.subarray(0, end).toString('latin1');
    this.data = this.data.subarray(end + 4);
    const [line, ...fields] = head.split('\r\n');
    const status = Number(line!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const field of fields) headers[field.slice(0, field.indexOf(':')).toLowerCase()] = field.slice(field.indexOf(':') + 1).trim();
    let body = '';
    if (bodyless || status < 200 || status === 204 || status === 304) body = '';
    else if (headers['transfer-encoding'] === 'chunked') {
      let at = this.data.indexOf('0\r\n\r\n');
      while (at === -1) {
        await this.more();
        at = this.data.indexOf('0\r\n\r\n');
      }
      body = this.data.subarray(0, at + 5).toString('latin1');
      this.data = this.data.subarray(at + 5);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      while (this.data.length < length) await this.more();
      body = this.data.subarray(0, length).toString('latin1');
      this.data = this.data.subarray(length);
    }
    return { head, status, headers, body };
  }
}

describe('one client connection', () => {
  it('answers pipelined requests in order, each from its own backend', async () => {
    harness = await startServer();
    // The first request is the slowest to answer: order must still be kept.
    await up('web', {}, (req, res) => setTimeout(() => res.end(`web ${req.url}`), req.url === '/1' ? 200 : 0));
    await up('api', {}, (req, res) => res.end(`api ${req.url}`));
    const port = harness.server.port;
    const client = new Raw(port);
    const get = (service: string, path: string) => `GET ${path} HTTP/1.1\r\nHost: ${service}.shop.localhost:${port}\r\n\r\n`;
    client.send(get('web', '/1') + get('api', '/2') + get('web', '/3') + get('api', '/4'));
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await client.read()).body);
    expect(bodies).toEqual(['web /1', 'api /2', 'web /3', 'api /4']);
    client.socket.destroy();
  });

  it('frames responses without a body (103, HEAD, 204, 304) and chunked ones, then goes on', async () => {
    harness = await startServer();
    await up('web', {}, (req, res) => {
      if (req.url === '/early') {
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        return res.end('after hints');
      }
      if (req.url === '/head') return res.writeHead(200, { 'content-length': '5' }).end();
      if (req.url === '/204') return res.writeHead(204).end();
      if (req.url === '/304') return res.writeHead(304, { etag: '"x"' }).end();
      if (req.url === '/bytes') return res.end(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
      if (req.url === '/chunked') {
        res.write('a');
        setImmediate(() => res.end('b'));
        return;
      }
      res.end(`plain ${req.url}`);
    });
    const port = harness.server.port;
    const client = new Raw(port);
    const ask = (method: string, path: string) => client.send(`${method} ${path} HTTP/1.1\r\nHost: web.shop.localhost:${port}\r\n\r\n`);
    ask('GET', '/early');
    const hints = await client.read();
    expect(hints.status).toBe(103);
    expect(hints.headers['link']).toContain('style.css');
    expect((await client.read()).body).toBe('after hints');
    ask('HEAD', '/head');
    const head = await client.read(true);
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '5', '']);
    ask('GET', '/204');
    expect((await client.read()).status).toBe(204);
    ask('GET', '/304');
    expect((await client.read()).status).toBe(304);
    ask('GET', '/chunked');
    const chunked = await client.read();
    expect(chunked.headers['transfer-encoding']).toBe('chunked');
    expect(chunked.body).toBe('1\r\na\r\n1\r\nb\r\n0\r\n\r\n');
    // A small body goes out joined to the head: every byte value intact.
    ask('GET', '/bytes');
    expect(Buffer.from((await client.read()).body, 'latin1')).toEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    ask('GET', '/last');
    expect((await client.read()).body).toBe('plain /last');
    client.socket.destroy();
  });

  it('reads a final head that spans two backend reads, the first of which began with an interim response', async () => {
    harness = await startServer();
    const lease = await harness.registry.reserve('raw', { app: 'shop', instance: 'default', durable: true });
    let rest: (() => void) | undefined;
    const sockets: Socket[] = [];
    const server = createNetServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => {
        // The 103 and the start of the final head in one write ...
        socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Le');
        // ... and the rest, longer than all that, in a later read: the proxy reads every
        // backend read into the same buffer, so the start must have been kept as a copy.
        rest = () => socket.end(`ngth: 2\r\nX-Pad: ${'p'.repeat(500)}\r\nConnection: close\r\n\r\nok`);
      });
    });
    await new Promise<void>((resolve) => server.listen(lease.port, '127.0.0.1', resolve));
    try {
      const client = new Raw(harness.server.port);
      client.send(`GET / HTTP/1.1\r\nHost: raw.shop.localhost:${harness.server.port}\r\n\r\n`);
      expect((await client.read()).status).toBe(103);
      rest!();
      const final = await client.read();
      expect([final.status, final.headers['x-pad']?.length, final.body]).toEqual([200, 500, 'ok']);
      client.socket.destroy();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('forwards a chunked request body with its trailer, and the next request after it', async () => {
    harness = await startServer();
    await up('web', {}, (req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => res.end(`${req.method} ${body} ${req.trailers['x-sum'] ?? '-'}`));
    });
    const port = harness.server.port;
    const client = new Raw(port);
    const host = `Host: web.shop.localhost:${port}`;
    client.send(`POST / HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`);
    client.send(`2;ext=1\r\nde\r\n0\r\nX-Sum: 5\r\n\r\nGET /next HTTP/1.1\r\n${host}\r\n\r\n`);
    expect((await client.read()).body).toBe('POST abcde 5');
    expect((await client.read()).body).toBe('GET  -');
    client.socket.destroy();
  });

  it('honours Connection: close from the client and from the backend', async () => {
    harness = await startServer();
    const web = await up('web', {}, (req, res) => {
      if (req.url === '/bye') res.setHeader('connection', 'close');
      res.end(`web ${req.url}`);
    });
    const port = harness.server.port;
    const host = `Host: web.shop.localhost:${port}`;
    // The backend closes its connection after /bye; the client's stays open.
    const client = new Raw(port);
    client.send(`GET /bye HTTP/1.1\r\n${host}\r\n\r\n`);
    const bye = await client.read();
    expect(bye.headers['connection']).toBe('keep-alive');
    client.send(`GET /again HTTP/1.1\r\n${host}\r\n\r\n`);
    expect((await client.read()).body).toBe('web /again');
    expect(web.connections.length).toBe(2);
    // The client asks to close: answered with Connection: close, then closed; the backend connection stays pooled.
    client.send(`GET /last HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`);
    const last = await client.read();
    expect([last.body, last.headers['connection']]).toEqual(['web /last', 'close']);
    await client.closed;
    const other = new Raw(port);
    // HTTP/1.0: one exchange per connection (Node answers it with a body delimited by the close).
    other.send(`GET /reused HTTP/1.0\r\n${host}\r\n\r\n`);
    await other.closed;
    expect(other.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: close\r\n\r\nweb \/reused$/);
    expect(web.connections.filter((socket) => !socket.destroyed).length).toBeLessThanOrEqual(1);
  });

  it('refuses a malformed request that follows a good one, and forwards none of it', async () => {
    harness = await startServer();
    const web = await up('web');
    const port = harness.server.port;
    const host = `Host: web.shop.localhost:${port}`;
    const client = new Raw(port);
    client.send(`GET /ok HTTP/1.1\r\n${host}\r\n\r\n`);
    expect((await client.read()).body).toBe('web GET /ok');
    client.send(`POST /smuggle HTTP/1.1\r\n${host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\n${host}\r\n\r\n`);
    expect((await client.read()).status).toBe(400);
    await client.closed;
    expect(web.requests.map((req) => req.url)).toEqual(['/ok']);
  });

  it('hands a connection to the API after a proxied request, and answers 421 to a named URL after the API', async () => {
    harness = await startServer();
    await up('web');
    const port = harness.server.port;
    const first = new Raw(port);
    first.send(`GET /x HTTP/1.1\r\nHost: web.shop.localhost:${port}\r\n\r\n`);
    expect((await first.read()).body).toBe('web GET /x');
    first.send(`GET /v1/allocations HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    const api = await first.read();
    expect(api.headers['content-type']).toBe('application/json');
    expect(JSON.parse(api.body)[0]).toMatchObject({ service: 'web', app: 'shop' });
    first.send(`GET /y HTTP/1.1\r\nHost: web.shop.localhost:${port}\r\n\r\n`);
    const misdirected = await first.read();
    expect(misdirected.status).toBe(421);
    await first.closed;
  });
});
