/**
 * The live dashboard on the server's loopback hosts: `GET /` (the page), `GET /events`
 * (server-sent events: a snapshot, then diffs) and the page's actions,
 * `POST /dashboard/release` and `POST /dashboard/prune`. The server hands every request to
 * {@link Dashboard.handle} first; it answers these paths and returns `false` for the rest.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistryPaths } from '../../paths.js';
import type { Lease } from '../../types.js';
import { ABORTED, readBody, TOO_LARGE } from '../body.js';
import { checkRequest } from '../guard.js';
import { sendJson } from '../wire.js';
import { checkAction, releaseTarget } from './actions.js';
import { createFeed, type FeedEvent } from './feed.js';
import { PAGE_CSP, renderPage } from './page.js';

/** Handles a request when it is the dashboard's: resolves `true` when it answered it. */
export type DashboardHandler = (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The registry shown. */
  paths: RegistryPaths;
  /** Releases the lease with this id; resolves how many were released. */
  release(id: number): Promise<number>;
  /** Removes dead and expired leases; resolves those removed. */
  prune(): Promise<Lease[]>;
  /** The Host values the server answers to (guard.ts's allowlist). */
  hosts(): readonly string[];
  /** Milliseconds between re-checks without a watch event. @default 2000 */
  interval?: number;
  /** The port the server listens on, once it does: the named URLs shown go through it. */
  port?: () => number | undefined;
  onError?: ((error: unknown) => void) | undefined;
}

/** The dashboard of one server. */
export interface Dashboard {
  handle: DashboardHandler;
  /** The per-server secret that actions must carry (embedded in the page). */
  readonly token: string;
  /** Registry files read by the shared feed so far. */
  readonly reads: number;
  /** Ends every event stream and stops watching. */
  close(): void;
}

/** Bytes an event stream may fall behind before the slow client is dropped (it reconnects and gets a snapshot). */
const MAX_BACKLOG = 1024 * 1024;
/** A comment line this often keeps proxies and idle timers from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
const ACTION_BODY_LIMIT = 1024;
/**
 * Event streams open at once. Each holds a connection for as long as its page is open, and
 * the server keeps at most 256 connections (connections.ts): past this, `/events` gets
 * `503` so that `/v1` clients always find room. @default 128
 */
export const MAX_STREAMS = 128;

