import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
import { formatDuration, parseDuration, parseRange } from '../src/validate.js';
import { registryState, tempHome } from './helpers.js';

describe('bad input is refused before any I/O', () => {
  const badPorts: unknown[] = [0, -1, 65536, 80.5, Number.NaN, '80', null, [80, 'x'], Infinity];
  const badNames: unknown[] = ['nul\0byte', 'esc\u001b[2J', 'two\nlines', 'bidi\u202eevil', 'lone\ud800', 'x'.repeat(201), '', ' \t ', 42];
  const badTtls: unknown[] = [0, -5, Number.NaN, Infinity, '90', '2 weeks', 2 ** 53, {}];
  const badRanges: unknown[] = ['30000-20000', [30000, 20000], '1-70000', '0-10', 'abc', [1], '20000'];

  it.each(badPorts)('port %s', async (port) => {
    const home = join(tempHome(), 'never-created');
    const registry = openRegistry({ home });
    const error = await registry.reserve('web', { port: port as number }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(port === null || typeof port === 'string' || Array.isArray(port) ? TypeError : RangeError);
    expect(existsSync(home)).toBe(false);
  });

  it.each(badNames)('service name %#', async (name) => {
    const home = join(tempHome(), 'never-created');
    const error = await openRegistry({ home })
      .reserve(name as string)
      .catch((caught: unknown) => caught);
    expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
    expect(existsSync(home)).toBe(false);
  });

  it.each(badTtls)('ttl %s', async (ttl) => {
    const home = join(tempHome(), 'never-created');
    const error = await openRegistry({ home })
      .reserve('web', { ttl: ttl as number })
      .catch((caught: unknown) => caught);
    expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
    expect(existsSync(home)).toBe(false);
  });

  it.each(badRanges)('range %j', async (range) => {
    const home = join(tempHome(), 'never-created');
    const error = await openRegistry({ home })
      .reserve('web', { range: range as string })
      .catch((caught: unknown) => caught);
    expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
    expect(existsSync(home)).toBe(false);
  });

  it('refuses contradictions and unknown options', async () => {
    const registry = openRegistry({ home: join(tempHome(), 'never-created') });
    await expect(registry.reserve('web', { durable: true, ttl: '1h' })).rejects.toThrow(TypeError);
    await expect(registry.reserve('web', { claim: true })).rejects.toThrow(/claim needs an explicit port/);
    await expect(registry.reserve('web', { prot: 3000 } as never)).rejects.toThrow(/Unknown option "prot"/);
    await expect(registry.reserve('web', { owner: 2 ** 22 + 7 })).rejects.toThrow(RangeError);
    await expect(registry.release({})).rejects.toThrow(/at least one of/);
    await expect(registry.release({ home: '/tmp' } as never)).rejects.toThrow(TypeError);
  });

  it('leaves an existing registry byte-for-byte as it was', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    await registry.reserve('db', { durable: true });
    const before = registryState(home);
    await expect(registry.reserve('web', { port: 0 })).rejects.toThrow(RangeError);
    await expect(registry.reserve('web\u0007')).rejects.toThrow(RangeError);
    await expect(registry.renew(1, -1)).rejects.toThrow(RangeError);
    expect(registryState(home)).toEqual(before);
  });
});

describe('parsers', () => {
  it('parses ranges and durations', () => {
    expect(parseRange('20000-20099')).toEqual([20000, 20099]);
    expect(parseRange([5, 5])).toEqual([5, 5]);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(250)).toBe(250);
    expect(formatDuration(7_200_000)).toBe('2h');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});
