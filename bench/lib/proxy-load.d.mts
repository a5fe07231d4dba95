/**
 * Types of proxy-load.mjs for the TypeScript that imports it (test/bench-parse-wrk.test.ts):
 * the bench itself is plain JavaScript and not type-checked.
 */

/** What one load-generator cell measured: requests/s, p50/p99 in ms, failed responses and errors. */
export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  bad: number;
}

/** A cell of `wrk --latency` output, parsed; NaN for numbers the output does not hold. */
export function parseWrk(out: string): LoadResult;

/** A load generator of the proxy benchmark. */
export interface Generator {
  name: string;
  load(cell: {
    port: number;
    host: string;
    path: string;
    connections: number;
    duration: number;
  }): Promise<LoadResult & { cpu: number; wall: number; inProcess?: boolean }>;
}

/** The generators this machine has, lightest first (wrk when on PATH, then autocannon). */
export function generators(): Generator[];
