/**
 * The registry validator (src/schema.ts) and its time check (src/iso-time.ts), rewritten
 * for speed in issue 13, held to what they replaced: for every input, hostile ones above
 * all, the same verdict and the same reason as the validator before
 * (test/fixtures/reference-validate.ts) and the regular expression before.
 */
import { describe, expect, it } from 'vitest';
import { isIsoTime } from '../src/iso-time.js';
import { validateRegistry } from '../src/schema.js';
import { referenceValidate } from './fixtures/reference-validate.js';

/** The check isIsoTime replaced. */
const ISO_TIME = /^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z$/;
const regexTime = (value: unknown) => typeof value === 'string' && ISO_TIME.test(value);

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('isIsoTime', () => {
  const valid = ['2026-12-01T21:33:46.545Z', '2026-12-01T21:33:46Z', '0000-00-00T00:00:00.0Z', '9999-19-39T29:59:59.123456789Z', '2026-19-39T29:59:59Z'];

  it('accepts what toISOString() writes, and the shapes the regular expression accepted', () => {
    for (let i = 0; i < 200; i++) expect(isIsoTime(new Date(Math.floor(Math.random() * 4e12)).toISOString())).toBe(true);
    for (const time of valid) expect([time, isIsoTime(time)]).toEqual([time, true]);
  });

  it('refuses non-strings and every wrong shape, exactly as the regular expression did', () => {
    const hostile: unknown[] = [null, undefined, 0, 1.5, Number.NaN, true, {}, [], ['2026-12-01T21:33:46Z'], new Date(), Object('2026-12-01T21:33:46Z')];
    for (const value of hostile) expect(isIsoTime(value)).toBe(false);
    const samples = [
      '',
      'yesterday',
      '2026-12-01',
      '2026-12-01T21:33:46',
      '2026-12-01T21:33:46.Z',
      '2026-12-01T21:33:46.1234567890Z',
      '2026-12-01T21:33:46.545Z\n',
      '\n2026-12-01T21:33:46.545Z',
      ' 2026-12-01T21:33:46Z',
      '2026-12-01t21:33:46Z',
      '2026-12-01T21:33:46z',
      '2026-12-01T21:33:46+00:00',
      '-2026-12-01T21:33:46Z',
      '+002026-12-01T21:33:46.000Z',
      '2026-12-01T21:33:46.54aZ',
      '２０２６-12-01T21:33:46Z',
      '2026-12-01T21:33:4٦Z',
    ];
    for (const time of samples) expect([time, isIsoTime(time)]).toEqual([time, regexTime(time)]);
  });

  it('agrees with the regular expression on every one-character change of valid times, and on random strings', () => {
    // Characters on both sides of each class's bounds, and look-alikes.
    const alphabet = '/0123456789:;-.TZtzS \u0660\uff10\u0000\uffff+';
    let checked = 0;
    for (const time of valid) {
      for (let at = 0; at <= time.length; at++) {
        for (const char of alphabet) {
          for (const mutated of [
            time.slice(0, at) + char + time.slice(at + 1),
            time.slice(0, at) + char + time.slice(at),
            time.slice(0, at) + time.slice(at + 1),
          ]) {
            expect([mutated, isIsoTime(mutated)]).toEqual([mutated, regexTime(mutated)]);
            checked++;
          }
        }
      }
    }
    const random = prng(13);
    for (let i = 0; i < 20_000; i++) {
      const length = Math.floor(random() * 32);
      let text = '';
      for (let k = 0; k < length; k++) text += alphabet[Math.floor(random() * alphabet.length)];
      expect([text, isIsoTime(text)]).toEqual([text, regexTime(text)]);
    }
    expect(checked).toBeGreaterThan(3000);
  });
});

type Json = Record<string, unknown>;

const owner = { pid: 4242, start: '123', boot: 'b', ns: null, host: 'h' };

