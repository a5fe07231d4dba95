import { describe, expect, test } from 'vitest';
import { closest, editDistance } from '../../src/cli/suggest.js';

describe('suggest', () => {
  test('editDistance counts a swap of neighbours as one edit', () => {
    expect(editDistance('reserv', 'reserve')).toBe(1);
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  test('closest: a unique prefix, else the nearest within reach, else nothing', () => {
    expect(closest('--tll', ['--ttl', '--json'])).toBe('--ttl');
    expect(closest('--prot', ['--port', '--range'])).toBe('--port');
    expect(closest('re', ['reserve', 'release'])).toBeUndefined(); // two prefixes, too far from both
    expect(closest('rese', ['reserve', 'release'])).toBe('reserve');
    expect(closest('--nope', ['--home', '--json'])).toBeUndefined();
    expect(closest('--instnace', ['--instance', '--app'])).toBe('--instance');
    expect(closest('', ['list'])).toBeUndefined();
  });
});
