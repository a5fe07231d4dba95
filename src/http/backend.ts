/**
 * Connections to the leased ports: a bounded keep-alive pool and a lookup that only ever
 * answers loopback. A proxied request borrows an idle backend connection instead of
 * opening one per request (a new connection per request leaves thousands in TIME_WAIT and
 * costs most of the throughput), and never more than {@link BACKEND_MAX_SOCKETS} exist per
 * port (busy and idle together): past that, requests wait their turn. The name is resolved
 * here, not by DNS: `localhost` may be mapped anywhere in /etc/hosts, and the proxy must
 * never become a relay to another machine. WebSocket tunnels get connections of their own,
 * outside the pool: they last as long as the page, and are bounded by the client cap.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { connect, type NetConnectOpts, type Socket } from 'node:net';

/** Backend connections per leased port, busy and idle together. @default 64 */
export const BACKEND_MAX_SOCKETS = 64;
/** Pooled backend connections in all. @default 256 */
export const BACKEND_MAX_TOTAL = 256;
/**
 * Idle backend connections close after this many ms: a backend closes its own idle
 * connections after its keep-alive timeout (5 s in Node), and reusing one just before
 * that races with the close. @default 4000
 */
export const BACKEND_IDLE_TIMEOUT = 4000;

/** The host name given to every backend connection; {@link loopbackLookup} resolves it. */
export const BACKEND_HOST = 'localhost';

const ADDRESSES: LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/**
 * A `lookup` for `net.connect` that resolves any name to 127.0.0.1 and ::1, in that order:
 * with `autoSelectFamily` a dev server listening on `::1` only (Vite on `localhost` where
 * it resolves to ::1 first) is reached too.
 *
 * @example
 * net.connect({ host: 'localhost', port, lookup: loopbackLookup, autoSelectFamily: true });
 */
export function loopbackLookup(
  _hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  if (options.all) callback(null, ADDRESSES);
  else callback(null, ADDRESSES[0]!.address, ADDRESSES[0]!.family);
}

/** What a backend connection reports to the exchange that holds it. */
export interface BackendUser {
  /** Bytes read: valid until the next read, so the user pauses the socket while it still needs them. */
  onBackendData(chunk: Buffer): void;
  /** The backend closed its side (a close-delimited body ends here). */
  onBackendEnd(): void;
  /** The connection is gone; `error` says why when it failed. */
  onBackendClose(error: NodeJS.ErrnoException | undefined): void;
}

/**
 * Bytes read from a backend connection at a time, into a buffer of its own that every read
 * reuses. Reading into a new buffer each time left tens of MiB of garbage behind a fast
 * 1 MiB response before a collection came. The exchange that forwards the bytes keeps
 * reads paused while any of them waits to be written (see exchange.ts).
 * @default 65536
 */
export const BACKEND_READ_SIZE = 64 * 1024;

/** One connection to a backend port. */
export class BackendConnection {
  readonly socket: Socket;
  /** The exchange using it; none while idle. */
  user: BackendUser | undefined;
  /** It carried an exchange before (a request on it may meet a close the backend already sent). */
  reused = false;
  /** When it became idle (ms). */
  idleSince = 0;
  /** Still counted against the pool's bounds (cleared once, when it goes). */
  counted = true;
  private error: NodeJS.ErrnoException | undefined;

  constructor(
    readonly port: number,
    onGone: (connection: BackendConnection) => void,
    readSize = BACKEND_READ_SIZE,
  ) {
    const onread = {
      buffer: Buffer.allocUnsafe(readSize),
      callback: (length: number, buffer: Uint8Array): boolean => {
        if (this.user) this.user.onBackendData(Buffer.from(buffer.buffer, buffer.byteOffset, length));
        // An idle connection has nothing to say: whatever it sends, it cannot be reused.
        else socket.destroy();
        return true;
      },
    };
    // autoSelectFamily: 127.0.0.1, then ::1 (the types of Node 20 do not list it on every overload).
    const socket = connect({ host: BACKEND_HOST, port, lookup: loopbackLookup, autoSelectFamily: true, noDelay: true, onread } as NetConnectOpts);
    this.socket = socket;
    socket.on('end', () => this.user?.onBackendEnd());
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error ??= error;
    });
    socket.on('close', () => {
      onGone(this);
      const user = this.user;
      this.user = undefined;
      user?.onBackendClose(this.error);
    });
  }
}

interface PortPool {
  port: number;
  idle: BackendConnection[];
  /** Open connections of this port, busy and idle. */
  open: number;
  waiting: Array<{ user: BackendUser; callback: (connection: BackendConnection) => void }>;
}

