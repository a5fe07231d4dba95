import { connect } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { getOsFreePort, openRegistry } from '../src/index.js';
import { OWN_PROCESS, probePort } from '../src/probe.js';
import { bindOn, hasIpv6, onCleanup, portOf, tempHome } from './helpers.js';

const ipv6 = await hasIpv6();

/** Where another process may hold a port: every probed address, and `::` alone. */
const HOSTS: Array<[string, { ipv6Only?: boolean }]> = [
  ['127.0.0.1', {}],
  ['0.0.0.0', {}],
  ['::1', {}],
  ['::', {}],
  ['::', { ipv6Only: true }],
];

describe('a port bound by another process on any address is never handed out', () => {
  it.each(HOSTS)('bound on %s %j', async (host, options) => {
    if (host.includes(':') && !ipv6) return expect.fail('this machine has no IPv6 loopback; the IPv6 rows cannot run');
    const server = await bindOn(0, host, options);
    const port = portOf(server);
    const probe = await probePort(port);
    expect(probe.free).toBe(false);
    const registry = openRegistry({ home: tempHome() });
    await expect(registry.reserve('svc', { app: 'a', instance: 'i', port })).rejects.toMatchObject({ code: 'E_PORT_BUSY' });
    await expect(registry.reserve({ range: [port, port] })).rejects.toMatchObject({ code: 'E_NO_PORT' });
    // Claiming is the explicit way to register a port that is bound on purpose.
    expect((await registry.reserve('svc', { app: 'a', instance: 'i', port, claim: true })).port).toBe(port);
  });

  it('the source port of an outgoing connection', async () => {
    const server = await bindOn(0, '127.0.0.1');
    const socket = connect(portOf(server), '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    onCleanup(() => void socket.destroy());
    const probe = await probePort(socket.localPort!);
    expect(probe.free).toBe(false);
  });

  it('a free port probes free, and an absent address does not count as busy', async () => {
    const port = await getOsFreePort();
    expect(await probePort(port)).toEqual({ port, free: true, busyOn: [] });
  });
});

describe('getOsFreePort', () => {
  it('returns distinct bindable OS ports, honouring exclude', async () => {
    const first = await getOsFreePort();
    const second = await getOsFreePort({ exclude: [first] });
    expect(second).not.toBe(first);
    const server = await bindOn(second, '0.0.0.0');
    expect(portOf(server)).toBe(second);
  });
});

describe("in portlease's own process, the probe binds through the TCP handle, with listen()'s answers", () => {
  const own = globalThis as Record<symbol, unknown>;
  const net = process.getBuiltinModule('node:net');

  /** Plays the bin for one test (restored after it); counts the probe's listen() calls. */
  const asCli = () => {
    own[OWN_PROCESS] = true;
    const listen = vi.spyOn(net.Server.prototype, 'listen');
    onCleanup(() => {
      delete own[OWN_PROCESS];
      listen.mockRestore();
    });
    return listen;
  };

  it.each(HOSTS)('bound on %s %j: the same busy addresses and codes as listen(), and no listen() call', async (host, options) => {
    if (host.includes(':') && !ipv6) return expect.fail('this machine has no IPv6 loopback; the IPv6 rows cannot run');
    const server = await bindOn(0, host, options);
    const port = portOf(server);
    const byListen = await probePort(port);
    const listen = asCli();
    const byHandle = await probePort(port);
    expect(listen).not.toHaveBeenCalled();
    expect(byHandle).toEqual(byListen);
    expect(byHandle.free).toBe(false);
  });

  it('a free port probes free and stays bindable: every probe socket is closed', async () => {
    const listen = asCli();
    const port = await getOsFreePort();
    listen.mockClear(); // getOsFreePort's own get-port call listens; the probe must not
    expect(await probePort(port)).toEqual({ port, free: true, busyOn: [] });
    expect(await probePort(port)).toEqual({ port, free: true, busyOn: [] });
    expect(listen).not.toHaveBeenCalled();
    const server = await bindOn(port, ipv6 ? '::' : '0.0.0.0');
    expect(portOf(server)).toBe(port);
  });

  it("a long scan lets the event loop turn: other work (a server's requests) runs between probes", async () => {
    asCli();
    const ran: number[] = [];
    let probed = 0;
    const tick = () => {
      ran.push(probed);
      if (probed < 600) setImmediate(tick);
    };
    setImmediate(tick);
    const port = await getOsFreePort();
    for (; probed < 600; probed++) await probePort(port);
    // Without a turn, the first callback would run only after the 600th probe.
    expect(ran.filter((at) => at > 0 && at < 600).length).toBeGreaterThanOrEqual(3);
  });

  it('with --pending-deprecation asked for, the probe listens the ordinary way (no DEP0111 warning)', async () => {
    const listen = asCli();
    const before = process.env.NODE_PENDING_DEPRECATION;
    process.env.NODE_PENDING_DEPRECATION = '1';
    onCleanup(() => {
      if (before === undefined) delete process.env.NODE_PENDING_DEPRECATION;
      else process.env.NODE_PENDING_DEPRECATION = before;
    });
    const server = await bindOn(0, '127.0.0.1');
    const probe = await probePort(portOf(server));
    expect(probe.busyOn).toContain('127.0.0.1:EADDRINUSE');
    expect(listen).toHaveBeenCalled();
  });
});
