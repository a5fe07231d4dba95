/**
 * Names as port-registry accepts them (any non-blank string), and every mapping of a name:
 * registry key, environment variable, table cell and message, folder name → default app.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLeaseTable, describeLease, displayWidth, portVariable } from '../src/cli/output.js';
import { openRegistry, type Lease } from '../src/index.js';
import { resolveScope } from '../src/identity.js';
import { displayKey, envNamePart, keyPart, NAME_MAX_LENGTH, showName, trimName } from '../src/names.js';
import { leaseKey } from '../src/schema.js';
import { checkServices, portEnvName } from '../src/testing/services.js';
import { checkName } from '../src/validate.js';
import { ODD_NAMES, registryData, tempHome } from './helpers.js';

const NAMES = ODD_NAMES;

describe('which names are accepted', () => {
  it.each(NAMES)('%s is a name, as it is', (name) => {
    expect(checkName(name, 'service')).toBe(name);
  });

  it('trims like Go strings.TrimSpace, and only that', () => {
    expect(checkName('  web\t', 'service')).toBe('web');
    expect(trimName('\u00a0\u3000web\u2003')).toBe('web');
    // U+FEFF is not White_Space for Go: kept (JS trim() would drop it).
    expect(trimName('\ufeffweb')).toBe('\ufeffweb');
    expect(checkName('__proto__', 'app')).toBe('__proto__');
  });

  it('refuses only what cannot be stored or shown safely, stating the rule', () => {
    const rule = /use 1-200 characters, not blank, without control characters, line separators or bidi controls/;
    expect(() => checkName('   ', 'service')).toThrow(/is not a valid name: it is blank/);
    expect(() => checkName('a\u001b[2Jb', 'service')).toThrow(/it contains U\+001B/);
    expect(() => checkName('a\u0085b', 'service')).toThrow(/U\+0085/);
    expect(() => checkName('a\u2028b', 'service')).toThrow(/U\+2028/);
    expect(() => checkName('txt\u202egnp.exe', 'service')).toThrow(/U\+202E/);
    expect(() => checkName('a\ud800b', 'service')).toThrow(/U\+D800/);
    expect(() => checkName('x'.repeat(NAME_MAX_LENGTH + 1), 'service')).toThrow(/it has 201 characters/);
    expect(() => checkName('a\u0007', 'instance')).toThrow(rule);
    // Length counts characters, not UTF-16 units.
    expect(checkName('😀'.repeat(NAME_MAX_LENGTH), 'service')).toHaveLength(NAME_MAX_LENGTH * 2);
  });

  it('the error shows the refused name without its control characters', () => {
    const error = (() => {
      try {
        checkName('x\u001b]0;pwned\u0007', 'service');
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toContain('"x\\u001b]0;pwned\\u0007"');
    expect(error?.message).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe('the library with these names', () => {
  it('reserves, looks up, lists and releases each as service, app and instance', async () => {
    const registry = openRegistry({ home: tempHome() });
    for (const name of NAMES) {
      const lease = await registry.reserve(name, { app: name, instance: name, durable: true });
      expect(lease).toMatchObject({ app: name, instance: name, service: name });
      expect(await registry.lookup(name, { app: name, instance: name })).toMatchObject({ id: lease.id });
      expect(await registry.list({ app: name, instance: name, service: name })).toHaveLength(1);
    }
    expect(await registry.list()).toHaveLength(4);
    for (const name of NAMES) expect(await registry.release(name, { app: name, instance: name })).toBe(1);
    expect(await registry.list()).toEqual([]);
  });

  it('stores names trimmed, and finds them by an untrimmed filter', async () => {
    const registry = openRegistry({ home: tempHome() });
    const lease = await registry.reserve(' db ', { app: ' shop', instance: 'feature/x ', durable: true });
    expect(lease).toMatchObject({ app: 'shop', instance: 'feature/x', service: 'db' });
    expect(await registry.list({ service: 'db ' })).toHaveLength(1);
  });

  it('keeps triples apart that a plain `/` join would merge', async () => {
    const registry = openRegistry({ home: tempHome() });
    const one = await registry.reserve('c', { app: 'a/b', instance: 'x', durable: true });
    const two = await registry.reserve('x/c', { app: 'a', instance: 'b', durable: true });
    expect(one.id).not.toBe(two.id);
    expect(one.port).not.toBe(two.port);
    const file = registryData(registry.home);
    expect(file.sticky.map((entry) => entry.key).sort()).toEqual(['a%2Fb/x/c', 'a/b/x%2Fc']);
  });
});

describe('registry keys', () => {
  it('encode % and / in each part; other names keep the key they always had', () => {
    expect(NAMES.map(keyPart)).toEqual(['feature%2Flogin', 'my app', 'café', 'a<&>b']);
    expect(leaseKey('shop', 'feature/login', 'db')).toBe('shop/feature%2Flogin/db');
    expect(leaseKey('shop', 'main', 'db')).toBe('shop/main/db');
    expect(keyPart('100%')).toBe('100%25');
    // Only % or / anywhere (first, last, alone, both) takes the encoding path; the rest is kept as is.
    const cases: Array<[string, string]> = [
      ['%', '%25'],
      ['/', '%2F'],
      ['a%/b', 'a%25%2Fb'],
      ['/a%', '%2Fa%25'],
      ['%2F', '%252F'],
      ['', ''],
      ['__proto__', '__proto__'],
      ['a\\b', 'a\\b'],
    ];
    for (const [name, part] of cases) expect([name, keyPart(name)]).toEqual([name, part]);
  });
});

describe('environment variable names', () => {
  it('map each name predictably', () => {
    expect(NAMES.map(envNamePart)).toEqual(['FEATURE_LOGIN', 'MY_APP', 'CAFE', 'A_B']);
    expect(NAMES.map(portVariable)).toEqual(['FEATURE_LOGIN_PORT', 'MY_APP_PORT', 'CAFE_PORT', 'A_B_PORT']);
    expect(NAMES.map(portEnvName)).toEqual(['PORTLEASE_PORT_FEATURE_LOGIN', 'PORTLEASE_PORT_MY_APP', 'PORTLEASE_PORT_CAFE', 'PORTLEASE_PORT_A_B']);
    // Decomposed é maps like the composed one; names that were valid before map as before.
    expect(portVariable('cafe\u0301')).toBe('CAFE_PORT');
    expect(portVariable('api-gw.v2')).toBe('API_GW_V2_PORT');
    expect(portVariable('3d')).toBe('_3D_PORT');
    expect(portVariable('my__db')).toBe('MY__DB_PORT');
  });

  it('refuse a name with nothing to keep, as usage', () => {
    expect(() => portVariable('日本')).toThrow(/no letter or digit/);
    expect(() => portVariable('<&>')).toThrow(RangeError);
    expect(envNamePart('日本')).toBeUndefined();
  });

  it('setupPorts accepts the four names and refuses clashes between them', () => {
    expect(checkServices([...NAMES])).toEqual([...NAMES]);
    expect(() => checkServices(['my app', 'my-app'])).toThrow(/both map to PORTLEASE_PORT_MY_APP/);
    expect(() => checkServices(['__proto__'])).toThrow(/key of the ports object/);
    expect(() => checkServices([' db'])).toThrow(/spaces around it/);
  });
});

describe('display', () => {
  it('shows a name as it is, or JSON-quoted when it has spaces, quotes or unsafe characters', () => {
    expect(NAMES.map(showName)).toEqual(['feature/login', '"my app"', 'café', 'a<&>b']);
    expect(showName('x\u001b[31m')).toBe('"x\\u001b[31m"');
    expect(showName('a\u202eb')).toBe('"a\\u202eb"');
  });

  it('keeps the three parts of a key apart in messages', () => {
    expect(NAMES.map((name) => displayKey('shop', name, 'db'))).toEqual(['shop/"feature/login"/db', 'shop/"my app"/db', 'shop/café/db', 'shop/a<&>b/db']);
  });

  it('lines up a lease table with these names', () => {
    const lease = (id: number, name: string): Lease => ({
      id,
      port: 20000 + id,
      app: 'shop',
      instance: name,
      service: name,
      owner: null,
      expiresAt: null,
      createdAt: '2026-01-01T11:00:00Z',
    });
    const leases = [...NAMES, 'cafe\u0301', '東京'].map((name, index) => lease(index + 1, name));
    const table = formatLeaseTable(leases, { now: Date.parse('2026-01-01T12:00:00Z'), hostname: 'box' });
    const lines = table.trimEnd().split('\n');
    expect(lines[1]).toBe('1   shop  feature/login  feature/login  20001  -      never    1h ago');
    expect(lines[2]).toBe('2   shop  "my app"       "my app"       20002  -      never    1h ago');
    expect(lines[3]).toBe('3   shop  café           café           20003  -      never    1h ago');
    expect(lines[4]).toBe('4   shop  a<&>b          a<&>b          20004  -      never    1h ago');
    // Every PORT cell starts in the same terminal column.
    const portColumn = (line: string) => displayWidth(line.slice(0, line.indexOf('2000')));
    expect(new Set(lines.slice(1).map(portColumn)).size).toBe(1);
    expect(displayWidth('東京')).toBe(4);
    expect(describeLease(leases[0]!, 'box')).toBe('shop/"feature/login"/"feature/login" (id 1, port 20001, durable)');
  });
});

describe('default app from the folder name', () => {
  it('keeps a folder name that is a valid name as it is', () => {
    const root = tempHome();
    for (const folder of ['my app', 'café', 'a<&>b']) {
      const dir = join(root, folder);
      mkdirSync(dir);
      expect(resolveScope({ cwd: dir }, {})).toEqual({ app: folder, instance: 'default' });
    }
  });

  it('turns unsafe characters of a folder name into -', () => {
    const dir = join(tempHome(), 'bad\u001bname');
    mkdirSync(dir);
    expect(resolveScope({ cwd: dir }, {}).app).toBe('bad-name');
  });
});
