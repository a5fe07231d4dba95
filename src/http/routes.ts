/**
 * The port-registry `/v1` routes over the portlease library: method, path, query and body
 * text in, status and JSON body out. No sockets here (see `server.ts`), so every route and
 * error case is a plain function call; the library calls go through {@link RouteApi},
 * normally a registry from `openRegistry({ home })`.
 *
 * The server keeps no state of its own: an allocation is a durable named lease, its id the
 * lease id, so the library, the CLI and HTTP clients all see the same registry at once.
 */
import { isPortleaseError, type Lease, type LeaseFilter, type PortRange, type ReserveOptions } from '../index.js';
import { trimName } from '../names.js';
import { decodeStruct, parseGoInt } from './decode.js';
import { errorReply, isLease, toAllocation, WIRE_ERRORS, type Reply } from './wire.js';

/** The library functions the routes use, bound to one registry. */
export interface RouteApi {
  reserve(service: string, options: ReserveOptions): Promise<Lease>;
  list(filter?: LeaseFilter): Promise<Lease[]>;
  release(target: number | LeaseFilter): Promise<number>;
  probePort(port: number): Promise<{ free: boolean }>;
}

/** One request, as far as routing cares. */
export interface RouteRequest {
  method: string;
  /** Path without the query, as sent (not percent-decoded). */
  path: string;
  query: URLSearchParams;
  /** The body as text (`''` when there is none). */
  body: string;
}

/** Settings of the routes. */
export interface RouteOptions {
  /** Range auto-assigned ports come from. @default the library's (PORTLEASE_RANGE, else 20000-29999) */
  range?: PortRange | string;
  /** Called with unexpected failures (answered `500`), for logging. */
  onError?: (error: unknown) => void;
}

interface Route {
  pattern: RegExp;
  /** Handlers by method; the path's capture group (if any) is passed as `param`. */
  methods: Record<string, (request: RouteRequest, api: RouteApi, options: RouteOptions, param: string) => Promise<Reply>>;
}

const ROUTES: Route[] = [
  { pattern: /^\/healthz$/, methods: { GET: health } },
  { pattern: /^\/v1\/allocations$/, methods: { GET: listAllocations, POST: allocate, DELETE: releaseByFilter } },
  { pattern: /^\/v1\/allocations\/([^/]+)$/, methods: { DELETE: releaseById } },
  { pattern: /^\/v1\/ports\/([^/]+)$/, methods: { GET: portStatus } },
];

/**
 * True when the route takes a JSON body (the server reads and checks it only for these).
 *
 * @example
 * takesBody('POST', '/v1/allocations'); // true
 */
export function takesBody(method: string, path: string): boolean {
  return path === '/v1/allocations' && (method === 'POST' || method === 'DELETE');
}

/**
 * Answers one request. Never throws for anything a client can send: unexpected library
 * failures become `500 {"error": message}`.
 *
 * @example
 * const reply = await route({ method: 'GET', path: '/v1/allocations', query: new URLSearchParams(), body: '' }, openRegistry({ home }));
 * // { status: 200, body: [ { id: 1, app: 'shop', … } ] }
 */
export async function route(request: RouteRequest, api: RouteApi, options: RouteOptions = {}): Promise<Reply> {
  for (const { pattern, methods } of ROUTES) {
    const match = pattern.exec(request.path);
    if (!match) continue;
    const handler = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
    if (!handler) {
      // OPTIONS lands here too: no CORS preflight is ever answered.
      return { status: 405, body: { error: 'method not allowed' }, headers: { Allow: Object.keys(methods).join(', ') } };
    }
    try {
      return await handler(request, api, options, match[1] ?? '');
    } catch (error) {
      const reply = failure(error);
      if (reply.status >= 500) options.onError?.(error);
      return reply;
    }
  }
  return { status: 404, body: { error: 'not found' } };
}

async function health(_request: RouteRequest, api: RouteApi): Promise<Reply> {
  try {
    // A read of the registry: fails when it is unreadable, corrupt or from a newer version.
    await api.list();
    return { status: 200, body: { status: 'ok' } };
  } catch (error) {
    return { status: 503, body: { status: 'error', detail: messageOf(error) } };
  }
}

async function allocate(request: RouteRequest, api: RouteApi, options: RouteOptions): Promise<Reply> {
  const input = decodeStruct(request.body, { app: 'string', instance: 'string', service: 'string', port: 'int' });
  if (!input) return errorReply(400, WIRE_ERRORS.invalidJson);
  const app = trimName(input.app);
  const instance = trimName(input.instance);
  const service = trimName(input.service);
  if (!app || !instance || !service) return errorReply(400, WIRE_ERRORS.namesRequired);
  const { port } = input;
  if (port !== 0 && (port < 1 || port > 65535)) return errorReply(400, WIRE_ERRORS.portRange);

  // The contract probes an explicit port before any uniqueness check.
  if (port !== 0 && !(await api.probePort(port)).free) return errorReply(409, WIRE_ERRORS.portBusy);

  const reserveOptions: ReserveOptions = { app, instance, durable: true, exclusive: true };
  if (port !== 0) reserveOptions.port = port;
  else if (options.range !== undefined) reserveOptions.range = options.range;
  const lease = await api.reserve(service, reserveOptions);
  return { status: 201, body: toAllocation(lease) };
}

