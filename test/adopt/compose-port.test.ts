import { describe, expect, test } from 'vitest';
import { parsePortEntry, type PortEntry } from '../../src/adopt/compose-port.js';

/** host→container/proto[@ip][$VAR] per mapping, or `skip: reason`. */
function show(entry: PortEntry): string[] | string {
  if (!entry.ok) return `skip: ${entry.reason}`;
  return entry.mappings.map(
    (m) => `${m.host}→${m.container}/${m.protocol}${m.hostIp ? `@${m.hostIp}` : ''}${m.variable ? `$${m.variable}` : ''}${m.name ? `#${m.name}` : ''}`,
  );
}

describe('parsePortEntry: short syntax', () => {
  test.each<[unknown, string[]]>([
    ['8080:80', ['8080→80/tcp']],
    ['8080:80/udp', ['8080→80/udp']],
    ['8080:80/TCP', ['8080→80/tcp']],
    ['127.0.0.1:8080:80', ['8080→80/tcp@127.0.0.1']],
    ['0.0.0.0:5432:5432', ['5432→5432/tcp@0.0.0.0']],
    ['[::1]:8080:80', ['8080→80/tcp@::1']],
    ['[::]:8080:80/udp', ['8080→80/udp@::']],
    ['8000-8002:8000-8002', ['8000→8000/tcp', '8001→8001/tcp', '8002→8002/tcp']],
    ['127.0.0.1:5000-5001:6000-6001/udp', ['5000→6000/udp@127.0.0.1', '5001→6001/udp@127.0.0.1']],
    [' 9229:9229 ', ['9229→9229/tcp']],
  ])('%j', (entry, expected) => {
    expect(show(parsePortEntry(entry, {}))).toEqual(expected);
  });

  test.each<[unknown, RegExp]>([
    [3000, /container port only/],
    ['3000', /container port only/],
    ['3000-3005', /container port only/],
    ['3000/udp', /container port only/],
    ['127.0.0.1::5000', /container port only/],
    ['8000-8010:80', /host range 8000-8010 for one container port/],
    ['8000-8001:80-82', /differ in length/],
    ['web:80', /host port "web" is not a port/],
    ['70000:80', /host port "70000" is not a port/],
    ['0:80', /host port "0" is not a port/],
    ['8080:http', /container port "http"/],
    [['8080:80'], /not a port entry/],
    [null, /not a port entry/],
  ])('%j is skipped', (entry, reason) => {
    expect(show(parsePortEntry(entry, {}))).toMatch(reason);
  });
});

describe('parsePortEntry: interpolation', () => {
  test('${VAR:-default} uses the default when unset or empty, and names the variable', () => {
    expect(show(parsePortEntry('${DB_PORT:-5432}:5432', {}))).toEqual(['5432→5432/tcp$DB_PORT']);
    expect(show(parsePortEntry('${DB_PORT:-5432}:5432', { DB_PORT: '' }))).toEqual(['5432→5432/tcp$DB_PORT']);
    expect(show(parsePortEntry('${DB_PORT:-5432}:5432', { DB_PORT: '15432' }))).toEqual(['15432→5432/tcp$DB_PORT']);
  });

  test('${VAR-default} keeps an empty value, which then publishes nothing', () => {
    expect(show(parsePortEntry('${DB_PORT-5432}:5432', { DB_PORT: '' }))).toMatch(/container port only/);
  });

  test('${VAR} with an IP before it', () => {
    expect(show(parsePortEntry('127.0.0.1:${WEB_PORT}:80', { WEB_PORT: '8081' }))).toEqual(['8081→80/tcp@127.0.0.1$WEB_PORT']);
    expect(show(parsePortEntry('$WEB_PORT:80', { WEB_PORT: '8081' }))).toEqual(['8081→80/tcp$WEB_PORT']);
  });

  test('variables for both the host IP and the host port', () => {
    expect(show(parsePortEntry('${BIND:-127.0.0.1}:${WEB_PORT:-8080}:80', {}))).toEqual(['8080→80/tcp@127.0.0.1$WEB_PORT']);
    expect(show(parsePortEntry('${BIND}:8080:80', { BIND: '::1' }))).toEqual(['8080→80/tcp@::1']);
  });

  test('a variable that is only part of the host port does not name it', () => {
    expect(show(parsePortEntry('80${SUFFIX}:80', { SUFFIX: '81' }))).toEqual(['8081→80/tcp']);
  });

  test('an unset variable without default is skipped with its name', () => {
    const entry = parsePortEntry('${WEB_PORT}:80', {});
    expect(entry).toMatchObject({ ok: false, variable: 'WEB_PORT' });
    expect(show(entry)).toMatch(/\$\{WEB_PORT\} is not set/);
  });

  test('${VAR:?message} unset is skipped with the message', () => {
    expect(show(parsePortEntry('${WEB_PORT:?set WEB_PORT}:80', {}))).toMatch(/required variable not set \(WEB_PORT: set WEB_PORT\)/);
  });
});

describe('parsePortEntry: long syntax', () => {
  test.each<[Record<string, unknown>, string[] | RegExp]>([
    [{ target: 80, published: 8080 }, ['8080→80/tcp']],
    [{ target: 80, published: '8080', protocol: 'udp' }, ['8080→80/udp']],
    [{ target: 80, published: 8080, host_ip: '127.0.0.1', mode: 'host' }, ['8080→80/tcp@127.0.0.1']],
    [{ target: 80, published: 8080, host_ip: '::1' }, ['8080→80/tcp@::1']],
    [{ name: 'web', target: 80, published: '8080' }, ['8080→80/tcp#web']],
    [{ target: 80, published: '8080-8081' }, /host range 8080-8081 for one container port/],
    [{ target: '80-81', published: '8080-8081' }, ['8080→80/tcp', '8081→81/tcp']],
    [{ target: 80, published: '${WEB_PORT:-8080}' }, ['8080→80/tcp$WEB_PORT']],
    [{ target: 80 }, /container port only/],
    [{ target: 80, published: '' }, /container port only/],
    [{ target: 80, published: '${WEB_PORT}' }, /WEB_PORT\} is not set/],
  ])('%j', (entry, expected) => {
    const result = show(parsePortEntry(entry, {}));
    if (expected instanceof RegExp) expect(result).toMatch(expected);
    else expect(result).toEqual(expected);
  });
});
