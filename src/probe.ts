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

/** The address family of each probed address. */
const FAMILY: Record<ProbeHost, 4 | 6> = { '::': 6, '0.0.0.0': 4, '127.0.0.1': 4, '::1': 6 };

/** One of {@link PROBE_HOSTS}. */
type ProbeHost = (typeof PROBE_HOSTS)[number];

/**
 * Set by the `portlease` executable (cli/bin.ts): the process is ours, so a probe may bind
 * through the TCP handle that node:net is built on (see {@link handleBinder}). A global
 * symbol, not an import, so that the bin loads nothing more for it; unlike an environment
 * variable, the commands `portlease run` starts do not inherit it.
 */
export const OWN_PROCESS = Symbol.for('portlease.own-process');

/** libuv's TCP handle as node:net uses it (`process.binding('tcp_wrap')`). */
interface TcpHandle {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  listen(backlog: number): number;
  close(): void;
}
interface TcpWrap {
  TCP: new (kind: number) => TcpHandle;
  constants: { SERVER: number; UV_TCP_IPV6ONLY: number };
}

/** Binds `host:port` and closes at once; the error code, or `null` when it bound. */
type Binder = (port: number, host: ProbeHost) => string | null;

let handleBinderOnce: Binder | null | undefined;

/** Handle probes between two turns of the event loop (each is ~40 µs). */
const PROBES_PER_TURN = 128;
let probesSinceTurn = 0;

/**
 * In portlease's own process, a bind that loads nothing: the socket, bind and listen that
 * `server.listen()` makes, through the same libuv handle, synchronously. listen() loads
 * node:net and the stream modules, then cluster (listen() always requires it), which loads
 * child_process, dgram and dns, whose resolver reads /etc/resolv.conf: a CLI call that
 * makes a lease took 48.9 ms with it and 41.1 ms without (median; `node -e 0` 23 ms).
 *
 * `process.binding` is deprecated for libraries (DEP0111, documentation-only) and is for
 * node's own code; a library never uses it in its users' processes, so there probes
 * listen the ordinary way. In our process it is the same handle with the same flags
 * (SO_REUSEADDR as libuv sets it, IPV6_V6ONLY on `::`), checked by the probe tests
 * against listen() on every address. Whatever is off — the binding missing or refused
 * (the permission model), another shape, `--pending-deprecation` asking for a warning —
 * means `null`: the ordinary listen().
 */
function handleBinder(): Binder | null {
  if (!(globalThis as Record<symbol, unknown>)[OWN_PROCESS] || pendingDeprecation()) return null;
  if (handleBinderOnce === undefined) handleBinderOnce = makeHandleBinder(); // null: asked, unavailable
  return handleBinderOnce;
}

function makeHandleBinder(): Binder | null {
  let wrap: TcpWrap;
  try {
    wrap = (process as unknown as { binding(name: string): TcpWrap }).binding('tcp_wrap');
  } catch {
    return null;
  }
  const { TCP, constants } = wrap ?? {};
  if (typeof TCP !== 'function' || typeof constants?.SERVER !== 'number' || typeof constants.UV_TCP_IPV6ONLY !== 'number') return null;
  const { getSystemErrorName } = process.getBuiltinModule('node:util');
  return (port, host) => {
    const handle = new TCP(constants.SERVER);
    try {
      // ipv6Only on '::' so that '0.0.0.0' is probed by its own bind (as listen's ipv6Only).
      let error = FAMILY[host] === 6 ? handle.bind6(host, port, host === '::' ? constants.UV_TCP_IPV6ONLY : 0) : handle.bind(host, port);
      // Windows reports a bind's error at listen.
      if (error === 0) error = handle.listen(511);
      return error === 0 ? null : errorName(getSystemErrorName, error);
    } finally {
      handle.close(); // the descriptor closes now; only the handle's callback waits a tick
    }
  };
}

function errorName(name: (code: number) => string, code: number): string {
  try {
    return name(code);
  } catch {
    return 'EUNKNOWN';
  }
}

/**
 * Whether node was asked to warn of pending deprecations, DEP0111 among them: then it has
 * replaced process.binding with a wrapper that warns (or throws, with
 * --throw-deprecation). The flag may come in either spelling node accepts
 * (`--pending_deprecation` too), on the command line or in NODE_OPTIONS, or as
 * NODE_PENDING_DEPRECATION=1; and any function but node's own `binding` — that wrapper, or
 * whatever another version puts there — counts as a yes.
 */
function pendingDeprecation(): boolean {
  const flag = /--pending[-_]deprecation/;
  const binding = (process as unknown as { binding?: { name?: string } }).binding;
  return (
    binding?.name !== 'binding' ||
    process.execArgv.some((arg) => flag.test(arg)) ||
    flag.test(process.env.NODE_OPTIONS ?? '') ||
    process.env.NODE_PENDING_DEPRECATION === '1'
  );
}

/** Tries to bind `host:port` with a server; resolves with the error code, or `null` when it bound. */
function listenBind(port: number, host: ProbeHost): Promise<string | null> {
  return new Promise((resolve) => {
    // node:net on first probe: a CLI call that finds its lease live binds nothing.
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
  const bindNow = handleBinder();
  // The handle's binds never wait for the event loop, and a scan past busy ports awaits
  // probe after probe: let `serve` answer its other requests now and then meanwhile.
  if (bindNow !== null && ++probesSinceTurn >= PROBES_PER_TURN) {
    probesSinceTurn = 0;
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (const host of PROBE_HOSTS) {
    const code = bindNow === null ? await listenBind(port, host) : bindNow(port, host);
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
