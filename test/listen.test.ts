import { describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:net';
import { hashPort } from '../src/choose.js';
import { openRegistry } from '../src/index.js';
import { DEFAULT_RANGE } from '../src/defaults.js';
import { bindOn, tempHome } from './helpers.js';

// Stand-in for the race listen() exists for: a program outside portlease binds the port
// after the probe said it was free. The probe here always says "free".
vi.mock('../src/probe.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/probe.js')>()),
  probePort: async (port: number) => ({ port, free: true, busyOn: [] }),
}));

describe('listen() when another program takes the port before the bind', () => {
  it('releases that lease, marks the port, and binds another one', async () => {
    const registry = openRegistry({ home: tempHome() });
    const wanted = hashPort('shop/main/web', DEFAULT_RANGE);
    await bindOn(wanted, '0.0.0.0');
    const server = createServer();
    const lease = await registry.listen(server, 'web', { app: 'shop', instance: 'main' });
    expect(lease.port).not.toBe(wanted);
    expect((server.address() as { port: number }).port).toBe(lease.port);
    expect((await registry.list()).map((entry) => entry.port)).toEqual([lease.port]);
    await new Promise((done) => server.close(done));
    // The lease is released on 'close', in a transaction of its own: let it finish.
    await vi.waitFor(async () => expect(await registry.list()).toEqual([]), { timeout: 30_000, interval: 20 });
  });

  it('gives up with E_PORT_BUSY for an exact port', async () => {
    const registry = openRegistry({ home: tempHome() });
    const squatter = await bindOn(0, '0.0.0.0');
    const port = (squatter.address() as { port: number }).port;
    await expect(registry.listen(createServer(), 'web', { app: 'shop', instance: 'main', port })).rejects.toMatchObject({ code: 'E_PORT_BUSY' });
    expect(await registry.list()).toEqual([]);
  });
});
