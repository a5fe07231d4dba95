import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { hashPort } from '../src/choose.js';
import { sha1, sha1Hex } from '../src/sha1.js';

const node = (text: string) => createHash('sha1').update(text).digest();

// Lengths around the padding boundaries (55/56/63/64 bytes), multi-byte UTF-8, many blocks.
const TEXTS = ['', 'abc', 'shop/main/web', 'café/東京/🎉', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(63), 'x'.repeat(64), 'é'.repeat(28), 'y'.repeat(1000)];

describe('sha1', () => {
  test('gives the standard digests (the FIPS 180 example included)', () => {
    expect(sha1Hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    for (const text of TEXTS) expect(Buffer.from(sha1(text))).toEqual(node(text));
  });

  test('agrees with node:crypto on random texts of every length up to 300', () => {
    for (let length = 0; length <= 300; length++) {
      const text = Array.from({ length }, () => String.fromCodePoint(32 + Math.floor(Math.random() * 0x2000))).join('');
      expect(sha1Hex(text)).toBe(node(text).toString('hex'));
    }
  });

  test("hashPort gives every key the port it had with node:crypto's SHA-1", () => {
    for (const key of TEXTS) {
      for (const [from, to] of [
        [20000, 29999],
        [1, 65535],
        [30000, 30000],
      ] as const) {
        expect(hashPort(key, [from, to])).toBe(from + (node(key).readUInt32BE(0) % (to - from + 1)));
      }
    }
  });
});
