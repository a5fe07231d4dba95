import { describe, expect, test } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { releaseWorkerLeases, workerLease, type WorkerLeases } from '../../src/testing/worker-lease.js';
import { tempHome } from '../helpers.js';

describe('workerLease', () => {
  test('reserves once per label and caches, even for concurrent calls', async () => {
    const home = tempHome();
    const cache: WorkerLeases = new Map();
    const created: number[] = [];
    const [a, b] = await Promise.all([
      workerLease(cache, 'w', { home }, (lease) => created.push(lease.port)),
      workerLease(cache, 'w', { home }, (lease) => created.push(lease.port)),
    ]);
    expect(a).toBe(b);
    expect(created).toEqual([a.port]);
    const other = await workerLease(cache, 'other', { home });
    expect(other.port).not.toBe(a.port);
    expect(a).toMatchObject({ service: null, label: 'w' });
    expect(a.owner?.pid).toBe(process.pid);

    await releaseWorkerLeases(cache);
    expect(cache.size).toBe(0);
    expect(await openRegistry({ home }).list()).toEqual([]);
  });

  test('does not cache a failure', async () => {
    const home = tempHome();
    const cache: WorkerLeases = new Map();
    await expect(workerLease(cache, 'w', { home, range: 'nonsense' as never })).rejects.toThrow(RangeError);
    expect(cache.size).toBe(0);
    const lease = await workerLease(cache, 'w', { home });
    expect(lease.port).toBeGreaterThan(0);
    await releaseWorkerLeases(cache);
  });

  test('refuses an empty label', () => {
    expect(() => workerLease(new Map(), '', {})).toThrow(TypeError);
  });
});
