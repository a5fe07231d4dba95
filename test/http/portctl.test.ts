/**
 * port-registry's `portctl` against `portlease serve`, byte for byte: each request as its Go
 * client (net/http, encoding/json) writes it on a fresh connection — request line, headers
 * in Go's order (Host, User-Agent, Content-Length, Content-Type, Accept-Encoding), body as
 * json.Marshal writes it (omitempty fields left out, `<&>` escaped) — for allocate, list,
 * check and release on a `feature/x` instance, the branch-name case that used to fail.
 */
import { createServer, connect, type Server } from 'node:net';
import { expect, it } from 'vitest';
import { getOsFreePort } from '../../src/index.js';
import { type Harness, useServer } from './helpers.js';

let h: Harness;
useServer((started) => {
  h = started;
});

interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: any;
}

/** One request as Go's http.Client writes it; resolves with the one response (keep-alive: the socket stays open, so it is read by Content-Length). */
function goRequest(method: string, target: string, body?: string): Promise<Exchange> {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${h.server.port}`, 'User-Agent: Go-http-client/1.1'];
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Content-Type: application/json');
  lines.push('Accept-Encoding: gzip');
  const bytes = `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
  return new Promise((resolve, reject) => {
    const socket = connect(h.server.port, '127.0.0.1', () => socket.write(bytes));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const [statusLine, ...headerLines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length']);
      if (buffer.length < end + 4 + length) return;
      socket.destroy();
      const text = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: text, json: JSON.parse(text) });
    });
    socket.on('error', reject);
  });
}

it('allocate, list, check and release on a feature/x instance work as with port-registry', async () => {
  // portctl allocate --service postgres (app and instance detected: shop, branch feature/x)
  const allocated = await goRequest('POST', '/v1/allocations', '{"app":"shop","instance":"feature/x","service":"postgres"}');
  expect(allocated.status).toBe(201);
  expect(allocated.headers['content-type']).toBe('application/json');
  expect(allocated.body.endsWith('}\n')).toBe(true);
  expect(allocated.json).toMatchObject({ app: 'shop', instance: 'feature/x', service: 'postgres' });
  const { id, port } = allocated.json as { id: number; port: number };

  // Again: 409 with the exact string and a holder portctl prints.
  const again = await goRequest('POST', '/v1/allocations', '{"app":"shop","instance":"feature/x","service":"postgres"}');
  expect(again.status).toBe(409);
  expect(again.json).toEqual({ error: 'service already allocated', holder: allocated.json });

  // json.Marshal escapes <, & and > (HTML-safe by default).
  const escaped = await goRequest('POST', '/v1/allocations', '{"app":"shop","instance":"feature/x","service":"a\\u003c\\u0026\\u003eb"}');
  expect(escaped.status).toBe(201);
  expect(escaped.json.service).toBe('a<&>b');

  // portctl list: url.Values.Encode sorts keys and escapes / as %2F.
  const listed = await goRequest('GET', '/v1/allocations?app=shop&instance=feature%2Fx');
  expect(listed.status).toBe(200);
  expect(listed.json).toEqual([allocated.json, escaped.json]);
  const byService = await goRequest('GET', '/v1/allocations?app=shop&instance=feature%2Fx&service=a%3C%26%3Eb');
  expect(byService.json).toEqual([escaped.json]);

  // portctl check --port N: a holder whenever available is false.
  const held = await goRequest('GET', `/v1/ports/${port}`);
  expect(held.json).toEqual({ port, available: false, holder: allocated.json });

  // portctl check on a port something outside the registry listens on (a local postgres).
  const outside = await getOsFreePort();
  const listener: Server = createServer();
  await new Promise<void>((resolve) => listener.listen(outside, '127.0.0.1', resolve));
  try {
    const busy = await goRequest('GET', `/v1/ports/${outside}`);
    expect(busy.json).toEqual({ port: outside, available: true });
  } finally {
    await new Promise((resolve) => listener.close(resolve));
  }

  // portctl release --service postgres: filter body, omitempty drops port.
  const released = await goRequest('DELETE', '/v1/allocations', '{"app":"shop","instance":"feature/x","service":"postgres"}');
  expect(released).toMatchObject({ status: 200, json: { deleted: 1 } });
  const freed = await goRequest('GET', `/v1/ports/${port}`);
  expect(freed.json).toEqual({ port, available: true });

  // portctl release --id N: no body, so Go sends neither Content-Length nor Content-Type.
  const byId = await goRequest('DELETE', `/v1/allocations/${escaped.json.id}`);
  expect(byId).toMatchObject({ status: 200, json: { status: 'deleted' } });
  const gone = await goRequest('DELETE', `/v1/allocations/${id}`);
  expect(gone).toMatchObject({ status: 404, json: { error: 'allocation not found' } });

  const empty = await goRequest('GET', '/v1/allocations?app=shop&instance=feature%2Fx');
  expect(empty.body).toBe('[]\n');
});
