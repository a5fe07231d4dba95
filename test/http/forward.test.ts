import { describe, expect, it } from 'vitest';
import { isLoop, requestHead, requestHeaders, responseHead, responseHeaders, smugglingRisk } from '../../src/http/forward.js';

const pairs = (flat: string[]) => Array.from({ length: flat.length / 2 }, (_, i) => `${flat[2 * i]}: ${flat[2 * i + 1]}`);

describe('forwarded headers', () => {
  it('drops hop-by-hop headers and those Connection names, keeps Host and order', () => {
    const out = requestHeaders(
      [
        'Host',
        'web.shop.localhost:1',
        'Connection',
        'keep-alive, X-Hop',
        'X-Hop',
        '1',
        'Keep-Alive',
        'timeout=5',
        'TE',
        'trailers',
        'Transfer-Encoding',
        'chunked',
        'Upgrade',
        'h2c',
        'Proxy-Authorization',
        'x',
        'Accept',
        '*/*',
      ],
      { clientAddress: '::ffff:127.0.0.1', leaseId: 4, upgrade: false },
    );
    expect(pairs(out)).toEqual([
      'Host: web.shop.localhost:1',
      'Accept: */*',
      'X-Forwarded-For: 127.0.0.1',
      'X-Forwarded-Host: web.shop.localhost:1',
      'X-Forwarded-Proto: http',
      'X-Portlease-Route: 4',
    ]);
  });

  it("appends to X-Forwarded-For and the route, keeps an earlier proxy's host and proto", () => {
    const out = requestHeaders(
      ['Host', 'a.localhost:1', 'X-Forwarded-For', '10.0.0.1', 'X-Forwarded-Host', 'app.example', 'X-Forwarded-Proto', 'https', 'X-Portlease-Route', '2'],
      {
        clientAddress: '127.0.0.1',
        leaseId: 3,
        upgrade: false,
      },
    );
    expect(pairs(out)).toContain('X-Forwarded-For: 10.0.0.1, 127.0.0.1');
    expect(pairs(out)).toContain('X-Forwarded-Host: app.example');
    expect(pairs(out)).toContain('X-Forwarded-Proto: https');
    expect(pairs(out)).toContain('X-Portlease-Route: 2, 3');
  });

  it('keeps the upgrade of a WebSocket handshake', () => {
    const out = requestHeaders(['Host', 'a.localhost:1', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], {
      clientAddress: '127.0.0.1',
      leaseId: 1,
      upgrade: true,
    });
    expect(pairs(out)).toEqual(expect.arrayContaining(['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: k']));
  });

  it('filters response headers the same way', () => {
    expect(
      pairs(
        responseHeaders([
          'Content-Type',
          'text/html',
          'Connection',
          'close, X-A',
          'X-A',
          '1',
          'Transfer-Encoding',
          'chunked',
          'Set-Cookie',
          'a=1',
          'Set-Cookie',
          'b=2',
        ]),
      ),
    ).toEqual(['Content-Type: text/html', 'Set-Cookie: a=1', 'Set-Cookie: b=2']);
  });

  it('tells loops: the same lease again, or too many hops', () => {
    expect(isLoop(undefined, 1)).toBe(false);
    expect(isLoop(['2, 3'], 1)).toBe(false);
    expect(isLoop(['2, 3'], 3)).toBe(true);
    expect(isLoop(['1', '2'], 2)).toBe(true);
    expect(isLoop(['1,2,3,4,5,6,7,8'], 9)).toBe(true);
  });

  it('refuses transfer codings other than chunked', () => {
    expect(smugglingRisk({})).toBeUndefined();
    expect(smugglingRisk({ 'transfer-encoding': ['chunked'] })).toBeUndefined();
    expect(smugglingRisk({ 'transfer-encoding': ['gzip, chunked'] })).toBeDefined();
    expect(smugglingRisk({ 'transfer-encoding': ['chunked', 'chunked'] })).toBeDefined();
  });

  it('drops Expect once the proxy answered 100-continue itself', () => {
    const out = requestHeaders(['Host', 'a.localhost:1', 'Expect', '100-continue'], {
      clientAddress: '127.0.0.1',
      leaseId: 1,
      upgrade: false,
      continued: true,
    });
    expect(pairs(out).some((line) => line.startsWith('Expect'))).toBe(false);
  });

  it('writes the request head for the backend, chunked again when the body is', () => {
    expect(requestHead('POST', '/x', 1, ['Host', 'a'], true)).toBe('POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    expect(requestHead('GET', '/', 0, ['Host', 'a'], false)).toBe('GET / HTTP/1.0\r\nHost: a\r\n\r\n');
  });

  it("writes the client's response head: end-to-end fields, Transfer-Encoding kept, the proxy's own Connection", () => {
    const raw = [
      'Content-Type',
      'text/plain',
      'Transfer-Encoding',
      'chunked',
      'Content-Length',
      '9',
      'Connection',
      'keep-alive, X-A',
      'X-A',
      '1',
      'Keep-Alive',
      'timeout=9',
    ];
    expect(responseHead(200, 'OK', raw, 'keep-alive')).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n',
    );
    expect(responseHead(200, 'OK', ['Content-Length', '2'], 'close')).toBe('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n');
    expect(responseHead(103, 'Early Hints', ['Link', '</a.css>'], 'interim')).toBe('HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n');
  });
});
