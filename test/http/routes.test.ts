/**
 * The pure parts: routing over a fake library (failures a real registry rarely produces on
 * demand), Go-compatible decoding, and the request guards.
 */
import { describe, expect, it } from 'vitest';
import { PortleaseError, type Lease } from '../../src/index.js';
import { route, type RouteApi } from '../../src/http/routes.js';
import { decodeStruct, parseGoInt } from '../../src/http/decode.js';
import { allowedHosts, checkContentType, checkRequest } from '../../src/http/guard.js';
import { rfc3339 } from '../../src/http/wire.js';

const lease: Lease = { id: 7, port: 20417, app: 'shop', instance: 'main', service: 'db', owner: null, expiresAt: null, createdAt: '2026-01-31T12:00:00.123Z' };

function fakeApi(overrides: Partial<RouteApi> = {}): RouteApi {
  return {
    reserve: async () => lease,
    list: async () => [lease],
    release: async () => 1,
    probePort: async () => ({ free: true }),
    ...overrides,
  };
}

function post(body: unknown) {
  return { method: 'POST', path: '/v1/allocations', query: new URLSearchParams(), body: JSON.stringify(body) };
}

describe('route', () => {
  it('asks the library for a durable, exclusive named lease', async () => {
    const calls: unknown[] = [];
    const api = fakeApi({
      reserve: async (service, options) => {
        calls.push([service, options]);
        return lease;
      },
    });
    const reply = await route(post({ app: 'shop', instance: 'main', service: 'db' }), api, { range: '21000-21099' });
    expect(reply).toEqual({ status: 201, body: { id: 7, app: 'shop', instance: 'main', service: 'db', port: 20417, created_at: '2026-01-31T12:00:00Z' } });
    expect(calls).toEqual([['db', { app: 'shop', instance: 'main', durable: true, exclusive: true, range: '21000-21099' }]]);
  });

  it('maps library errors to the wire: 409s with holders, 500 with the message, never a stack', async () => {
    const cases: [unknown, number, unknown][] = [
      [new PortleaseError('E_SERVICE_LEASED', 'x', { holder: lease }), 409, { error: 'service already allocated', holder: expect.objectContaining({ id: 7 }) }],
      [new PortleaseError('E_PORT_LEASED', 'x', { holder: lease }), 409, { error: 'port already allocated', holder: expect.objectContaining({ id: 7 }) }],
      [new PortleaseError('E_PORT_BUSY', 'x'), 409, { error: 'port in use on system' }],
      [
        new PortleaseError('E_NO_PORT', 'No free port in 20000-20010 (8 leased, 3 busy on this machine)'),
        500,
        { error: 'No free port in 20000-20010 (8 leased, 3 busy on this machine)' },
      ],
      [new PortleaseError('E_LOCK_TIMEOUT', 'Timed out\nwaiting'), 500, { error: 'Timed out' }],
      [new RangeError('service "a/b" is not a valid name'), 400, { error: 'service "a/b" is not a valid name' }],
      [new Error('secret internals'), 500, { error: 'internal error' }],
    ];
    for (const [error, status, body] of cases) {
      const errors: unknown[] = [];
      const reply = await route(post({ app: 'a', instance: 'b', service: 'c' }), fakeApi({ reserve: async () => Promise.reject(error) }), {
        onError: (failure) => errors.push(failure),
      });
      expect(reply).toEqual({ status, body });
      expect(errors).toHaveLength(status >= 500 ? 1 : 0);
    }
  });

  it('answers /healthz 503 with the detail when the registry cannot be read', async () => {
    const api = fakeApi({ list: async () => Promise.reject(new PortleaseError('E_REGISTRY_VERSION', 'written by a newer portlease')) });
    const reply = await route({ method: 'GET', path: '/healthz', query: new URLSearchParams(), body: '' }, api);
    expect(reply).toEqual({ status: 503, body: { status: 'error', detail: 'written by a newer portlease' } });
  });

  it('does not treat inherited object keys as methods', async () => {
    const reply = await route({ method: 'constructor', path: '/healthz', query: new URLSearchParams(), body: '' }, fakeApi());
    expect(reply.status).toBe(405);
  });
});

