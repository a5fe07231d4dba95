/**
 * The connection cap, enforced by eviction instead of refusal. Node's own
 * `server.maxConnections` refuses every new connection once the cap is reached, so 300
 * sockets that trickle headers (slowloris) or sit idle between requests lock legitimate
 * clients out until their timeouts run. Here a new connection at the cap first closes the
 * open connection that has sent the least: idle ones (nothing sent since the last answer,
 * or since connecting) before ones with unfinished headers, before ones still sending a
 * body, each oldest first. Connections whose request is being worked on are never closed;
 * only when every connection is such does a newcomer get `503`.
 */
import type { Socket } from 'node:net';

/** Connections the server keeps open at once; a newcomer past it evicts the least useful one. @default 256 */
export const MAX_CONNECTIONS = 256;

/**
 * What a connection is doing, from most to least evictable:
 * `idle` has sent nothing since its last answer (or since it connected), `headers` has
 * sent part of a request whose headers are not complete, `body` is sending a request body,
 * `busy` is waiting for its answer.
 */
export type ConnectionState = 'idle' | 'headers' | 'body' | 'busy';

/** One connection as {@link pickVictim} sees it. */
export interface ConnectionView<K> {
  key: K;
  state: ConnectionState;
  /** When the connection entered its state (connect time, or when its last answer finished), ms. */
  since: number;
}

const RANK: Record<ConnectionState, number> = { idle: 0, headers: 1, body: 2, busy: Number.POSITIVE_INFINITY };

/**
 * The connection to close to make room for a new one: the most evictable state, oldest
 * first; `undefined` when every connection is `busy`.
 *
 * @example
 * pickVictim([{ key: 'a', state: 'busy', since: 1 }, { key: 'b', state: 'headers', since: 5 }]); // 'b'
 */
export function pickVictim<K>(connections: Iterable<ConnectionView<K>>): K | undefined {
  let best: ConnectionView<K> | undefined;
  for (const view of connections) {
    if (view.state === 'busy') continue;
    if (!best || RANK[view.state] < RANK[best.state] || (RANK[view.state] === RANK[best.state] && view.since < best.since)) best = view;
  }
  return best?.key;
}

interface Tracked {
  since: number;
  /** `socket.bytesRead` when the connection last came to rest: more means a request is arriving. */
  bytesAtRest: number;
  /** Requests on this connection whose answer is not finished (more than one when pipelined). */
  active: number;
  readingBody: boolean;
}

/** Tracks the server's open connections and keeps them under the cap. */
export interface ConnectionGuard {
  /** Counts a new connection; returns `false` when it must be refused (every open one is busy). */
  admit(socket: Socket): boolean;
  /** True when `socket` was admitted and is still tracked: requests from anything else are ignored. */
  admitted(socket: Socket): boolean;
  /** A request arrived on `socket`; call the returned function when its answer is finished or abandoned. */
  begin(socket: Socket): () => void;
  /** Marks whether the current request's body is still arriving (evictable after idle ones). */
  readingBody(socket: Socket, reading: boolean): void;
  /** Open connections. */
  readonly size: number;
}

/**
 * A guard for at most `cap` connections.
 *
 * @example
 * const guard = connectionGuard(MAX_CONNECTIONS);
 * server.on('connection', (socket) => guard.admit(socket) || refuse(socket));
 */
export function connectionGuard(cap = MAX_CONNECTIONS, now: () => number = Date.now): ConnectionGuard {
  const open = new Map<Socket, Tracked>();
  const state = (socket: Socket, tracked: Tracked): ConnectionState => {
    if (tracked.active > 0) return tracked.readingBody ? 'body' : 'busy';
    return socket.bytesRead > tracked.bytesAtRest ? 'headers' : 'idle';
  };
  const views = function* (): Iterable<ConnectionView<Socket>> {
    for (const [socket, tracked] of open) yield { key: socket, state: state(socket, tracked), since: tracked.since };
  };
  return {
    admit(socket) {
      while (open.size >= cap) {
        const victim = pickVictim(views());
        if (!victim) return false;
        open.delete(victim);
        victim.destroy();
      }
      open.set(socket, { since: now(), bytesAtRest: socket.bytesRead, active: 0, readingBody: false });
      socket.once('close', () => open.delete(socket));
      return true;
    },
    admitted: (socket) => open.has(socket),
    begin(socket) {
      const tracked = open.get(socket);
      if (tracked) tracked.active += 1;
      let done = false;
      return () => {
        if (done || !tracked) return;
        done = true;
        tracked.active -= 1;
        tracked.readingBody = false;
        tracked.since = now();
        tracked.bytesAtRest = socket.bytesRead;
      };
    },
    readingBody(socket, reading) {
      const tracked = open.get(socket);
      if (tracked) tracked.readingBody = reading;
    },
    get size() {
      return open.size;
    },
  };
}
