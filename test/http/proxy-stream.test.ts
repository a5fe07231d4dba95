/** 100 MB through the proxy in each direction, streamed: bytes intact, memory bounded. */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type Harness } from './helpers.js';
import { backend, eventually, type Backend } from './proxy-helpers.js';

const TOTAL = 100 * 1024 * 1024;
const CHUNK = 64 * 1024;
/**
 * Below the 100 MB sent: a proxy that buffered a body would exceed it. Peak external
 * memory here is mostly received chunks not yet collected (~40 MiB on this machine).
 */
const MEMORY_BOUND = 72 * 1024 * 1024;
/**
 * Bytes sent but not yet received at any moment: the proxy's buffers plus the kernel's
 * socket buffers of two loopback connections. Backpressure keeps this small.
 */
const IN_FLIGHT_BOUND = 24 * 1024 * 1024;
let sent = 0;
let received = 0;
let inFlight = 0;
function note(): void {
  inFlight = Math.max(inFlight, sent - received);
}

let harness: Harness | undefined;
let server: Backend | undefined;
afterEach(async () => {
  sent = 0;
  received = 0;
  inFlight = 0;
  await server?.close();
  await harness?.close();
});

/** Samples memory while `work` runs; resolves with its result and the peak growth of rss and external buffers. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; rss: number; buffers: number }> {
  const base = process.memoryUsage();
  let rss = 0;
  let buffers = 0;
  const sample = setInterval(() => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss - base.rss);
    buffers = Math.max(buffers, now.arrayBuffers - base.arrayBuffers);
  }, 10);
  try {
    return { result: await work(), rss, buffers };
  } finally {
    clearInterval(sample);
  }
}

/** A deterministic chunk stream: chunk i is filled with byte i % 251 (made once, before measuring). */
const CHUNKS = Array.from({ length: 251 }, (_, i) => Buffer.alloc(CHUNK, i));
function chunkAt(i: number): Buffer {
  return CHUNKS[i % 251]!;
}

describe('streaming', () => {
  it('streams a 100 MB upload to the backend', async () => {
    harness = await startServer({ timeout: 120_000 });
    server = await backend(harness, 'upload', {}, (req, res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        received += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => res.end(`${bytes} ${hash.digest('hex')}`));
    });
    const expected = createHash('sha256');
    for (let i = 0; i < TOTAL / CHUNK; i++) expected.update(chunkAt(i));
    const { result, buffers } = await measured(
      () =>
        new Promise<string>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port: harness!.server.port,
              method: 'POST',
              path: '/',
              agent: false,
              headers: { host: `upload.shop.localhost:${harness!.server.port}`, 'content-type': 'application/octet-stream' },
            },
            (res) => {
              let text = '';
              res.on('data', (chunk) => (text += chunk));
              res.on('end', () => resolve(text));
            },
          );
          req.on('error', reject);
          let i = 0;
          const pump = () => {
            while (i < TOTAL / CHUNK) {
              sent += CHUNK;
              note();
              if (!req.write(chunkAt(i++))) return void req.once('drain', pump);
            }
            req.end();
          };
          pump();
        }),
    );
    expect(result).toBe(`${TOTAL} ${expected.digest('hex')}`);
    expect(buffers).toBeLessThan(MEMORY_BOUND);
    expect(inFlight).toBeLessThan(IN_FLIGHT_BOUND);
  });

  it('streams a 100 MB download to the client', async () => {
    harness = await startServer();
    server = await backend(harness, 'download', {}, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) });
      let i = 0;
      const pump = () => {
        while (i < TOTAL / CHUNK) {
          sent += CHUNK;
          note();
          if (!res.write(chunkAt(i++))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const expected = createHash('sha256');
    for (let i = 0; i < TOTAL / CHUNK; i++) expected.update(chunkAt(i));
    const { result, buffers } = await measured(
      () =>
        new Promise<{ bytes: number; hash: string; length: string | undefined }>((resolve, reject) => {
          const req = request(
            { host: '127.0.0.1', port: harness!.server.port, path: '/', agent: false, headers: { host: `download.shop.localhost:${harness!.server.port}` } },
            (res) => {
              const hash = createHash('sha256');
              let bytes = 0;
              res.on('data', (chunk: Buffer) => {
                bytes += chunk.length;
                received += chunk.length;
                hash.update(chunk);
              });
              res.on('end', () => resolve({ bytes, hash: hash.digest('hex'), length: res.headers['content-length'] }));
            },
          );
          req.on('error', reject);
          req.end();
        }),
    );
    expect(result).toEqual({ bytes: TOTAL, hash: expected.digest('hex'), length: String(TOTAL) });
    expect(buffers).toBeLessThan(MEMORY_BOUND);
    expect(inFlight).toBeLessThan(IN_FLIGHT_BOUND);
  });
});

describe('upload time', () => {
  it('lets an upload that keeps flowing outlast the timeout, and cuts one that stalls', async () => {
    harness = await startServer({ timeout: 1000 });
    let aborted = 0;
    server = await backend(harness, 'slow-upload', {}, (req, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => res.end(String(bytes)));
      req.on('aborted', () => (aborted += 1));
    });
    const port = harness.server.port;
    const post = (chunks: number, stallAfter?: number) =>
      new Promise<string>((resolve) => {
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { host: `slow-upload.shop.localhost:${port}` } },
          (res) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve(text));
            res.on('error', () => resolve('cut'));
          },
        );
        req.on('error', () => resolve('cut'));
        let sent = 0;
        // 100 ms apart: 30 chunks take about 3 s, three times the 1 s timeout.
        const timer = setInterval(() => {
          if (sent === stallAfter) return clearInterval(timer);
          req.write('x'.repeat(100));
          sent += 1;
          if (sent === chunks) {
            clearInterval(timer);
            req.end();
          }
        }, 100);
      });
    expect(await post(30)).toBe('3000');
    expect(await post(30, 5)).toBe('cut');
    await eventually(() => aborted === 1);
  });
});