async function listAllocations(request: RouteRequest, api: RouteApi): Promise<Reply> {
  // Exact, case-sensitive, untrimmed; an empty value means no filter (as in Go's Query().Get).
  const filter: LeaseFilter = {};
  const app = request.query.get('app');
  const instance = request.query.get('instance');
  const service = request.query.get('service');
  if (app) filter.app = app;
  if (instance) filter.instance = instance;
  if (service) filter.service = service;
  if (!matchable(filter)) return { status: 200, body: [] };
  let leases: Lease[];
  try {
    leases = await api.list(filter);
  } catch (error) {
    // A filter value that is not a valid name matches nothing; the wire has no 400 here.
    if (error instanceof TypeError || error instanceof RangeError) leases = [];
    else throw error;
  }
  return { status: 200, body: leases.map(toAllocation) };
}

async function releaseByFilter(request: RouteRequest, api: RouteApi): Promise<Reply> {
  const input = decodeStruct(request.body, { app: 'string', instance: 'string', service: 'string', port: 'int' });
  if (!input) return errorReply(400, WIRE_ERRORS.invalidJson);
  const filter: LeaseFilter = {};
  if (input.app) filter.app = input.app;
  if (input.instance) filter.instance = input.instance;
  if (input.service) filter.service = input.service;
  if (input.port !== 0) filter.port = input.port;
  if (Object.keys(filter).length === 0) return errorReply(400, WIRE_ERRORS.filterRequired);
  // No lease can have a port outside 1-65535 or an invalid name: nothing to delete.
  if (filter.port !== undefined && (filter.port < 1 || filter.port > 65535)) return { status: 200, body: { deleted: 0 } };
  if (!matchable(filter)) return { status: 200, body: { deleted: 0 } };
  let deleted: number;
  try {
    deleted = await api.release(filter);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) deleted = 0;
    else throw error;
  }
  return { status: 200, body: { deleted } };
}

async function releaseById(_request: RouteRequest, api: RouteApi, _options: RouteOptions, param: string): Promise<Reply> {
  const id = parseGoInt(param);
  if (id === undefined) return errorReply(400, WIRE_ERRORS.invalidId);
  if (!Number.isSafeInteger(id) || id < 1) return errorReply(404, WIRE_ERRORS.notFound);
  const released = await api.release(id);
  if (released === 0) return errorReply(404, WIRE_ERRORS.notFound);
  return { status: 200, body: { status: 'deleted' } };
}

async function portStatus(_request: RouteRequest, api: RouteApi, _options: RouteOptions, param: string): Promise<Reply> {
  const port = parseGoInt(param);
  if (port === undefined) return errorReply(400, WIRE_ERRORS.invalidPort);
  if (port < 1 || port > 65535) return errorReply(400, WIRE_ERRORS.portRange);
  // The registry's view, as port-registry answers: a port is unavailable exactly when a
  // lease holds it, and then the holder is named. port-registry's client dereferences
  // `holder` whenever `available` is false, so a port that only the OS has bound (no
  // holder to name) must read as available here. The OS's view is `portlease check`'s.
  const [holder] = await api.list({ port });
  return {
    status: 200,
    body: holder ? { port, available: false, holder: toAllocation(holder) } : { port, available: true },
  };
}

/**
 * False when a filter names something no lease can hold. Names are stored trimmed, and
 * port-registry compares filters exactly, so ` db` matches nothing there; the library
 * would trim it and match `db`.
 */
function matchable(filter: LeaseFilter): boolean {
  return [filter.app, filter.instance, filter.service].every((name) => typeof name !== 'string' || trimName(name) === name);
}

/** Maps a failure of a library call to the wire's reply. */
function failure(error: unknown): Reply {
  if (isPortleaseError(error)) {
    const holder = isLease(error.holder) ? error.holder : undefined;
    switch (error.code) {
      case 'E_SERVICE_LEASED':
        return errorReply(409, WIRE_ERRORS.serviceTaken, holder);
      case 'E_PORT_LEASED':
        return errorReply(409, WIRE_ERRORS.portTaken, holder);
      case 'E_PORT_BUSY':
        return errorReply(409, WIRE_ERRORS.portBusy);
      default:
        return errorReply(500, messageOf(error));
    }
  }
  // Misuse the library caught before any I/O (an invalid name): the client's mistake.
  if (error instanceof TypeError || error instanceof RangeError) return errorReply(400, messageOf(error));
  return errorReply(500, 'internal error');
}

function messageOf(error: unknown): string {
  // Messages only, never a stack: they name files and say what was tried.
  return error instanceof Error ? error.message.split('\n')[0]! : 'internal error';
}
