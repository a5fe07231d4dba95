/**
 * The connection cap under slow and idle clients: 300 sockets (over the cap of 256) that
 * trickle headers or sit idle between requests, reconnecting whenever they are closed,
 * must not lock legitimate clients out. Counts, not timings: the machine is shared.
 */
import { EventEmitter } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectionGuard, MAX_CONNECTIONS, pickVictim } from '../../src/http/connections.js';
import { refuseBusy } from '../../src/http/refusals.js';
import { call, raw, type Harness, useServer } from './helpers.js';

describe('pickVictim', () => {
  it('closes idle before unfinished headers before a body in flight, oldest first, never a busy one', () => {
    expect(pickVictim([{ key: 'busy', state: 'busy', since: 0 }])).toBeUndefined();
    expect(
      pickVictim([
        { key: 'busy', state: 'busy', since: 0 },
        { key: 'body', state: 'body', since: 1 },
        { key: 'headers-new', state: 'headers', since: 9 },
        { key: 'headers-old', state: 'headers', since: 2 },
      ]),
    ).toBe('headers-old');
    expect(
      pickVictim([
        { key: 'headers', state: 'headers', since: 0 },
        { key: 'idle-new', state: 'idle', since: 8 },
        { key: 'idle-old', state: 'idle', since: 3 },
      ]),
    ).toBe('idle-old');
    expect(
      pickVictim([
        { key: 'busy', state: 'busy', since: 0 },
        { key: 'body', state: 'body', since: 5 },
      ]),
    ).toBe('body');
  });
});

describe('connectionGuard', () => {
  /** Just enough of a socket: bytesRead, destroy() and 'close'. */
  function fakeSocket(): Socket & { destroyed: boolean } {
    const socket = new EventEmitter() as EventEmitter & { bytesRead: number; destroyed: boolean; destroy(): void };
    socket.bytesRead = 0;
    socket.destroyed = false;
    socket.destroy = () => {
      socket.destroyed = true;
      socket.emit('close');
    };
    return socket as unknown as Socket & { destroyed: boolean };
  }

  it('evicts the connection that has sent the least, and refuses only when every one is busy', () => {
    let clock = 0;
    const guard = connectionGuard(3, () => clock++);
    const [a, b, c] = [fakeSocket(), fakeSocket(), fakeSocket()];
    for (const socket of [a, b, c]) expect(guard.admit(socket)).toBe(true);
    guard.begin(a); // a is being answered
    (b as unknown as { bytesRead: number }).bytesRead = 10; // b has sent part of its headers
    const d = fakeSocket();
    expect(guard.admit(d)).toBe(true);
    expect(c.destroyed).toBe(true); // idle beats unfinished headers
    expect(guard.admit(fakeSocket())).toBe(true);
    expect(d.destroyed).toBe(true); // d (idle) was evicted before b (headers)
    expect(b.destroyed).toBe(false);
    expect(a.destroyed).toBe(false);
    expect(guard.size).toBe(3);
  });

  it('treats a connection whose answer finished as idle again', () => {
    const guard = connectionGuard(2);
    const [a, b] = [fakeSocket(), fakeSocket()];
    guard.admit(a);
    guard.admit(b);
    const doneA = guard.begin(a);
    guard.begin(b);
    expect(guard.admit(fakeSocket())).toBe(false); // both busy
    doneA();
    expect(guard.admit(fakeSocket())).toBe(true);
    expect(a.destroyed).toBe(true);
    expect(b.destroyed).toBe(false);
  });
});

describe('refuseBusy', () => {
  it('answers 503 JSON with Retry-After and closes, instead of a bare reset', async () => {
    const server = createServer((socket) => refuseBusy(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const reply = await raw((server.address() as AddressInfo).port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(reply).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
      expect(reply).toContain('Retry-After: 1');
      expect(reply).toContain('{"error":"too many connections; try again"}');
    } finally {
      server.close();
    }
  });
});

describe('300 slow and idle sockets against the server', () => {
  let h: Harness;
  useServer((started) => {
    h = started;
  });

  it('still answers legitimate requests: 150 trickle headers, 150 idle keep-alive, all reconnecting', async () => {
    const { port } = h.server;
    expect(300).toBeGreaterThan(MAX_CONNECTIONS);
    const attackers = new Set<Socket>();
    let stopped = false;
    let evictions = 0;
    const open = (kind: 'trickle' | 'idle'): void => {
      if (stopped) return;
      const socket = connect(port, '127.0.0.1');
      attackers.add(socket);
      let drip: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        if (kind === 'idle') {
          // One complete request, then silence on a kept-alive connection.
          socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
        } else {
          socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
          drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 500);
        }
      });
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(drip);
        attackers.delete(socket);
        evictions += 1;
        // A real slowloris keeps its sockets open: come back after a moment.
        setTimeout(() => open(kind), 200);
      });
    };
    for (let index = 0; index < 300; index++) open(index % 2 === 0 ? 'trickle' : 'idle');
    // Let them all arrive and settle in.
    while (attackers.size < 300) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 500));

    let ok = 0;
    const total = 200;
    try {
      for (let batch = 0; batch < total / 4; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 4 }, () =>
            call(h.server, 'GET', '/healthz').then(
              (reply) => reply.status === 200,
              () => false,
            ),
          ),
        );
        ok += replies.filter(Boolean).length;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      stopped = true;
      for (const socket of attackers) socket.destroy();
    }
    expect(evictions).toBeGreaterThan(0); // the cap was reached and enforced
    expect(ok).toBeGreaterThanOrEqual(total * 0.99);
  }, 60_000);
});
