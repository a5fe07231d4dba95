import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWrk } from '../bench/lib/proxy-load.mjs';

/**
 * parseWrk (the proxy benchmark's reading of wrk) against real output of wrk 4.1.0 (Debian),
 * captured as-is on the bench machine from a fixture server: `wrk -t1 -cN -dNs --latency`
 * on a 200 answer (latencies in us and ms), a 404 answer (the Non-2xx line), an answer that
 * took 1.5 s (latencies in s, which wrk pads with a trailing space) and a mix of 200, 503
 * and dropped connections (the Socket errors line beside the Non-2xx one).
 */
const captured = (name: string) => readFileSync(new URL(`./fixtures/wrk/${name}`, import.meta.url), 'utf8');

describe('parseWrk', () => {
  it('reads requests/s and the 50% and 99% latencies in microseconds and milliseconds', () => {
    const parsed = parseWrk(captured('small-get.txt'));
    expect(parsed.rps).toBe(29738.73);
    expect(parsed.p50).toBeCloseTo(0.283, 9); // 283.00us
    expect(parsed.p99).toBeCloseTo(5.19, 9); // 5.19ms
    expect(parsed.bad).toBe(0);
  });

  it('takes the latency distribution, not the Thread Stats average above it', () => {
    // Avg 0.94ms and Max 47.72ms on the Latency line; the distribution says 290.00us and 25.04ms.
    const parsed = parseWrk(captured('non-2xx.txt'));
    expect(parsed.p50).toBeCloseTo(0.29, 9);
    expect(parsed.p99).toBeCloseTo(25.04, 9);
  });

  it('counts the Non-2xx or 3xx responses as bad', () => {
    const parsed = parseWrk(captured('non-2xx.txt'));
    expect(parsed.rps).toBe(31687.5);
    expect(parsed.bad).toBe(63431);
  });

  it('reads latencies printed in seconds', () => {
    const parsed = parseWrk(captured('seconds.txt'));
    expect(parsed.p50).toBeCloseTo(1500, 9); // "1.50s " with wrk's trailing space
    expect(parsed.p99).toBeCloseTo(1500, 9);
    expect(parsed.rps).toBe(2.66);
    expect(parsed.bad).toBe(0);
  });

  it('adds every socket error (connect, read, write, timeout) to the non-2xx responses', () => {
    const parsed = parseWrk(captured('socket-errors.txt'));
    expect(parsed.bad).toBe(164 + 493);
    expect(parsed.p50).toBeCloseTo(0.796, 9); // 796.00us
    expect(parsed.p99).toBeCloseTo(24.74, 9);
    expect(parsed.rps).toBe(240.8);
  });

  it('adds the socket error kinds one by one', () => {
    const out = captured('socket-errors.txt').replace('connect 0, read 164, write 0, timeout 0', 'connect 1, read 2, write 3, timeout 4');
    expect(parseWrk(out).bad).toBe(1 + 2 + 3 + 4 + 493);
  });

  it('gives NaN, not a number, for output that holds none (wrk printing its usage)', () => {
    const parsed = parseWrk('Usage: wrk <options> <url>\n  Options:\n    -c, --connections <N>  Connections to keep open\n');
    expect(parsed.rps).toBeNaN();
    expect(parsed.p50).toBeNaN();
    expect(parsed.p99).toBeNaN();
    expect(parsed.bad).toBe(0);
  });
});
