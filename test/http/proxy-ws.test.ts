/** WebSockets through the proxy, with the `ws` package on both ends and a raw client for early frames. */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { eventually, startServer, type Harness } from './helpers.js';

let harness: Harness | undefined;
const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const wss of servers.splice(0)) {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
  await harness?.close();
});

/** A WebSocket server on a leased port that echoes every message with its type. */
async function echoServer(service: string, onConnection?: (socket: WebSocket) => void): Promise<WebSocketServer> {
  const lease = await harness!.registry.reserve(service, { app: 'shop', instance: 'default', durable: true });
  const wss = new WebSocketServer({ port: lease.port, host: '127.0.0.1' });
  servers.push(wss);
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket) => {
    if (onConnection) return onConnection(socket);
    socket.on('message', (data: RawData, isBinary: boolean) => socket.send(data, { binary: isBinary }));
  });
  return wss;
}

function open(service: string): Promise<WebSocket> {
  const port = harness!.server.port;
  const socket = new WebSocket(`ws://127.0.0.1:${port}/socket`, { headers: { host: `${service}.shop.localhost:${port}` } });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A masked client frame (RFC 6455 §5.2) with a payload under 126 bytes. */
function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

describe('WebSockets', () => {
  it('echoes 10,000 frames, text and binary, in order and intact', async () => {
    harness = await startServer();
    await echoServer('ws');
    const socket = await open('ws');
    const count = 10_000;
    const received: Array<{ text: string; binary: boolean }> = [];
    const done = new Promise<void>((resolve) => {
      socket.on('message', (data: RawData, isBinary: boolean) => {
        received.push({ text: isBinary ? (data as Buffer).toString('hex') : data.toString(), binary: isBinary });
        if (received.length === count) resolve();
      });
    });
    const sent: Array<{ text: string; binary: boolean }> = [];
    for (let i = 0; i < count; i++) {
      if (i % 2 === 0) {
        const text = `frame ${i} ${'é'.repeat(i % 50)}`;
        sent.push({ text, binary: false });
        socket.send(text);
      } else {
        const bytes = randomBytes(1 + (i % 300));
        sent.push({ text: bytes.toString('hex'), binary: true });
        socket.send(bytes);
      }
    }
    await done;
    expect(received).toEqual(sent);
    socket.close();
  });

  it('keeps frames a client sends before the backend has answered the handshake', async () => {
    harness = await startServer();
    await echoServer('early');
    const port = harness.server.port;
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => {
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        // Three unmasked echoes of 'one', 'two', 'three' after the 101 head.
        const head = all.indexOf('\r\n\r\n');
        if (head !== -1 && all.length - head - 4 >= 2 + 3 + 2 + 3 + 2 + 5) {
          socket.destroy();
          resolve(all);
        }
      });
      socket.on('error', reject);
      const handshake =
        `GET /early HTTP/1.1\r\nHost: early.shop.localhost:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
      // Handshake and frames in one write, then more frames on the next turn: none waits for the 101.
      socket.write(Buffer.concat([Buffer.from(handshake), frame(1, Buffer.from('one'))]));
      setImmediate(() => socket.write(Buffer.concat([frame(1, Buffer.from('two')), frame(1, Buffer.from('three'))])));
    });
    const text = reply.toString('latin1');
    expect(text.startsWith('HTTP/1.1 101')).toBe(true);
    const body = reply.subarray(text.indexOf('\r\n\r\n') + 4);
    expect(body.toString('latin1')).toBe('\x81\x03one\x81\x03two\x81\x05three');
  });

  it('carries close codes both ways', async () => {
    harness = await startServer();
    const backendCodes: number[] = [];
    let closedOne!: () => void;
    let closed = new Promise<void>((resolve) => (closedOne = resolve));
    await echoServer('closing', (socket) => {
      socket.on('message', (data: RawData) => {
        if (data.toString() === 'close me') socket.close(4001, 'by backend');
      });
      socket.on('close', (code) => {
        backendCodes.push(code);
        closedOne();
      });
    });
    const first = await open('closing');
    const clientSaw = new Promise<[number, string]>((resolve) => first.on('close', (code, reason) => resolve([code, reason.toString()])));
    first.send('close me');
    expect(await clientSaw).toEqual([4001, 'by backend']);
    await closed;
    expect(backendCodes).toEqual([4001]);

    closed = new Promise<void>((resolve) => (closedOne = resolve));
    const second = await open('closing');
    second.close(4002, 'by client');
    await closed;
    expect(backendCodes).toEqual([4001, 4002]);
  });

  it('closes the client with 1014 when the backend connection breaks, and answers 502 when nothing listens', async () => {
    harness = await startServer();
    await echoServer('breaking', (socket) => socket.on('message', () => (socket as unknown as { _socket: { destroy(): void } })._socket.destroy()));
    const client = await open('breaking');
    const closed = new Promise<[number, string]>((resolve) => client.on('close', (code, reason) => resolve([code, reason.toString()])));
    client.send('break');
    // Not the bare 1006 of a dropped connection: the proxy says the backend went away.
    expect(await closed).toEqual([1014, 'backend connection lost']);

    await harness.registry.reserve('down', { app: 'shop', instance: 'default', durable: true });
    const port = harness.server.port;
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: `down.shop.localhost:${port}` } });
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('error', () => undefined);
    });
    expect(status).toBe(502);
  });

  it('refuses upgrades on the API hosts and on foreign hosts', async () => {
    harness = await startServer();
    const port = harness.server.port;
    for (const [host, expected] of [
      [`127.0.0.1:${port}`, 400],
      [`evil.example:${port}`, 403],
    ] as const) {
      const status = await new Promise<number>((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host } });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('error', () => undefined);
      });
      expect(status).toBe(expected);
    }
  });
});

describe('closing the server', () => {
  it('closes open WebSocket tunnels with 1001 (going away) to both sides instead of waiting for them', async () => {
    harness = await startServer();
    let backendSaw!: Promise<[number, string]>;
    await echoServer('open', (socket) => {
      backendSaw = new Promise((resolve) => socket.on('close', (code, reason) => resolve([code, reason.toString()])));
    });
    const socket = await open('open');
    const closed = new Promise<[number, string]>((resolve) => socket.on('close', (code, reason) => resolve([code, reason.toString()])));
    await harness.server.close();
    expect(await closed).toEqual([1001, 'server shutting down']);
    expect(await backendSaw).toEqual([1001, 'server shutting down']);
  });

  it('drops a tunnel that is in the middle of a frame (no close frame can follow)', async () => {
    harness = await startServer();
    const head = Buffer.from([0x82, 100]); // the first two bytes of a 100-byte binary frame, and nothing more
    await echoServer('midframe', (socket) => (socket as unknown as { _socket: { write(b: Buffer): void } })._socket.write(head));
    const port = harness.server.port;
    const raw = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    raw.on('data', (bytes: Buffer) => (got = Buffer.concat([got, bytes])));
    const ended = new Promise<void>((resolve) => raw.on('close', () => resolve()));
    raw.write(
      `GET / HTTP/1.1\r\nHost: midframe.shop.localhost:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await eventually(() => got.includes('\r\n\r\n') && got.subarray(got.indexOf('\r\n\r\n') + 4).equals(head));
    await harness.server.close();
    await ended;
    // Nothing after the partial frame: a close frame there would be read as its payload.
    expect(got.subarray(got.indexOf('\r\n\r\n') + 4)).toEqual(head);
  });
});
