import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { port, workerPort } from 'portlease/vitest';
import { getJson, record, startServer, stopServer } from '../server.js';

/** The same checks in several files, so that several workers run at once. */
export function serverSuite(file: string): void {
  describe(file, () => {
    let server: Server | undefined;
    let own = 0;

    beforeAll(async () => {
      // This worker's own server, on a port no other worker of any vitest run has.
      own = await workerPort();
      server = await startServer(`worker ${file}`, own);
      record('worker', own);
    });
    afterAll(async () => {
      await stopServer(server);
      record('worker-end', own);
    });

    test('reaches the server started by the global setup', async () => {
      expect(port('api')).toBe(inject('portlease').ports['api']);
      expect(await getJson(port('api'))).toMatchObject({ name: 'api', port: port('api') });
    });

    test("reaches this worker's server", async () => {
      expect(await getJson(own)).toMatchObject({ name: `worker ${file}`, port: own, pid: process.pid });
      expect(await workerPort()).toBe(own); // cached for the worker
    });

    test('holds on when asked to (lets portlease tests kill a busy run)', async () => {
      const hold = Number(process.env['PORTLEASE_EXAMPLE_HOLD'] ?? 0);
      if (hold > 0) await new Promise((resolve) => setTimeout(resolve, hold));
    }, 600_000);
  });
}
