import { describe, expect, test } from 'vitest';
import { processSnapshots, remembered } from '../../src/platform/snapshot.js';
import type { ProcessInfo } from '../../src/platform/types.js';
import { fakeClocks } from './fakes.js';

/** A process table whose successive reads are scripted; start times are wall ms. */
function tables(...reads: Array<Array<[number, number]> | null>) {
  let index = 0;
  const read = () => {
    const rows = reads[Math.min(index++, reads.length - 1)];
    return rows === null || rows === undefined
      ? null
      : new Map<number, ProcessInfo>(rows.map(([pid, start]) => [pid, { pid, start: String(start), running: true }]));
  };
  return { read, count: () => index };
}

describe('processSnapshots', () => {
  const clocks = () => fakeClocks(10_000);
  const startedBy = (start: string) => Number(start);

  test('a running process is answered from the table for up to maxAge', () => {
    const time = clocks();
    const source = tables([[1, 5_000]], [[1, 5_000]]);
    const processes = processSnapshots({ read: source.read, startedBy, clocks: time, maxAgeMs: 2000 });
    processes([{ pid: 1, start: '5000' }]);
    time.advance(2000);
    processes([{ pid: 1, start: '5000' }]);
    expect(source.count()).toBe(1);
    time.advance(1);
    processes([{ pid: 1, start: '5000' }]);
    expect(source.count()).toBe(2);
  });

  test('missing is only believed from a table read after the process started', () => {
    const time = clocks();
    const source = tables(
      [[1, 5_000]],
      [
        [1, 5_000],
        [2, 10_500],
      ],
    );
    const processes = processSnapshots({ read: source.read, startedBy, clocks: time });
    processes([{ pid: 1, start: null }]); // read at 10 000
    expect(processes([{ pid: 3, start: '9000' }])?.has(3)).toBe(false);
    expect(source.count()).toBe(1);
    time.advance(600);
    expect(processes([{ pid: 2, start: '10500' }])?.get(2)?.start).toBe('10500');
    expect(source.count()).toBe(2);
  });

  test('a pid held by another process than the one asked: read again unless the table is newer', () => {
    const time = clocks();
    const source = tables([[4, 9_000]], [[4, 10_400]]);
    const processes = processSnapshots({ read: source.read, startedBy, clocks: time });
    processes([{ pid: 4, start: '8000' }]); // 4 is a newer process than asked: believed
    expect(source.count()).toBe(1);
    time.advance(500);
    expect(processes([{ pid: 4, start: '10400' }])?.get(4)?.start).toBe('10400');
    expect(source.count()).toBe(2);
  });

  test('a failing read is null and not cached', () => {
    const source = tables(null, [[1, 1]]);
    const processes = processSnapshots({ read: source.read, startedBy, clocks: clocks() });
    expect(processes([{ pid: 1, start: null }])).toBeNull();
    expect(processes([{ pid: 1, start: null }])?.has(1)).toBe(true);
  });
});

test('remembered: one read per ttl', () => {
  const time = fakeClocks(0);
  let reads = 0;
  const value = remembered(1000, time, () => ++reads);
  expect([value(), value()]).toEqual([1, 1]);
  time.advance(1001);
  expect(value()).toBe(2);
});
