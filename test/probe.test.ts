import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { getOsFreePort, openRegistry } from '../src/index.js';
import { OWN_PROCESS, probePort } from '../src/probe.js';
import { bindOn, hasIpv6, onCleanup, portOf, tempHome } from './helpers.js';

const ipv6 = await hasIpv6();

describe('a port bound by another process on any address is never handed out', () => {
  const hosts: Array<[string, { ipv6Only?: boolean }]> = [
    ['127.0.0.1', {}],
    ['0.0.0.0', {}],
    ['::1', {}],
    ['::', {}],
    ['::', { ipv6Only: true }],
  ];
  it.each(hosts)('bound on %s %j', async (host, options) => {
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

describe("in portlease's own process, the probe answers its literal addresses without dns.lookup", () => {
  const dns = process.getBuiltinModule('node:dns');
  const own = globalThis as Record<symbol, unknown>;

  /** Counts dns.lookup's calls (restored after the test); with `asCli`, this process plays the bin. */
  const watchLookup = (asCli: boolean) => {
    const original = dns.lookup;
    const calls: string[] = [];
    const mine = ((hostname: string, ...rest: unknown[]) => {
      calls.push(hostname);
      return Reflect.apply(original, dns, [hostname, ...rest]);
    }) as unknown as typeof dns.lookup;
    dns.lookup = mine;
    if (asCli) own[OWN_PROCESS] = true;
    onCleanup(() => {
      dns.lookup = original;
      delete own[OWN_PROCESS];
    });
    return { calls, mine };
  };

  it("in a library user's process, dns.lookup is left alone: listen() calls it as usual", async () => {
    const port = await getOsFreePort();
    const { calls } = watchLookup(false);
    expect(await probePort(port)).toEqual({ port, free: true, busyOn: [] });
    expect(calls.length).toBeGreaterThanOrEqual(3);
  });

  it('leaves dns.lookup as it found it, patched or not, and never calls it for a probe', async () => {
    const port = await getOsFreePort();
    const { calls, mine } = watchLookup(true);
    expect(await probePort(port)).toEqual({ port, free: true, busyOn: [] });
    expect(dns.lookup).toBe(mine);
    expect(calls).toEqual([]);
    // Other names still resolve through it.
    await new Promise<void>((done, fail) => dns.lookup('localhost', (error) => (error ? fail(error) : done())));
    expect(calls).toEqual(['localhost']);
  });

  it('a dns module whose lookup cannot be replaced gets the ordinary listen, with the same answers', async () => {
    own[OWN_PROCESS] = true;
    onCleanup(() => {
      delete own[OWN_PROCESS];
    });
    const descriptor = Object.getOwnPropertyDescriptor(dns, 'lookup')!;
    Object.defineProperty(dns, 'lookup', { ...descriptor, writable: false });
    onCleanup(() => {
      Object.defineProperty(dns, 'lookup', descriptor);
    });
    const free = await getOsFreePort();
    expect(await probePort(free)).toEqual({ port: free, free: true, busyOn: [] });
    const host = ipv6 ? '::1' : '127.0.0.1'; // an IPv6 literal is what the shortcut is for
    const server = await bindOn(0, host);
    const busy = await probePort(portOf(server));
    expect(busy.free).toBe(false);
    expect(busy.busyOn).toContain(`${host}:EADDRINUSE`);
    expect(dns.lookup).toBe(descriptor.value);
  });
});
