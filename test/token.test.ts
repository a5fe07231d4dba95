import { describe, expect, test } from 'vitest';
import { randomToken } from '../src/token.js';

describe('randomToken', () => {
  test('is 2 hex digits per byte, leading zeros kept', () => {
    for (let i = 0; i < 200; i++) {
      expect(randomToken(6)).toMatch(/^[0-9a-f]{12}$/);
      expect(randomToken(4)).toMatch(/^[0-9a-f]{8}$/);
    }
  });

  test('does not repeat within a process', () => {
    const tokens = new Set(Array.from({ length: 10_000 }, () => randomToken(6)));
    expect(tokens.size).toBe(10_000);
  });
});
