/**
 * Asking the OS whether a port is free: the only file that binds sockets to probe.
 *
 * A bind on one address says nothing about the others (a server on `::1` does not stop a
 * bind on `127.0.0.1`), so a port is free only when it binds on every one of `::`,
 * `0.0.0.0`, `127.0.0.1` and `::1`. An address this machine does not have
 * (EADDRNOTAVAIL, EAFNOSUPPORT: no IPv6) does not make the port busy.
 */
import type { ListenOptions, Server } from 'node:net';
import { PortleaseError } from './errors.js';
import { checkKnownKeys } from './validate.js';

/** Addresses probed, in order. */
export const PROBE_HOSTS = ['::', '0.0.0.0', '127.0.0.1', '::1'] as const;

const ABSENT = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL']);

/** Result of probing one port. */
export interface ProbeResult {
  port: number;
  /** True when no address reported the port in use. */
  free: boolean;
  /** Addresses where the bind failed, with the reason (`EADDRINUSE`, `EACCES`, …). */
  busyOn: string[];
}

/** The address family of each probed address. */
const FAMILY: Record<ProbeHost, 4 | 6> = { '::': 6, '0.0.0.0': 4, '127.0.0.1': 4, '::1': 6 };

/** One of {@link PROBE_HOSTS}. */
type ProbeHost = (typeof PROBE_HOSTS)[number];

/**
 * Set by the `portlease` executable (cli/bin.ts): the process is ours, so {@link listenOn}
 * may replace dns.lookup for a moment. A library never patches a builtin in its users'
 * processes, so there the probe listens the ordinary way. A global symbol, not an import,
 * so that the bin loads nothing more for it; unlike an environment variable, the
 * commands `portlease run` starts do not inherit it.
 */
export const OWN_PROCESS = Symbol.for('portlease.own-process');

/**
 * `server.listen(options)` on one of our literal addresses, in portlease's own process
 * (see {@link OWN_PROCESS}) without node's check that it is an IP address. listen() sends every host through dns.lookup, whose isIP() test of an
 * IPv6 literal compiles node's IPv6 regular expression the first time: ~3 ms, and ~1 ms
 * more when V8 turns it into machine code, in every process that probes (a CLI call that
 * makes a lease, a test runner's setup). Our hosts are literals of known family, so for
 * the length of this synchronous call dns.lookup answers exactly this host as it answers
 * any IP literal (on the next tick, with the address itself); nothing else runs meanwhile,
 * and any other name still goes to the real lookup. A dns module that cannot be patched
 * (frozen) gets the ordinary listen().
 */
function listenOn(server: Server, options: ListenOptions & { host: ProbeHost }, onListening: () => void): void {
  if (!(globalThis as Record<symbol, unknown>)[OWN_PROCESS]) {
    server.listen(options, onListening);
    return;
  }
  const dns = process.getBuiltinModule('node:dns');
  const lookup = dns.lookup;
  const literal = (hostname: string, ...rest: unknown[]) => {
    const callback = rest.at(-1);
    if (hostname !== options.host || rest.length !== 1 || typeof callback !== 'function') return Reflect.apply(lookup, dns, [hostname, ...rest]);
    process.nextTick(callback, null, hostname, FAMILY[options.host]);
    return {};
  };
  let patched = false;
  try {
    dns.lookup = literal as unknown as typeof dns.lookup;
    patched = dns.lookup === (literal as unknown);
  } catch {
    // frozen: the ordinary way
  }
  try {
    server.listen(options, onListening);
  } finally {
    if (patched) dns.lookup = lookup;
  }
}

/** Tries to bind `host:port`; resolves with the error code, or `null` when it bound. */
function tryBind(port: number, host: ProbeHost): Promise<string | null> {
  return new Promise((resolve) => {
    // node:net on first probe: a CLI call that finds its lease live binds nothing, and
    // net (with the stream modules) is ~1.5 ms of its start.
    const server = process.getBuiltinModule('node:net').createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'EUNKNOWN'));
    // exclusive: never share a handle with a cluster primary; ipv6Only on '::' so that
    // '0.0.0.0' is probed by its own bind rather than by the dual-stack socket.
    listenOn(server, { port, host, exclusive: true, ipv6Only: host === '::' }, () => {
      server.close(() => resolve(null));
    });
  });
}

/**
 * Probes one port on every address.
 *
 * @example
 * const { free, busyOn } = await probePort(8080); // busyOn: ['0.0.0.0:EADDRINUSE', …]
 */
export async function probePort(port: number): Promise<ProbeResult> {
  const busyOn: string[] = [];
  for (const host of PROBE_HOSTS) {
    const code = await tryBind(port, host);
    if (code !== null && !ABSENT.has(code)) busyOn.push(`${host}:${code}`);
  }
  return { port, free: busyOn.length === 0, busyOn };
}

/**
 * A port the OS chooses (from its ephemeral range), verified free on every probed
 * address. Not recorded in the registry: for a lease use `reserve()`.
 *
 * @example
 * const port = await getOsFreePort();
 */
export async function getOsFreePort(options: { exclude?: Iterable<number> } = {}): Promise<number> {
  checkKnownKeys(options, ['exclude'], 'getOsFreePort()');
  const exclude = new Set(options.exclude ?? []);
  for (let attempt = 0; attempt < 50; attempt++) {
    // Loaded on first use: most commands never ask the OS for a port, and startup counts.
    const { default: getPort } = await import('get-port');
    const port = await getPort({ exclude });
    if (exclude.has(port)) continue;
    if ((await probePort(port)).free) return port;
    exclude.add(port);
  }
  throw new PortleaseError('E_NO_PORT', 'The OS offered 50 ports in a row that were busy on another address; giving up.');
}
