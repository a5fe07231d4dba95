/**
 * Asking the OS whether a port is free: the only file that binds sockets to probe.
 *
 * A bind on one address says nothing about the others (a server on `::1` does not stop a
 * bind on `127.0.0.1`), so a port is free only when it binds on every one of `::`,
 * `0.0.0.0`, `127.0.0.1` and `::1`. An address this machine does not have
 * (EADDRNOTAVAIL, EAFNOSUPPORT: no IPv6) does not make the port busy.
 */
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

/** Tries to bind `host:port`; resolves with the error code, or `null` when it bound. */
function tryBind(port: number, host: string): Promise<string | null> {
  return new Promise((resolve) => {
    // node:net on first probe: a CLI call that finds its lease live binds nothing, and
    // net (with the stream modules) is ~1.5 ms of its start.
    const server = process.getBuiltinModule('node:net').createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'EUNKNOWN'));
    // exclusive: never share a handle with a cluster primary; ipv6Only on '::' so that
    // '0.0.0.0' is probed by its own bind rather than by the dual-stack socket.
    server.listen({ port, host, exclusive: true, ipv6Only: host === '::' }, () => {
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
