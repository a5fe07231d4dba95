import { describe, expect, test } from 'vitest';
import { checkServices, pickPort, portEnvName, portsEnv, readPorts } from '../../src/testing/services.js';

describe('checkServices', () => {
  test('accepts distinct names', () => {
    expect(checkServices(['db', 'api', 'my-cache', 'search.v2'])).toEqual(['db', 'api', 'my-cache', 'search.v2']);
    expect(checkServices([])).toEqual([]);
    expect(checkServices(new Set(['db']))).toEqual(['db']);
  });

  test('refuses what is not a list of strings', () => {
    expect(() => checkServices('db')).toThrow(TypeError);
    expect(() => checkServices(undefined)).toThrow(/services must be an array/);
    expect(() => checkServices([1])).toThrow(TypeError);
  });

  test('refuses names that make no variable name or no object key, and duplicates', () => {
    expect(checkServices(['1db', 'a b'])).toEqual(['1db', 'a b']);
    expect(() => checkServices(['<&>'])).toThrow(/not a valid name: it has no letter or digit/);
    expect(() => checkServices(['a\u0007'])).toThrow(/not a valid name: it contains U\+0007/);
    expect(() => checkServices(['__proto__'])).toThrow(RangeError);
    expect(() => checkServices(['db', 'db'])).toThrow(/listed twice/);
    expect(() => checkServices(['my-db', 'my_db'])).toThrow(/both map to PORTLEASE_PORT_MY_DB/);
  });
});

describe('publishing', () => {
  test('names one variable per service and one JSON map', () => {
    expect(portEnvName('my-db.v2')).toBe('PORTLEASE_PORT_MY_DB_V2');
    expect(portsEnv({ db: 20001, api: 20002 })).toEqual({
      PORTLEASE_PORT_DB: '20001',
      PORTLEASE_PORT_API: '20002',
      PORTLEASE_PORTS: '{"db":20001,"api":20002}',
    });
  });

  test('reads back what it published and ignores garbage', () => {
    expect(readPorts(portsEnv({ db: 20001 }))).toEqual({ db: 20001 });
    expect(readPorts({})).toEqual({});
    expect(readPorts({ PORTLEASE_PORTS: '{not json' })).toEqual({});
    expect(readPorts({ PORTLEASE_PORTS: '[1]' })).toEqual({});
    expect(readPorts({ PORTLEASE_PORTS: '{"a":"1","b":70000,"c":20001}' })).toEqual({ c: 20001 });
    expect(readPorts({ PORTLEASE_PORTS: '{"__proto__":20001,"ok":20002}' })).toEqual({ ok: 20002 });
  });

  test('pickPort says what is missing and how to fix it', () => {
    expect(pickPort({ db: 20001 }, 'db', 'vitest')).toBe(20001);
    expect(() => pickPort({}, 'db', 'vitest')).toThrow(/no portlease global setup ran.*setupPorts\(\['db'\]\)/);
    expect(() => pickPort({ api: 1 }, 'db', 'jest')).toThrow(/published: api/);
    expect(() => pickPort({ api: 1 }, 'toString', 'jest')).toThrow(RangeError);
    expect(() => pickPort({}, 1 as unknown as string, 'jest')).toThrow(TypeError);
  });
});
