/** Request and response heads as the proxy reads them: framing, keep-alive, and what is refused. */
import { describe, expect, it } from 'vitest';
import { BARE_LF, INCOMPLETE, parseRequestHead, parseResponseHead, scanHead } from '../../src/http/head.js';

const request = (lines: string[]) => parseRequestHead(`${lines.join('\r\n')}\r\n\r\n`);
const head = (lines: string[]) => {
  const parsed = request(lines);
  if ('malformed' in parsed) throw new Error(`malformed: ${parsed.malformed}`);
  return parsed.head;
};

describe('scanHead', () => {
  it('finds the end of a head, waits for more, and stops at a bare LF', () => {
    const text = 'GET / HTTP/1.1\r\nHost: a\r\n\r\nnext';
    expect(scanHead(Buffer.from(text), 0)).toBe(text.indexOf('next'));
    expect(scanHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n'), 0)).toBe(INCOMPLETE);
    expect(scanHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r'), 0)).toBe(INCOMPLETE);
    expect(scanHead(Buffer.from('GET / HTTP/1.1\nHost: a\n\n'), 0)).toBe(BARE_LF);
    expect(scanHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\n'), 0)).toBe(BARE_LF);
  });
});

describe('parseRequestHead', () => {
  it('reads method, target, version, hosts and framing', () => {
    const h = head(['POST /a?b=1 HTTP/1.1', 'Host: web.shop.localhost:1', 'Content-Length: 5', 'X-Portlease-Route: 3']);
    expect(h).toMatchObject({ method: 'POST', target: '/a?b=1', minor: 1, host: ['web.shop.localhost:1'], route: ['3'], body: { kind: 'length', length: 5 } });
    expect(h.keepAlive).toBe(true);
    expect(head(['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked']).body).toEqual({ kind: 'chunked' });
    expect(head(['GET / HTTP/1.1', 'Host: a', 'Content-Length: 0']).body).toEqual({ kind: 'none' });
  });

  it('tells keep-alive, upgrades and Expect', () => {
    expect(head(['GET / HTTP/1.1', 'Host: a', 'Connection: close']).keepAlive).toBe(false);
    expect(head(['GET / HTTP/1.0', 'Host: a', 'Connection: keep-alive']).keepAlive).toBe(false);
    expect(head(['GET / HTTP/1.1', 'Host: a', 'Connection: keep-alive, Upgrade', 'Upgrade: websocket']).upgrade).toBe(true);
    expect(head(['GET / HTTP/1.1', 'Host: a', 'Upgrade: websocket']).upgrade).toBe(false);
    expect(head(['PUT / HTTP/1.1', 'Host: a', 'Expect: 100-continue', 'Content-Length: 1']).expectContinue).toBe(true);
    expect(head(['GET / HTTP/1.1', 'Host: a', 'Expect: 100-continue']).expectContinue).toBe(false);
  });

  it('marks transfer codings other than chunked as a risk', () => {
    expect(head(['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: gzip, chunked']).risk).toBe('unsupported Transfer-Encoding');
    expect(head(['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: identity']).risk).toBeDefined();
    expect(head(['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked']).risk).toBeDefined();
    expect(head(['POST / HTTP/1.0', 'Host: a', 'Transfer-Encoding: chunked']).risk).toBeDefined();
  });

  it('refuses what a backend could read differently', () => {
    const cases = [
      ['POST / HTTP/1.1', 'Host: a', 'Content-Length: 5', 'Transfer-Encoding: chunked'],
      ['POST / HTTP/1.1', 'Host: a', 'Content-Length: 1', 'Content-Length: 2'],
      ['POST / HTTP/1.1', 'Host: a', 'Content-Length: 1', 'Content-Length: 1'],
      ['POST / HTTP/1.1', 'Host: a', 'Content-Length: 1, 1'],
      ['POST / HTTP/1.1', 'Host: a', 'Content-Length: -1'],
      ['POST / HTTP/1.1', 'Host: a', 'Content-Length: 0x10'],
      ['GET / HTTP/1.1', 'Host: a', 'X-A: b', ' folded'],
      ['GET / HTTP/1.1', 'Host : a'],
      ['GET / HTTP/1.1', 'Host: a\u0000b'],
      ['GET / HTTP/1.1', 'Host: a\rb'],
      ['GET  / HTTP/1.1', 'Host: a'],
      ['GET / HTTP/2.0', 'Host: a'],
      ['CONNECT a:443 HTTP/1.1', 'Host: a'],
      ['FROB / HTTP/1.1', 'Host: a'],
      ['GET /a b HTTP/1.1', 'Host: a'],
    ];
    for (const lines of cases) expect(request(lines), JSON.stringify(lines)).toHaveProperty('malformed');
  });
});

describe('parseResponseHead', () => {
  const response = (lines: string[], method = 'GET') => {
    const parsed = parseResponseHead(`${lines.join('\r\n')}\r\n\r\n`, method);
    if ('malformed' in parsed) throw new Error(`malformed: ${parsed.malformed}`);
    return parsed.head;
  };

  it('frames each kind of response', () => {
    expect(response(['HTTP/1.1 200 OK', 'Content-Length: 2']).body).toEqual({ kind: 'length', length: 2 });
    expect(response(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Content-Length: 9']).body).toEqual({ kind: 'chunked' });
    expect(response(['HTTP/1.1 200 OK', 'Transfer-Encoding: gzip']).body).toEqual({ kind: 'close' });
    expect(response(['HTTP/1.1 200 OK']).body).toEqual({ kind: 'close' });
    expect(response(['HTTP/1.1 200 OK', 'Content-Length: 2'], 'HEAD').body).toEqual({ kind: 'none' });
    for (const status of ['100 Continue', '103 Early Hints', '204 No Content', '304 Not Modified']) {
      expect(response([`HTTP/1.1 ${status}`, 'Content-Length: 7']).body).toEqual({ kind: 'none' });
    }
    expect(response(['HTTP/1.1 200']).status).toBe(200);
  });

  it('tells whether the backend keeps its connection', () => {
    expect(response(['HTTP/1.1 200 OK', 'Content-Length: 2']).keepAlive).toBe(true);
    expect(response(['HTTP/1.1 200 OK', 'Content-Length: 2', 'Connection: close']).keepAlive).toBe(false);
    expect(response(['HTTP/1.0 200 OK', 'Content-Length: 2']).keepAlive).toBe(false);
    expect(response(['HTTP/1.0 200 OK', 'Content-Length: 2', 'Connection: keep-alive']).keepAlive).toBe(true);
    expect(response(['HTTP/1.1 200 OK']).keepAlive).toBe(false);
  });

  it('refuses conflicting lengths and garbage', () => {
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'GET')).toHaveProperty('malformed');
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'GET')).toHaveProperty('malformed');
    expect(parseResponseHead('ICY 200 OK\r\n\r\n', 'GET')).toHaveProperty('malformed');
    // Repeated but equal lengths are one length.
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n', 'GET')).toHaveProperty('head.body', {
      kind: 'length',
      length: 2,
    });
  });
});