/** A valid registry with every kind of lease, its ids not all ascending (a hand edit). */
function base(): Json {
  return {
    schema: 1,
    rev: 7,
    nextId: 40,
    lineage: ['aa', 'bb'],
    leases: [
      { id: 3, port: 21000, app: 'shop', instance: 'main', service: 'web', owner, expiresAt: null, createdAt: '2026-01-01T00:00:00.000Z' },
      {
        id: 5,
        port: 21001,
        app: 'shop',
        instance: 'main',
        service: null,
        label: 'x',
        owner: null,
        expiresAt: '2026-01-01T02:00:00.000Z',
        ttl: 7_200_000,
        createdAt: '2026-01-01T00:00:00Z',
      },
      { id: 9, port: 21002, app: 'a/b', instance: 'c', service: 's', owner: null, expiresAt: null, createdAt: '2026-01-01T00:00:00.1Z', claimed: true },
      {
        id: 7,
        port: 21003,
        app: 'a',
        instance: 'b/c',
        service: 's',
        owner: null,
        expiresAt: null,
        createdAt: '2026-01-01T00:00:00.000Z',
        path: '/api',
        stripPath: true,
      },
      { id: 12, port: 21004, app: 'shop', instance: 'main', service: 'db', owner: null, expiresAt: null, createdAt: '2026-01-01T00:00:00.000Z' },
      { id: 11, port: 21005, app: 'a%2Fb', instance: 'c', service: 's', owner, expiresAt: null, createdAt: '2026-01-01T00:00:00.000Z' },
    ],
    sticky: [
      { key: 'shop/main/web', port: 21000 },
      { key: 'shop/main/db', port: 21004 },
    ],
  };
}

const clone = (value: Json): Json => JSON.parse(JSON.stringify(value)) as Json;
const leasesOf = (data: Json) => data['leases'] as Json[];

/** Both validators' verdicts on `data`, for one toEqual. */
function verdicts(data: unknown): { now: unknown; before: unknown } {
  const show = (result: unknown) => (typeof result === 'object' && result !== null && 'kind' in result ? result : 'valid');
  return { now: show(validateRegistry(data)), before: show(referenceValidate(data)) };
}

function expectSame(data: unknown, label: string): void {
  const { now, before } = verdicts(data);
  expect({ label, verdict: now }).toEqual({ label, verdict: before });
}

/** Values no field should take, or only some fields. */
const HOSTILE: unknown[] = [
  null,
  undefined,
  '',
  'x',
  '__proto__',
  0,
  -1,
  1.5,
  2 ** 53,
  2 ** 53 - 1,
  65535,
  65536,
  1e308,
  -0,
  Number.NaN,
  Infinity,
  true,
  false,
  {},
  [],
  [1],
  { pid: 1 },
  '2026-01-01T00:00:00.000Z',
  '/api',
  '/api/',
  '/../x',
];
const LEASE_FIELDS = ['id', 'port', 'app', 'instance', 'service', 'label', 'owner', 'expiresAt', 'ttl', 'createdAt', 'claimed', 'path', 'stripPath'];
const OWNER_FIELDS = ['pid', 'start', 'boot', 'ns', 'host'];

