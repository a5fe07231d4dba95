import { describe, expect, it } from 'vitest';
import { candidates, hashPort } from '../src/choose.js';

const base = { range: [100, 109] as const, blocked: new Set<number>(), reserved: new Set<number>(), random: 0 };

describe('candidates', () => {
  it('tries the sticky port first, then walks from the key hash, wrapping around', () => {
    const start = hashPort('a/b/c', base.range);
    const order = [...candidates({ ...base, key: 'a/b/c', sticky: 105 })];
    expect(order[0]).toBe(105);
    expect(order[1]).toBe(start === 105 ? ((start - 100 + 1) % 10) + 100 : start);
    expect(new Set(order).size).toBe(10);
  });

  it('skips blocked ports and pushes other keys’ remembered ports to the end', () => {
    const order = [...candidates({ ...base, blocked: new Set([100, 101]), reserved: new Set([102]), random: 0 })];
    expect(order).toEqual([103, 104, 105, 106, 107, 108, 109, 102]);
  });

  it('keeps an exact list as given, minus blocked ports', () => {
    expect([...candidates({ ...base, exact: [5, 3000, 7], blocked: new Set([3000]) })]).toEqual([5, 7]);
  });

  it('hashes the same key to the same port on every call', () => {
    expect(hashPort('shop/default/web', [20000, 29999])).toBe(hashPort('shop/default/web', [20000, 29999]));
    expect(hashPort('shop/default/web', [20000, 29999])).not.toBe(hashPort('shop/default/api', [20000, 29999]));
  });
});

describe('hashPort golden values', () => {
  // Every user's sticky first port comes from this function: a change here moves every
  // named service of every project to another port on its next first reserve. If this test
  // fails, the change must be deliberate, announced in CHANGELOG.md, and these values updated.
  it.each([
    ['shop/default/web', 23476],
    ['shop/default/postgres', 24478],
    ['my app/feature%2Flogin/caf\u00e9', 24923],
  ])('%s', (key, port) => {
    expect(hashPort(key, [20000, 29999])).toBe(port);
  });
});
