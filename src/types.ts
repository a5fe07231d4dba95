/** The process that holds a lease. Dead owners' leases are reclaimed. */
export interface Owner {
  /** Process id. */
  pid: number;
  /**
   * Start time of the process, so that a reused pid is not mistaken for the owner (Linux:
   * clock ticks since boot, `/proc/<pid>/stat` field 22; macOS: epoch seconds from `ps`
   * lstart; Windows: the creation FILETIME). `null` where the OS does not tell.
   */
  start: string | null;
  /**
   * Boot id (Linux `/proc/sys/kernel/random/boot_id`, macOS `kern.bootsessionuuid`), or
   * `null` where unknown or not stable (Windows).
   */
  boot: string | null;
  /** PID namespace (`readlink /proc/self/ns/pid`), or `null` where unknown. */
  ns: string | null;
  /** `os.hostname()`. */
  host: string;
}

/**
 * A lease: one port that belongs to someone. Plain JSON data: it survives
 * `structuredClone`, `JSON.stringify` and vitest's `provide`. Leases returned by
 * `reserve()` also carry non-enumerable `release()` and `Symbol.asyncDispose`.
 */
export interface Lease {
  /** Rising integer id, never reused within one registry. */
  id: number;
  /** The port. */
  port: number;
  /** Application (by default the git repository's name, else the folder name). */
  app: string;
  /** Instance of the application (by default the linked worktree's folder name, else `default`). */
  instance: string;
  /** Service name for a named lease, `null` for an anonymous one. */
  service: string | null;
  /** Display label of an anonymous lease. */
  label?: string;
  /** The owning process, or `null` for leases that live by ttl or until released. */
  owner: Owner | null;
  /** ISO time after which the lease is void, or `null`. */
  expiresAt: string | null;
  /** The ttl in milliseconds the lease was made or last renewed with (default for `renew`). */
  ttl?: number;
  /** ISO time of creation. */
  createdAt: string;
  /** True when the port was claimed as already bound by its own service (no OS probe). */
  claimed?: boolean;
  /** Route prefix on the app's named-URL origin (`/api`), for `portlease serve`. */
  path?: string;
  /** True when `portlease serve` removes {@link Lease.path} before forwarding. */
  stripPath?: boolean;
}

/** A lease as returned by `reserve()`: plain data plus non-enumerable helpers. */
export interface HeldLease extends Lease {
  /** Releases this lease. Resolves `true` when it was still live. */
  release(): Promise<boolean>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** An inclusive port range `[from, to]`. */
export type PortRange = readonly [from: number, to: number];

/**
 * The option that selects a registry, for the surfaces that open one themselves
 * (`serve()`, `setupPorts()`, `workerPort()`). The library's functions never take it per
 * call: `openRegistry({ home })` selects the registry they act on.
 */
export interface HomeOptions {
  /**
   * Directory of the registry.
   * @default process.env.PORTLEASE_HOME ?? '~/.portlease'
   */
  home?: string;
}

/** Options that name the application a lease belongs to. */
export interface ScopeOptions {
  /** @default process.env.PORTLEASE_APP ?? the git repository's name ?? the folder name */
  app?: string;
  /** @default process.env.PORTLEASE_INSTANCE ?? the linked worktree's folder name ?? 'default' */
  instance?: string;
}

/** Options of `reserve()`. */
export interface ReserveOptions extends ScopeOptions {
  /**
   * Exact port, or a list of acceptable ports in order of preference: nothing else is
   * acceptable (`E_PORT_BUSY` / `E_PORT_LEASED` when none is free). Not with `range` or `prefer`.
   */
  port?: number | readonly number[];
  /**
   * Ports to try first; when none of them is free, any port of the range (get-port's
   * `port` option). Not with `port`.
   *
   * @example
   * await reserve('web', { prefer: 3000 }); // 3000 if free, else one from 20000-29999
   */
  prefer?: number | readonly number[];
  /**
   * Range to choose from, as `[from, to]` or `'from-to'`.
   * @default process.env.PORTLEASE_RANGE ?? [20000, 29999]
   */
  range?: PortRange | string;
  /** Ports never to hand out. */
  exclude?: Iterable<number>;
  /** Display label of an anonymous lease. */
  label?: string;
  /**
   * Owning process: `true` for the calling process, a pid, or `false` for none.
   * @default true unless `durable` is set
   */
  owner?: boolean | number;
  /** Time to live: milliseconds or a duration such as `'30s'`, `'15m'`, `'2h'`, `'7d'`. */
  ttl?: number | string;
  /** Neither owner nor ttl: lives until released. @default false */
  durable?: boolean;
  /**
   * Fail with `E_SERVICE_LEASED` when the service already has a live lease, even one this
   * process could have back (port-registry's allocate semantics). @default false
   */
  exclusive?: boolean;
  /**
   * Register a port that the service itself already has bound: skip the OS probe.
   * Needs `port`. @default false
   */
  claim?: boolean;
  /**
   * Route prefix on the app's named URL (`'/api'`): `http://shop.localhost:51234/api/…`
   * reaches this lease through `portlease serve`. Matched on whole path segments.
   */
  path?: string;
  /** Forward requests without the {@link ReserveOptions.path} prefix (`/api/x` → `/x`). Needs `path`. @default false */
  stripPath?: boolean;
}

/** Filter of leases, for `list()` and `release()`. Fields are ANDed. */
export interface LeaseFilter {
  id?: number;
  port?: number;
  app?: string;
  instance?: string;
  /** A service name, or `null` for anonymous leases only. */
  service?: string | null;
}

/** Options of `getOsFreePort()`. */
export interface OsFreePortOptions {
  /** Ports never to return. */
  exclude?: Iterable<number>;
}
