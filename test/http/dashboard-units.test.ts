/** The dashboard's pure parts: rows and diffs, /proc parsing, command lines, the action check. */
import { describe, expect, it } from 'vitest';
import { checkAction, releaseTarget } from '../../src/http/dashboard/actions.js';
import { listeningIn } from '../../src/http/dashboard/listening.js';
import { commandLine } from '../../src/http/dashboard/processes.js';
import { diffRows, isEmptyDiff, kindOf, toRow, type Row } from '../../src/http/dashboard/view.js';
import { urlOf } from '../../src/http/dashboard/url.js';
import type { Lease } from '../../src/index.js';

const lease = (extra: Partial<Lease> = {}): Lease => ({
  id: 1,
  port: 24000,
  app: 'shop',
  instance: 'main',
  service: 'web',
  owner: null,
  expiresAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});
const owner = { pid: 42, start: '1', boot: 'b', ns: 'n', host: 'h' };
const facts = { state: 'live' as const, owner: null, listening: false, url: null };

describe('rows', () => {
  it('names the kind of every lifetime', () => {
    expect(kindOf(lease())).toBe('durable');
    expect(kindOf(lease({ owner }))).toBe('owner');
    expect(kindOf(lease({ expiresAt: '2026-01-01T01:00:00.000Z' }))).toBe('ttl');
    expect(kindOf(lease({ owner, expiresAt: '2026-01-01T01:00:00.000Z' }))).toBe('owner+ttl');
  });

  it('turns a lease into a flat row', () => {
    expect(toRow(lease({ service: null, label: 'fixture', claimed: true }), facts)).toMatchObject({
      service: null,
      label: 'fixture',
      claimed: true,
      kind: 'durable',
    });
  });

  it('diffs by id: added, changed, removed; nothing for equal rows', () => {
    const a = toRow(lease(), facts);
    const b = toRow(lease({ id: 2, port: 24001 }), facts);
    const c = toRow(lease({ id: 3, port: 24002 }), facts);
    const before = new Map<number, Row>([
      [1, a],
      [2, b],
    ]);
    const after = new Map<number, Row>([
      [1, { ...a, listening: true }],
      [3, c],
    ]);
    expect(diffRows(before, after)).toEqual({ added: [c], changed: [{ ...a, listening: true }], removed: [2] });
    expect(isEmptyDiff(diffRows(before, new Map(before)))).toBe(true);
  });

  it('shows a named lease at its URL through the server, and none before the server listens', () => {
    expect(urlOf({ ...lease(), service: 'web', app: 'shop', instance: 'default' }, 51234)).toBe('http://web.shop.localhost:51234');
    expect(urlOf({ ...lease(), service: 'web', app: 'shop', instance: 'default' }, undefined)).toBeNull();
  });
});

describe('machine facts', () => {
  it('reads LISTEN sockets from /proc/net/tcp text', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:5DC0 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1',
      '   1: 0100007F:5DC1 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 2',
      '   2: 00000000000000000000000000000000:5DC2 00000000000000000000000000000000:0000 0A 0:0 00:0 0 0 0 3',
    ].join('\n');
    expect([...listeningIn(text)].sort()).toEqual([0x5dc0, 0x5dc2]);
  });

  it('shows a command line with spaces, without control characters, cut when long', () => {
    expect(commandLine('node\0server.js\0--port\u00001\0')).toBe('node server.js --port 1');
    expect(commandLine('evil\u001b[31m\0')).toBe('evil?[31m');
    expect(commandLine('')).toBeNull();
    expect(commandLine('x'.repeat(1000))!.length).toBe(300);
  });
});

describe('checkAction', () => {
  const token = 'T'.repeat(43);
  const good = { host: ['localhost:51234'], origin: ['http://localhost:51234'], 'content-type': ['application/json'], 'x-portlease-token': [token] };

  it('lets the page itself through', () => {
    expect(checkAction(good, token)).toBeUndefined();
    expect(checkAction({ ...good, 'sec-fetch-site': ['same-origin'] }, token)).toBeUndefined();
  });

  it.each([
    ['no token', { 'x-portlease-token': undefined }],
    ['two tokens', { 'x-portlease-token': [token, token] }],
    ['a shorter token', { 'x-portlease-token': ['T'] }],
    ['another port', { origin: ['http://localhost:3000'] }],
    ['https', { origin: ['https://localhost:51234'] }],
    ['a null Origin', { origin: ['null'] }],
    ['same-site', { 'sec-fetch-site': ['same-site'] }],
    ['a form', { 'content-type': ['application/x-www-form-urlencoded'] }],
  ])('refuses %s', (_name, change) => {
    expect(checkAction({ ...good, ...change }, token)?.status).toBe(403);
  });

  it('reads the lease id of a release', () => {
    expect(releaseTarget('{"id":7}')).toBe(7);
    for (const body of ['', '{}', '{"id":0}', '{"id":1.5}', '{"id":"7"}', 'null', '[7]']) expect(releaseTarget(body)).toBeUndefined();
  });
});
