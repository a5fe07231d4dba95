/**
 * SHA-1 of a short text, in JavaScript. The registry hashes a few short names per write
 * (a key's first port, the tags in lock and temp file names); node:crypto would cost a
 * CLI call that makes a lease ~1.7 ms just to load (it pulls in the stream modules and a
 * dozen crypto modules), where hashing 100 bytes here takes microseconds. The digests are
 * the standard ones: ports and names on disk stay what node:crypto made them.
 */

/** The round constants of SHA-1, one per 20 rounds. */
const K = [0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6];

/** The 20-byte SHA-1 digest of `text` (UTF-8). */
export function sha1(text: string): Uint8Array {
  const data = new TextEncoder().encode(text);
  // Padding: 0x80, zeros, then the bit length in the last 8 bytes of a 64-byte block.
  const blocks = Math.ceil((data.length + 9) / 64);
  const bytes = new Uint8Array(blocks * 64);
  bytes.set(data);
  bytes[data.length] = 0x80;
  const view = new DataView(bytes.buffer);
  view.setUint32(bytes.length - 8, Math.floor(data.length / 0x20000000));
  view.setUint32(bytes.length - 4, (data.length * 8) >>> 0);

  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let block = 0; block < bytes.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      // Rounds 0–19 choose, 40–59 take the majority, the others xor.
      const f = i < 20 ? (b & c) | (~b & d) : i >= 40 && i < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
      const next = (((a << 5) | (a >>> 27)) + f + e + K[Math.floor(i / 20)]! + w[i]!) >>> 0;
      e = d;
      d = c;
      c = ((b << 30) | (b >>> 2)) >>> 0;
      b = a;
      a = next;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }
  const digest = new Uint8Array(20);
  const out = new DataView(digest.buffer);
  for (const [index, word] of [h0, h1, h2, h3, h4].entries()) out.setUint32(index * 4, word);
  return digest;
}

/** The SHA-1 digest of `text` as lowercase hex. */
export function sha1Hex(text: string): string {
  let hex = '';
  for (const byte of sha1(text)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