describe('validateRegistry refuses what it refused, with the same reason', () => {
  it('accepts the valid base, as before', () => {
    expect('kind' in validateRegistry(base())).toBe(false);
    expect(verdicts(base())).toEqual({ now: 'valid', before: 'valid' });
  });

  it('every field of a lease and of an owner missing, or set to each hostile value', () => {
    let checked = 0;
    for (let index = 0; index < leasesOf(base()).length; index++) {
      for (const field of LEASE_FIELDS) {
        const missing = clone(base());
        delete leasesOf(missing)[index]![field];
        expectSame(missing, `lease ${index} without ${field}`);
        for (const value of HOSTILE) {
          const data = clone(base());
          leasesOf(data)[index]![field] = value;
          expectSame(data, `lease ${index} ${field} = ${String(value)}`);
          checked++;
        }
      }
      for (const field of OWNER_FIELDS) {
        for (const value of [...HOSTILE, 'missing']) {
          const data = clone(base());
          const lease = leasesOf(data)[index]!;
          lease['owner'] = { ...owner };
          if (value === 'missing') delete (lease['owner'] as Json)[field];
          else (lease['owner'] as Json)[field] = value;
          expectSame(data, `lease ${index} owner.${field} = ${String(value)}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('top-level fields missing or hostile, extra fields, and leases or sticky entries that are no objects', () => {
    for (const field of ['schema', 'rev', 'nextId', 'lineage', 'leases', 'sticky']) {
      const missing = clone(base());
      delete missing[field];
      expectSame(missing, `without ${field}`);
      for (const value of [...HOSTILE, 2, 1, ['a', 1], Array.from({ length: 65 }, () => 't')]) {
        const data = clone(base());
        data[field] = value;
        expectSame(data, `${field} = ${String(value)}`);
      }
    }
    for (const value of HOSTILE) {
      expectSame({ ...clone(base()), leases: [...leasesOf(clone(base())), value] }, `a lease ${String(value)}`);
      expectSame({ ...clone(base()), sticky: [value] }, `a sticky entry ${String(value)}`);
      expectSame({ ...clone(base()), sticky: [{ key: value, port: 1 }] }, `a sticky key ${String(value)}`);
      expectSame({ ...clone(base()), sticky: [{ key: 'k', port: value }] }, `a sticky port ${String(value)}`);
    }
    for (const value of [null, 'x', 1, [], [1], true]) expectSame(value, `top level ${String(value)}`);
    // Fields the schema does not name were accepted before (the published schema is open), and still are.
    const extra = clone(base());
    extra['extra'] = { deep: [1] };
    (leasesOf(extra)[0]!['owner'] as Json)['extra'] = 1;
    leasesOf(extra)[1]!['extra'] = 'x';
    expect(verdicts(extra)).toEqual({ now: 'valid', before: 'valid' });
  });

  it('prototype keys: __proto__, constructor and the like as fields, names and values', () => {
    const hostileJson = [
      '{"__proto__": {"schema": 1}, "rev": 1, "nextId": 2, "leases": [], "sticky": []}',
      '{"schema": 1, "rev": 1, "nextId": 2, "leases": {"__proto__": []}, "sticky": []}',
      '{"schema": 1, "rev": 1, "nextId": 9, "leases": [{"__proto__": {"id": 1, "port": 21000}, "app": "a", "instance": "i", "service": null, "owner": null, "expiresAt": null, "createdAt": "2026-01-01T00:00:00Z"}], "sticky": []}',
      '{"schema": 1, "rev": 1, "nextId": 9, "leases": [{"id": 1, "port": 21000, "app": "a", "instance": "i", "service": null, "owner": {"__proto__": {"pid": 1, "host": "h"}, "start": null, "boot": null, "ns": null}, "expiresAt": null, "createdAt": "2026-01-01T00:00:00Z"}], "sticky": []}',
    ];
    for (const text of hostileJson) {
      expectSame(JSON.parse(text), text);
      expect('kind' in validateRegistry(JSON.parse(text))).toBe(true);
    }
    // Names that are prototype keys are ordinary names: a key set keyed by them must not
    // confuse two of them, nor find one that was never added.
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__']) {
      const data = clone(base());
      const leases = leasesOf(data);
      leases[0]!['app'] = name;
      leases[1]!['instance'] = name;
      leases[2]!['service'] = name;
      expectSame(data, `names ${name}`);
      expect('kind' in validateRegistry(data)).toBe(false);
      leases[4]!['app'] = name;
      leases[4]!['instance'] = 'main';
      leases[4]!['service'] = 'web';
      expectSame(data, `names ${name}, twice`);
      expect(validateRegistry(data)).toEqual({ kind: 'corrupt', reason: `service ${name}/main/web is leased twice` });
    }
  });

  it('duplicate ids (ascending or not), ids at or past nextId, duplicate ports and duplicate services', () => {
    const cases: Array<[string, (data: Json) => void, string]> = [
      ['an id repeated right after itself', (data) => (leasesOf(data)[1]!['id'] = 3), 'lease id 3 is repeated or not below nextId'],
      ['an id repeated after a descent', (data) => (leasesOf(data)[4]!['id'] = 9), 'lease id 9 is repeated or not below nextId'],
      ['an id repeated far back', (data) => (leasesOf(data)[5]!['id'] = 3), 'lease id 3 is repeated or not below nextId'],
      ['an id equal to nextId', (data) => (leasesOf(data)[2]!['id'] = 40), 'lease id 40 is repeated or not below nextId'],
      ['an id past nextId', (data) => (leasesOf(data)[0]!['id'] = 2 ** 53 - 1), `lease id ${2 ** 53 - 1} is repeated or not below nextId`],
      ['a port leased twice', (data) => (leasesOf(data)[5]!['port'] = 21000), 'port 21000 is leased twice'],
      [
        'port 65535 leased twice',
        (data) => {
          for (const index of [0, 3]) leasesOf(data)[index]!['port'] = 65535;
        },
        'port 65535 is leased twice',
      ],
      ['a service leased twice', (data) => (leasesOf(data)[4]!['service'] = 'web'), 'service shop/main/web is leased twice'],
      ['a service with / leased twice', (data) => Object.assign(leasesOf(data)[3]!, { app: 'a/b', instance: 'c' }), 'service a%2Fb/c/s is leased twice'],
      [
        'an id and a port both repeated: the id is told',
        (data) => Object.assign(leasesOf(data)[4]!, { id: 3, port: 21000 }),
        'lease id 3 is repeated or not below nextId',
      ],
    ];
    for (const [label, spoil, reason] of cases) {
      const data = clone(base());
      spoil(data);
      expectSame(data, label);
      expect({ label, result: validateRegistry(data) }).toEqual({ label, result: { kind: 'corrupt', reason } });
    }
    // Keys that only an unescaped join would confuse are distinct: a/b + c and a + b/c, a%2Fb + c.
    expect('kind' in validateRegistry(base())).toBe(false);
  });

  it('random registries with random damage: the same verdict and reason as before', () => {
    const random = prng(2026);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const names = ['a', 'b', 'a/b', 'b/c', 'a%2Fb', '__proto__', 'constructor', ''];
    let refused = 0;
    for (let round = 0; round < 1500; round++) {
      const count = Math.floor(random() * 12);
      const leases: Json[] = [];
      let id = 1 + Math.floor(random() * 3);
      for (let i = 0; i < count; i++) {
        id += random() < 0.15 ? -Math.floor(random() * 4) : 1 + Math.floor(random() * 3);
        leases.push({
          id,
          port: 20000 + Math.floor(random() * 20),
          app: pick(names),
          instance: pick(names),
          service: random() < 0.3 ? null : pick(names),
          owner: random() < 0.5 ? null : { ...owner },
          expiresAt: random() < 0.7 ? null : '2026-01-01T00:00:00.000Z',
          createdAt: '2026-01-01T00:00:00.000Z',
        });
      }
      const data: Json = { schema: 1, rev: round, nextId: id + Math.floor(random() * 3) - 1, leases, sticky: [] };
      if (random() < 0.3 && leases.length > 0) {
        const lease = pick(leases);
        const field = pick(LEASE_FIELDS);
        if (random() < 0.3) delete lease[field];
        else lease[field] = pick(HOSTILE);
      }
      expectSame(data, `round ${round}`);
      if ('kind' in validateRegistry(data)) refused++;
    }
    // Both kinds of verdict were exercised.
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(1400);
  });

  it('a large registry portlease would write (10,000 named leases) is accepted, a repeat at its end refused', () => {
    const leases = Array.from({ length: 10_000 }, (_, i) => ({
      id: i + 1,
      port: 30000 + i,
      app: 'fill',
      instance: 'default',
      service: `svc-${i}`,
      owner: null,
      expiresAt: null,
      createdAt: '2026-01-01T00:00:00.000Z',
    }));
    const data: Json = { schema: 1, rev: 1, nextId: 10_001, leases, sticky: [] };
    expect('kind' in validateRegistry(data)).toBe(false);
    leases.push({ ...leases[17]!, id: 10_001, port: 29999 });
    data['nextId'] = 10_002;
    expect(validateRegistry(data)).toEqual({ kind: 'corrupt', reason: 'service fill/default/svc-17 is leased twice' });
    expectSame(data, 'the repeat at the end');
  });
});