/**
 * Creates the dashboard of a server.
 *
 * @example
 * const dashboard = createDashboard({ paths, release, prune, hosts: () => hosts });
 * if (await dashboard.handle(req, res)) return;
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const token = randomBytes(32).toString('base64url');
  // Tells a page that its event stream reconnected to another server (a restart), whose
  // token it does not have. Not the token: the stream must not carry the secret.
  const instance = randomBytes(8).toString('hex');
  const page = Buffer.from(renderPage(token, instance));
  const feed = createFeed({
    paths: options.paths,
    ...(options.interval === undefined ? {} : { interval: options.interval }),
    ...(options.port === undefined ? {} : { port: options.port }),
    onError: options.onError,
  });
  const streams = new Map<ServerResponse, (text: string) => void>();
  let heartbeat: NodeJS.Timeout | undefined;
  /** Streams waiting for their first snapshot (counted against MAX_STREAMS too). */
  let opening = 0;
  // Each event is turned into text once, however many streams it goes to.
  const frames = new WeakMap<FeedEvent, string>();
  const frameOf = (event: FeedEvent) => {
    let text = frames.get(event);
    if (text === undefined) {
      text = event.type === 'diff' ? frame('diff', event.diff) : frame('problem', { message: event.message });
      frames.set(event, text);
    }
    return text;
  };

  async function events(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (streams.size + opening >= MAX_STREAMS) {
      return sendJson(res, { status: 503, body: { error: `too many open dashboards (${MAX_STREAMS}); close some` }, headers: { 'Retry-After': '5' } }, true);
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    const write = (text: string) => {
      if (res.destroyed) return;
      if (res.writableLength > MAX_BACKLOG) res.destroy();
      else res.write(text);
    };
    // Events that arrive between the subscription and the snapshot's write follow it.
    let queue: string[] | null = [];
    opening += 1;
    const subscription = await feed.subscribe((event) => (queue ? queue.push(frameOf(event)) : write(frameOf(event)))).finally(() => (opening -= 1));
    if (res.destroyed || req.destroyed) return subscription.close();
    write(frame('snapshot', { now: Date.now(), server: instance, rows: subscription.rows, problem: subscription.problem }));
    for (const text of queue) write(text);
    queue = null;
    streams.set(res, write);
    if (heartbeat === undefined) {
      heartbeat = setInterval(() => {
        for (const send of streams.values()) send(': ping\n\n');
      }, HEARTBEAT_MS);
      heartbeat.unref();
    }
    res.on('close', () => {
      subscription.close();
      streams.delete(res);
      if (streams.size === 0) {
        clearInterval(heartbeat);
        heartbeat = undefined;
      }
    });
  }

  async function act(req: IncomingMessage, res: ServerResponse, action: 'release' | 'prune'): Promise<void> {
    const refused = checkAction(req.headersDistinct, token);
    if (refused) return sendJson(res, refused, true);
    const body = await readBody(req, ACTION_BODY_LIMIT);
    if (body === ABORTED) return;
    if (body === TOO_LARGE) return sendJson(res, { status: 413, body: { error: 'request body too large' } }, true);
    if (action === 'prune') {
      const pruned = await options.prune();
      return sendJson(res, { status: 200, body: { pruned: pruned.map((lease) => lease.id) } }, false);
    }
    const id = releaseTarget(body);
    if (id === undefined) return sendJson(res, { status: 400, body: { error: 'expected {"id": <lease id>}' } }, false);
    const released = await options.release(id);
    sendJson(res, released === 0 ? { status: 404, body: { error: `lease ${id} is already gone` } } : { status: 200, body: { released } }, false);
  }

  const handle: DashboardHandler = async (req, res) => {
    const path = pathOf(req.url ?? '');
    const route = path === undefined ? undefined : ROUTES[path];
    if (route === undefined) return false;
    const refusal = checkRequest(req.headersDistinct, options.hosts());
    const method = req.method ?? '';
    if (refusal) sendJson(res, refusal, true);
    // OPTIONS too: no CORS preflight is ever granted.
    else if (!route.methods.includes(method))
      sendJson(res, { status: 405, body: { error: 'method not allowed' }, headers: { Allow: route.methods.join(', ') } }, true);
    else if (route.name === 'page') sendPage(res, page, method === 'HEAD');
    else if (route.name === 'events') await events(req, res);
    else await act(req, res, route.name);
    return true;
  };

  return {
    handle,
    token,
    get reads() {
      return feed.reads;
    },
    close() {
      feed.close();
      clearInterval(heartbeat);
      for (const stream of streams.keys()) stream.destroy();
      streams.clear();
    },
  };
}

const ROUTES: Record<string, { name: 'page' | 'events' | 'release' | 'prune'; methods: string[] }> = {
  '/': { name: 'page', methods: ['GET', 'HEAD'] },
  '/events': { name: 'events', methods: ['GET'] },
  '/dashboard/release': { name: 'release', methods: ['POST'] },
  '/dashboard/prune': { name: 'prune', methods: ['POST'] },
};

/** The path of a request target (origin or absolute form), without the query. */
function pathOf(target: string): string | undefined {
  let rest = target;
  if (/^https?:\/\//i.test(rest)) {
    try {
      rest = new URL(rest).pathname;
    } catch {
      return undefined;
    }
  }
  const mark = rest.search(/[?#]/);
  const path = mark === -1 ? rest : rest.slice(0, mark);
  return Object.hasOwn(ROUTES, path) ? path : undefined;
}

/** One server-sent event. JSON has no raw newline, so `data` is one line. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function sendPage(res: ServerResponse, page: Buffer, head: boolean): void {
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(page.length),
    'Content-Security-Policy': PAGE_CSP,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  res.end(head ? undefined : page);
}