describe('decodeStruct', () => {
  const fields = { app: 'string', port: 'int' } as const;
  it('decodes like encoding/json into a struct', () => {
    expect(decodeStruct('{"app":"a","port":5}', fields)).toEqual({ app: 'a', port: 5 });
    expect(decodeStruct('null', fields)).toEqual({ app: '', port: 0 });
    expect(decodeStruct('{"APP":"a","app":"b"}', fields)).toEqual({ app: 'b', port: 0 });
    expect(decodeStruct('{"port":null,"other":[1]}', fields)).toEqual({ app: '', port: 0 });
    for (const bad of ['', ' ', '[]', 'true', '{"port":"5"}', '{"port":5.5}', '{"app":{}}']) {
      expect(decodeStruct(bad, fields), bad).toBeUndefined();
    }
  });

  it('refuses number literals that are not integers, as Go does for an int field', () => {
    for (const bad of ['43e0', '43005.0', '4.3e1', '1E2', '-0.0', '1e99', '99999999999999999999']) {
      expect(decodeStruct(`{"port":${bad}}`, fields), bad).toBeUndefined();
    }
    // Also in a repeated key that a later one would override, and under a folded key.
    expect(decodeStruct('{"port":43e0,"port":43}', fields)).toBeUndefined();
    expect(decodeStruct('{"PORT":43.0}', fields)).toBeUndefined();
    // Unknown fields may hold any number.
    expect(decodeStruct('{"other":4.5e1,"port":-0}', fields)).toEqual({ app: '', port: 0 });
    // Beyond 2^53 but within 64 bits: Go decodes it (and the route refuses the range).
    expect(decodeStruct('{"port":9007199254740993}', fields)).toEqual({ app: '', port: Infinity });
  });

  it("reads the first JSON value and ignores what follows, as Go's Decoder does", () => {
    expect(decodeStruct('{"app":"a"} xyz', fields)).toEqual({ app: 'a', port: 0 });
    expect(decodeStruct('{"app":"a"}{"app":"b"}', fields)).toEqual({ app: 'a', port: 0 });
    expect(decodeStruct('null garbage', fields)).toEqual({ app: '', port: 0 });
    expect(decodeStruct(' \n{"app":"a"}}}', fields)).toEqual({ app: 'a', port: 0 });
    // The first value itself must still be complete and valid.
    for (const bad of ['{"app":"a"', '{"app":"a",}', '{"app":01}', '\ufeff{}', '{"app":"a\u0001"}', '{"a":[1,]}', '{"a":{"b":}}']) {
      expect(decodeStruct(bad, fields), bad).toBeUndefined();
    }
    expect(decodeStruct('{"a":{"b":[1,{"c":null}],"d":"\\"}"},"app":"x"}', fields)).toEqual({ app: 'x', port: 0 });
  });

  it('matches field names like Go: exact first, then folded', () => {
    expect(decodeStruct('{"\u017fervice":"x"}', { service: 'string' })).toEqual({ service: 'x' });
    expect(decodeStruct('{"App":"a"}', fields)).toEqual({ app: 'a', port: 0 });
  });
});

describe('parseGoInt', () => {
  it('parses as strconv.ParseInt(s, 10, 64)', () => {
    expect(parseGoInt('42')).toBe(42);
    expect(parseGoInt('+42')).toBe(42);
    expect(parseGoInt('-0042')).toBe(-42);
    expect(parseGoInt('9223372036854775807')).toBe(Infinity);
    for (const bad of ['', '4x', '0x10', '1e3', ' 1', '9223372036854775808']) expect(parseGoInt(bad), bad).toBeUndefined();
  });
});

describe('guards', () => {
  const hosts = allowedHosts(51234);
  it('allows exact loopback hosts only', () => {
    expect(hosts).toEqual(['127.0.0.1:51234', 'localhost:51234', '[::1]:51234']);
    expect(checkRequest({ host: ['LOCALHOST:51234'] }, hosts)).toBeUndefined();
    expect(checkRequest({ host: ['localhost:51234', 'localhost:51234'] }, hosts)?.status).toBe(403);
    expect(checkRequest({}, hosts)?.status).toBe(403);
    expect(allowedHosts(51234, ['192.168.1.5', '::'])).toContain('[::]:51234');
    expect(allowedHosts(80)).toContain('localhost');
  });

  it('refuses two Origin headers and a repeated Sec-Fetch-Site', () => {
    expect(checkRequest({ host: ['127.0.0.1:51234'], origin: ['http://localhost', 'http://localhost'] }, hosts)?.status).toBe(403);
    expect(checkRequest({ host: ['127.0.0.1:51234'], 'sec-fetch-site': ['none', 'none'] }, hosts)?.status).toBe(403);
  });

  it('accepts any body type from non-browser clients, only application/json from a web page', () => {
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const headers = type === undefined ? {} : { 'content-type': [type] };
      expect(checkContentType('POST', headers), type).toBeUndefined();
      expect(checkContentType('POST', { ...headers, 'sec-fetch-site': ['none'] }), type).toBeUndefined();
      expect(checkContentType('POST', { ...headers, origin: ['http://localhost:3000'] })?.status, type).toBe(403);
      expect(checkContentType('POST', { ...headers, 'sec-fetch-site': ['same-site'] })?.status, type).toBe(403);
      expect(checkContentType('POST', { ...headers, 'sec-fetch-site': ['same-origin'] })?.status, type).toBe(403);
      expect(checkContentType('DELETE', headers)).toBeUndefined();
    }
    expect(checkContentType('POST', { 'content-type': ['application/json;charset=utf-8'], origin: ['http://localhost:3000'] })).toBeUndefined();
    expect(checkContentType('POST', { 'content-type': ['application/json', 'text/plain'], origin: ['http://localhost'] })?.status).toBe(403);
  });
});

it('rfc3339 drops fractions and keeps UTC', () => {
  expect(rfc3339('2026-01-31T12:00:00.999Z')).toBe('2026-01-31T12:00:00Z');
  expect(rfc3339('2026-01-31T13:00:00+01:00')).toBe('2026-01-31T12:00:00Z');
});