/** The bounded pool of backend connections. */
export interface BackendPool {
  /**
   * Hands a connection to `port` to `user`: an idle one (most recently used first), a new
   * one, or, when the port is at its bound, the next one released. Returns a function
   * that withdraws the request while it waits.
   */
  acquire(port: number, user: BackendUser, callback: (connection: BackendConnection) => void): () => void;
  /** Returns a connection whose exchange ended cleanly: idle, ready for the next. */
  release(connection: BackendConnection): void;
  /** Closes a connection that cannot be reused (mid-message, or the client went away). */
  discard(connection: BackendConnection): void;
  /** A connection outside the pool, for a WebSocket tunnel. */
  dedicated(port: number, user: BackendUser): BackendConnection;
  /** Closes idle connections older than {@link BACKEND_IDLE_TIMEOUT}. */
  sweep(now: number): void;
  /** Closes every connection. */
  destroy(): void;
  /** Pooled connections open now. */
  readonly open: number;
}

/**
 * A pool of at most `perPort` connections per port and `total` in all.
 *
 * @example
 * const pool = backendPool();
 * pool.acquire(lease.port, exchange, (connection) => connection.socket.write(head));
 */
export function backendPool(perPort = BACKEND_MAX_SOCKETS, total = BACKEND_MAX_TOTAL, now: () => number = Date.now): BackendPool {
  const ports = new Map<number, PortPool>();
  const tunnels = new Set<BackendConnection>();
  let open = 0;

  const poolOf = (port: number): PortPool => {
    let pool = ports.get(port);
    if (!pool) {
      pool = { port, idle: [], open: 0, waiting: [] };
      ports.set(port, pool);
    }
    return pool;
  };

  const gone = (connection: BackendConnection): void => {
    const pool = ports.get(connection.port);
    if (!pool || !connection.counted) return;
    connection.counted = false;
    const index = pool.idle.indexOf(connection);
    if (index !== -1) pool.idle.splice(index, 1);
    pool.open -= 1;
    open -= 1;
    // A slot is free: a waiting request (of this port, or of another one held back by the total) gets it.
    serveWaiting(connection.port);
    if (pool.open === 0 && pool.waiting.length === 0) ports.delete(connection.port);
  };

  const create = (port: number, pool: PortPool): BackendConnection => {
    pool.open += 1;
    open += 1;
    return new BackendConnection(port, gone);
  };

  /** Makes room under the total by closing the longest-idle connection of any port. */
  const evictIdle = (): boolean => {
    let oldest: BackendConnection | undefined;
    for (const pool of ports.values()) {
      const candidate = pool.idle[0];
      if (candidate && (!oldest || candidate.idleSince < oldest.idleSince)) oldest = candidate;
    }
    if (!oldest) return false;
    const pool = ports.get(oldest.port)!;
    pool.idle.shift();
    // Counted as gone now, not at its close event: the new connection may take its place at once.
    oldest.counted = false;
    pool.open -= 1;
    open -= 1;
    oldest.socket.destroy();
    return true;
  };

  const give = (connection: BackendConnection, user: BackendUser, callback: (connection: BackendConnection) => void): void => {
    connection.user = user;
    callback(connection);
  };

  function serveWaiting(port: number): void {
    const own = ports.get(port);
    for (const pool of own ? [own, ...ports.values()] : ports.values()) {
      while (pool.waiting.length > 0 && pool.open < perPort && (open < total || evictIdle())) {
        const next = pool.waiting.shift()!;
        give(create(pool.port, pool), next.user, next.callback);
      }
    }
  }

  return {
    acquire(port, user, callback) {
      const pool = poolOf(port);
      const idle = pool.idle.pop();
      if (idle) {
        give(idle, user, callback);
        return noop;
      }
      if (pool.open < perPort && (open < total || evictIdle())) {
        give(create(port, pool), user, callback);
        return noop;
      }
      const entry = { user, callback };
      pool.waiting.push(entry);
      return () => {
        const index = pool.waiting.indexOf(entry);
        if (index !== -1) pool.waiting.splice(index, 1);
      };
    },
    release(connection) {
      const pool = ports.get(connection.port);
      if (!pool || connection.socket.destroyed) return;
      connection.user = undefined;
      connection.reused = true;
      const next = pool.waiting.shift();
      if (next) return give(connection, next.user, next.callback);
      connection.idleSince = now();
      pool.idle.push(connection);
    },
    discard(connection) {
      connection.user = undefined;
      connection.socket.destroy();
    },
    dedicated(port, user) {
      // Mostly idle for as long as a page is open: a smaller read buffer.
      const connection = new BackendConnection(port, () => tunnels.delete(connection), 16 * 1024);
      connection.user = user;
      tunnels.add(connection);
      return connection;
    },
    sweep(at) {
      for (const pool of ports.values()) {
        // Oldest first: idle connections are pushed as they come back.
        while (pool.idle.length > 0 && at - pool.idle[0]!.idleSince >= BACKEND_IDLE_TIMEOUT) pool.idle.shift()!.socket.destroy();
      }
    },
    destroy() {
      for (const pool of ports.values()) {
        pool.waiting.length = 0;
        for (const connection of pool.idle) connection.socket.destroy();
      }
      for (const connection of tunnels) connection.socket.destroy();
    },
    get open() {
      return open;
    },
  };
}

function noop(): void {}
