/**
 * The shapes of the port-registry `/v1` wire contract. Its Go client decodes these by key
 * and tells 409s apart by exact `error` string, so key order, names and strings here are
 * part of the contract: change nothing without reading reference/port-registry-v1-api.md.
 */
import type { ServerResponse } from 'node:http';
import type { Lease } from '../index.js';

/** An allocation as port-registry serialises it (Go struct order). */
export interface Allocation {
  id: number;
  app: string;
  instance: string;
  /** Empty for an anonymous portlease lease: the Go client decodes it into a plain string. */
  service: string;
  port: number;
  /** RFC 3339, UTC, whole seconds: `2026-01-31T12:00:00Z`. */
  created_at: string;
}

/** What a route answers: a status and a JSON body (written with a trailing newline). */
export interface Reply {
  status: number;
  body: unknown;
  /** Extra response headers, such as `Allow` on a 405. */
  headers?: Record<string, string>;
}

/** The exact error strings port-registry clients match on. */
export const WIRE_ERRORS = {
  invalidJson: 'invalid JSON',
  namesRequired: 'app, instance, and service are required',
  portRange: 'port must be between 1 and 65535',
  serviceTaken: 'service already allocated',
  portTaken: 'port already allocated',
  portBusy: 'port in use on system',
  filterRequired: 'at least one filter is required for delete',
  invalidId: 'invalid id',
  notFound: 'allocation not found',
  invalidPort: 'invalid port',
} as const;

/**
 * Formats an ISO time as port-registry's read paths do: RFC 3339 in UTC without fractions.
 *
 * @example
 * rfc3339('2026-01-31T12:00:00.123Z'); // '2026-01-31T12:00:00Z'
 */
export function rfc3339(iso: string): string {
  const time = new Date(iso);
  // A lease always has a valid createdAt; fall back to the raw text rather than throw mid-reply.
  if (Number.isNaN(time.getTime())) return iso;
  return time.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Maps a lease to the wire's allocation shape, keys in the contract's order.
 *
 * @example
 * JSON.stringify(toAllocation(lease)); // {"id":1,"app":"shop","instance":"main","service":"db","port":20417,"created_at":"…Z"}
 */
export function toAllocation(lease: Lease): Allocation {
  return {
    id: lease.id,
    app: lease.app,
    instance: lease.instance,
    service: lease.service ?? '',
    port: lease.port,
    created_at: rfc3339(lease.createdAt),
  };
}

/**
 * True when `value` has the fields of a lease (an error's `holder` is typed `unknown`).
 *
 * @example
 * const holder = isLease(error.holder) ? error.holder : undefined;
 */
export function isLease(value: unknown): value is Lease {
  if (value === null || typeof value !== 'object') return false;
  const lease = value as Record<string, unknown>;
  return (
    typeof lease['id'] === 'number' &&
    typeof lease['port'] === 'number' &&
    typeof lease['app'] === 'string' &&
    typeof lease['instance'] === 'string' &&
    typeof lease['createdAt'] === 'string'
  );
}

/**
 * An error reply `{"error": message}`, with `holder` when a lease is in the way.
 *
 * @example
 * errorReply(409, WIRE_ERRORS.portTaken, lease);
 */
export function errorReply(status: number, message: string, holder?: Lease): Reply {
  return { status, body: holder ? { error: message, holder: toAllocation(holder) } : { error: message } };
}

/**
 * Writes a JSON reply: `application/json`, a trailing newline, no CORS headers. With
 * `close`, the connection closes after it (after a refusal the body, if any, stays unread:
 * close rather than parse what follows).
 *
 * @example
 * sendJson(res, { status: 404, body: { error: 'not found' } }, false);
 */
export function sendJson(res: ServerResponse, reply: Reply, close: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const text = `${JSON.stringify(reply.body)}\n`;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...reply.headers,
  };
  if (close) headers['Connection'] = 'close';
  res.writeHead(reply.status, headers);
  res.end(text);
}
