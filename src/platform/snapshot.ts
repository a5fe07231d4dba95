/**
 * A process table read once and reused within a transaction, where reading it means
 * spawning a tool (`ps`, PowerShell). Reuse is only safe in one direction: a process seen
 * running may have exited since (its lease lives a little longer: harmless), but a
 * process missing from an old table may have started after it was read (judging it dead
 * would steal a live lease). So a pid is reported missing only by a table read after the
 * queried process started; otherwise the table is read again, once.
 */
import type { ProcessInfo, ProcessQuery } from './types.js';

/** Clocks of a {@link processSnapshots} cache (tests pass fake ones). */
export interface Clocks {
  /** Wall clock, ms since the epoch (what process start times are measured in). */
  wall(): number;
  /** Monotonic clock, ms (what the table's age is measured in). */
  mono(): number;
}

/** Options of {@link processSnapshots}. */
export interface SnapshotOptions {
  /** Reads the whole table; `null` when the tool failed. */
  read: () => Map<number, ProcessInfo> | null;
  /** The latest wall-clock ms at which a process with this start time could have started; `null` when unknown. */
  startedBy: (start: string) => number | null;
  clocks: Clocks;
  /** How long a table may be reused: about one transaction. @default 2000 */
  maxAgeMs?: number;
}

/**
 * A batched, cached process look-up for {@link Platform.processes}.
 *
 * @example
 * const processes = processSnapshots({ read: readPs, startedBy, clocks });
 * processes([{ pid: 42, start: '1700000000' }]);
 */
export function processSnapshots(options: SnapshotOptions): (queries: readonly ProcessQuery[]) => Map<number, ProcessInfo> | null {
  const maxAge = options.maxAgeMs ?? 2000;
  let cached: { readAt: number; takenAt: number; table: Map<number, ProcessInfo> } | undefined;

  const answers = (table: Map<number, ProcessInfo>, readAt: number, query: ProcessQuery): boolean => {
    const info = table.get(query.pid);
    if (info !== undefined && (query.start === null || info.start === null || info.start === query.start)) return true;
    // Missing (or another process on that pid): only trusted when read after the queried process began.
    const by = query.start === null ? null : options.startedBy(query.start);
    return by !== null && by < readAt;
  };

  return (queries) => {
    let current = cached;
    if (current !== undefined && options.clocks.mono() - current.takenAt > maxAge) current = undefined;
    if (current === undefined || !queries.every((query) => answers(current!.table, current!.readAt, query))) {
      const readAt = options.clocks.wall();
      const takenAt = options.clocks.mono();
      const table = options.read();
      if (table === null) return null;
      cached = current = { readAt, takenAt, table };
    }
    const found = new Map<number, ProcessInfo>();
    for (const { pid } of queries) {
      const info = current.table.get(pid);
      if (info !== undefined) found.set(pid, info);
    }
    return found;
  };
}

/**
 * A monotonic clock in ms. Not `performance.now()`: the first touch of that global loads
 * node:perf_hooks, about 0.6 ms of every CLI start.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Real clocks. */
export const systemClocks: Clocks = { wall: () => Date.now(), mono: monotonicMs };

/**
 * Remembers `read()` for `ttlMs` (per call site): facts such as port ranges change rarely,
 * and each read may spawn a tool.
 *
 * @example
 * const range = remembered(60_000, systemClocks, () => readRange());
 */
export function remembered<T>(ttlMs: number, clocks: Clocks, read: () => T): () => T {
  let cached: { at: number; value: T } | undefined;
  return () => {
    const now = clocks.mono();
    if (cached === undefined || now - cached.at > ttlMs) cached = { at: now, value: read() };
    return cached.value;
  };
}
