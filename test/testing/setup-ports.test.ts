/**
 * The runner-facing factories, called the way the runners call them (in this process).
 * The end-to-end proof with real runners is in vitest.test.ts and jest.test.ts.
 */
import { describe, expect, expectTypeOf, inject, test } from 'vitest';
import { openRegistry } from '../../src/index.js';
import * as jestSide from '../../src/testing/jest.js';
import { setupPorts as jestSetupPorts, teardownPorts } from '../../src/testing/jest-setup.js';
import jestTeardown from '../../src/testing/jest-teardown.js';
import { port, workerLease, workerPort, type PortleaseContext } from '../../src/testing/vitest.js';
import { setupPorts } from '../../src/testing/vitest-setup.js';
import { tempHome } from '../helpers.js';

describe('portlease/vitest/setup setupPorts', () => {
  test('provides plain leases, and teardown releases them', async () => {
    const home = tempHome();
    const provided: unknown[] = [];
    const setup = setupPorts(['db', 'api'], { home, env: false });
    const teardown = await setup({ provide: (key, value) => provided.push([key, structuredClone(value)]) });
    const [[key, value]] = provided as [[string, PortleaseContext]];
    expect(key).toBe('portlease');
    expect(Object.keys(value.ports)).toEqual(['db', 'api']);
    expect(value.leases.db?.port).toBe(value.ports.db);
    expect(await openRegistry({ home }).list()).toHaveLength(2);
    await teardown();
    expect(await openRegistry({ home }).list()).toEqual([]);
  });

  test('a second setup without teardown (vitest restart) does not leak', async () => {
    const home = tempHome();
    const setup = setupPorts(['db'], { home, env: false });
    await setup({ provide() {} });
    const teardown = await setup({ provide() {} });
    expect(await openRegistry({ home }).list()).toHaveLength(1);
    await teardown();
    expect(await openRegistry({ home }).list()).toEqual([]);
  });

  test('checks names when the config loads, not when vitest runs it', () => {
    expect(() => setupPorts(['ok', 'not\u0007ok'])).toThrow(RangeError);
  });

  test('port() falls back to the published environment, and says what is missing', () => {
    // Nothing provided in this run: inject('portlease') is undefined here.
    expect(inject('portlease')).toBeUndefined();
    expect(() => port('db')).toThrow(/no portlease global setup ran/);
    process.env['PORTLEASE_PORTS'] = '{"db":23456}';
    try {
      expect(port('db')).toBe(23456);
    } finally {
      delete process.env['PORTLEASE_PORTS'];
    }
    expectTypeOf(inject('portlease')).toEqualTypeOf<PortleaseContext>();
  });

  test('workerPort() is one lease per worker and label', async () => {
    const home = tempHome();
    const first = await workerPort('unit worker', { home });
    expect(await workerPort('unit worker', { home })).toBe(first);
    const lease = await workerLease('unit worker', { home });
    expect(lease).toMatchObject({ port: first, label: 'unit worker', service: null });
    expect((await openRegistry({ home }).list()).map((live) => live.port)).toEqual([first]);
    // Released by vitest's worker cleanup when this worker stops (covered end to end).
  });
});

describe('portlease/jest setup and teardown', () => {
  test('publish to the environment, read back by port(), released by the teardown', async () => {
    const home = tempHome();
    const before = { ...process.env };
    const setup = jestSetupPorts(['db', 'cache'], { home });
    await setup({}, {});
    try {
      expect(jestSide.port('db')).toBe(Number(process.env['PORTLEASE_PORT_DB']));
      expect(jestSide.port('cache')).not.toBe(jestSide.port('db'));
      expect(() => jestSide.port('nope')).toThrow(/published: db, cache/);
      // In band, a worker lease belongs to the main process: the teardown releases it too.
      const own = await jestSide.workerPort();
      expect(await jestSide.workerPort()).toBe(own);
      expect(await openRegistry({ home }).list()).toHaveLength(3);
    } finally {
      await jestTeardown();
    }
    expect(await openRegistry({ home }).list()).toEqual([]);
    expect(process.env['PORTLEASE_PORTS']).toBe(before['PORTLEASE_PORTS']);
    expect(process.env['PORTLEASE_HOME']).toBe(before['PORTLEASE_HOME']);
    expect(jestTeardown).toBe(teardownPorts);
    await teardownPorts(); // nothing held: a no-op
  });
});
