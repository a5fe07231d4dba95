import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/index.js';
import { dispatch } from '../../src/http/dispatch.js';
import { matchesPrefix, resolveRoute, routeEntries, stripPrefix } from '../../src/http/resolve.js';

let nextId = 1;
function lease(service: string | null, app = 'shop', instance = 'default', extra: Partial<Lease> = {}): Lease {
  const id = nextId++;
  return { id, port: 20000 + id, app, instance, service, owner: null, expiresAt: null, createdAt: '2026-01-01T00:00:00.000Z', ...extra };
}
const target = (labels: string[], path: string, leases: Lease[]) => {
  const found = resolveRoute(labels, path, routeEntries(leases));
  if (found.kind === 'lease') return `${found.lease.service}${found.target === path ? '' : ` ${found.target}`}`;
  if (found.kind === 'ambiguous') return `ambiguous ${found.leases.map((l) => l.service).join(',')}`;
  return found.kind;
};

describe('dispatch', () => {
  const api = ['127.0.0.1:51234', 'localhost:51234', '[::1]:51234'];
  it.each([
    ['localhost:51234', 'api'],
    ['LOCALHOST:51234', 'api'],
    ['[::1]:51234', 'api'],
    ['web.shop.localhost:51234', 'app web,shop'],
    ['Web.Shop.LocalHost:51234', 'app web,shop'],
    ['web.localhost:51234', 'app web'],
    ['web.wt.shop.localhost:51234', 'app web,wt,shop'],
    ['a.b.c.d.localhost:51234', 'forbidden'],
    ['web.shop.localhost:1', 'forbidden'],
    ['web.shop.localhost', 'forbidden'],
    ['web.shop.localhost.:51234', 'forbidden'],
    ['-web.localhost:51234', 'forbidden'],
    ['we_b.localhost:51234', 'forbidden'],
    ['localhost.evil.example:51234', 'forbidden'],
    ['evil.example:51234', 'forbidden'],
    ['.localhost:51234', 'forbidden'],
  ])('%s → %s', (host, expected) => {
    const d = dispatch([host], api, 51234);
    expect(d.kind === 'app' ? `app ${d.labels.join(',')}` : d.kind).toBe(expected);
  });
  it('refuses a missing or repeated Host', () => {
    expect(dispatch(undefined, api, 51234).kind).toBe('forbidden');
    expect(dispatch(['web.localhost:51234', 'web.localhost:51234'], api, 51234).kind).toBe('forbidden');
  });
  it('takes a host without port on port 80', () => {
    expect(dispatch(['web.localhost'], [], 80)).toEqual({ kind: 'app', labels: ['web'] });
  });
});

describe('host forms', () => {
  const web = lease('web');
  const webWt = lease('web', 'shop', 'feature/x');
  const db = lease('db', 'shop', 'feature/x');
  const admin = lease('admin', 'back office');
  const anon = lease(null);
  const all = [web, webWt, db, admin, anon];
  it.each([
    [['web', 'shop'], 'web'],
    [['web', 'feature-x', 'shop'], 'web'],
    [['db', 'feature-x', 'shop'], 'db'],
    [['db', 'shop'], 'db'],
    [['admin', 'back-office'], 'admin'],
    [['admin'], 'admin'],
    [['nope', 'shop'], 'unknown'],
    [['web', 'nope', 'shop'], 'unknown'],
    [['nope'], 'unknown'],
  ])('%j → %s', (labels, expected) => expect(target(labels, '/', all)).toBe(expected));

  it('routes <service>.localhost only when the service is unique', () => {
    expect(target(['web'], '/', all)).toBe('ambiguous web,web');
    expect(target(['web'], '/', [web, db])).toBe('web');
  });

  it('reports two names that map to the same label, never picks one', () => {
    expect(target(['my-app', 'shop'], '/', [lease('my app'), lease('My-App')])).toBe('ambiguous my app,My-App');
  });

  it('prefers the default instance for <service>.<app>, and reports several other instances', () => {
    expect(target(['web', 'shop'], '/', [webWt, web])).toBe('web');
    const other = lease('web', 'shop', 'wt-2');
    expect(target(['web', 'shop'], '/', [webWt, other])).toBe('ambiguous web,web');
    expect(target(['web', 'shop'], '/', [webWt])).toBe('web');
  });

  it('never routes anonymous leases or names without a label', () => {
    expect(routeEntries([anon, lease('日本')])).toEqual([]);
  });
});

describe('path prefixes', () => {
  const front = lease('front');
  const api = lease('api', 'shop', 'default', { path: '/api' });
  const apiV2 = lease('api2', 'shop', 'default', { path: '/api/v2' });
  const admin = lease('admin', 'shop', 'default', { path: '/admin', stripPath: true });
  const all = [front, api, apiV2, admin];
  it.each([
    ['/', 'front'],
    ['/index.html', 'front'],
    ['/api', 'api'],
    ['/api/', 'api'],
    ['/api/users?x=1', 'api'],
    ['/apix', 'front'],
    ['/api/v2', 'api2'],
    ['/api/v2/x', 'api2'],
    ['/api/v20', 'api'],
    ['/API', 'front'],
    ['/admin/x?y=1', 'admin /x?y=1'],
    ['/admin', 'admin /'],
    ['/admin?y', 'admin /?y'],
  ])('%s → %s', (path, expected) => expect(target(['shop'], path, all)).toBe(expected));

  it('answers 404 when every lease is path-scoped and none matches: no fallback', () => {
    expect(target(['shop'], '/', [api, apiV2])).toBe('no-route');
    expect(target(['shop'], '/apix', [api])).toBe('no-route');
  });

  it('reports several leases without a path instead of choosing one', () => {
    expect(target(['shop'], '/', [api, front, lease('worker')])).toBe('ambiguous front,worker');
  });

  it('uses a "/" prefix as the explicit root', () => {
    expect(target(['shop'], '/x', [api, lease('root', 'shop', 'default', { path: '/' }), lease('worker')])).toBe('root');
  });

  it('serves the origin of another instance as <instance>.<app>', () => {
    const wtApi = lease('api', 'shop', 'wt', { path: '/api' });
    const wtFront = lease('front', 'shop', 'wt');
    expect(target(['wt', 'shop'], '/api/x', [front, api, wtApi, wtFront])).toBe('api');
    expect(resolveRoute(['wt', 'shop'], '/api/x', routeEntries([front, api, wtApi, wtFront]))).toMatchObject({ lease: { id: wtApi.id } });
    expect(target(['wt', 'shop'], '/', [front, api, wtApi, wtFront])).toBe('front');
  });

  it('reaches a path-scoped lease directly on its service host, path untouched', () => {
    expect(target(['admin', 'shop'], '/admin/x', all)).toBe('admin');
  });

  it('matches on segment boundaries', () => {
    expect(matchesPrefix('/api', '/api')).toBe(true);
    expect(matchesPrefix('/api/x', '/api')).toBe(true);
    expect(matchesPrefix('/apix', '/api')).toBe(false);
    expect(matchesPrefix('/anything', '/')).toBe(true);
    expect(stripPrefix('/api/x?y', '/api')).toBe('/x?y');
  });
});
