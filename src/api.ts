/**
 * The library's API, defined once: the {@link Registry} interface (its JSDoc is what users
 * read, on `openRegistry().reserve` and on the top-level `reserve` alike) and
 * `openRegistry()`, which binds it to one registry. The top-level functions in index.ts
 * are the methods of a default registry.
 */
import type { Server } from 'node:net';
import { inspectIn, checkPortIn, type PortCheck, type RegistryReport } from './inspect.js';
import { scopeIn, type Scope } from './identity.js';
import { listIn, lookupIn, pruneIn, releaseIn, renewIn, toFilter, waitForIn, type ReleaseTarget, type WaitOptions } from './leases.js';
import { listenWith, type ListenOptions } from './listen.js';
import { createContext, type ContextOptions, type RegistryContext } from './registry.js';
import { reserveAllIn, reserveIn, type ServiceInput } from './reserve.js';
import { typeError } from './errors.js';
import { checkKnownKeys, describe } from './validate.js';
import type { HeldLease, Lease, LeaseFilter, ReserveOptions, ScopeOptions } from './types.js';

/** Options of `withPort()`. */
export interface WithPortOptions extends ReserveOptions {
  /** Name the lease (a named lease) instead of an anonymous one. */
  service?: string;
}

/**
 * The library's functions bound to one registry: what `openRegistry()` returns, and what
 * the top-level functions (`reserve`, `list`, …) are the methods of, on the registry of
 * `PORTLEASE_HOME` (else `~/.portlease`).
 *
 * `home` selects a registry and nothing else: it is an option of `openRegistry()` only, as
 * are `env`, `cwd` and the lock timings. No call takes one — a per-call `home`, on a
 * top-level function (`reserve('web', { home })`) or on an opened registry's method, is a
 * `TypeError` that says where it belongs, thrown before any I/O. To act on another
 * registry, open it: `openRegistry({ home }).reserve('web')`.
 */
export interface Registry {
  /** The registry directory. */
  readonly home: string;
  /** The registry: a directory of revision files (`rev-<N>.json`), the newest of which is current. */
  readonly file: string;
  /**
   * Reserves a port: a named lease (`reserve('postgres')`) or an anonymous one
   * (`reserve()` / `reserve({ label })`).
   *
   * A named lease is sticky: the same `app/instance/service` gets its last port back
   * whenever that is free, and its first port is a stable hash of the name into the range.
   * Asking again for a live name returns the same lease when it is durable, ttl-only,
   * owned by this process or by the process the call names (`owner: pid`), and fails with
   * `E_SERVICE_LEASED` when another live process owns it. A re-ask that chooses a lifetime
   * (`owner`, `ttl` or `durable` given) sets it on that lease (a `ttl` renews it). By
   * default the lease is owned by the calling process and reclaimed once that process is
   * dead. The port is free on `::`, `0.0.0.0`, `127.0.0.1` and `::1` when returned, and the
   * lease is on disk.
   *
   * The returned lease is plain data with a non-enumerable `release()` and
   * `Symbol.asyncDispose` (`await using lease = await reserve('x')`).
   *
   * @param service Service name: any string that is not blank after trimming (`feature/login`, `my app`, `café`), at most 200 characters, without control characters, line separators or bidi controls; stored trimmed. Omit for an anonymous lease.
   * @throws {PortleaseError} `E_SERVICE_LEASED`, `E_PORT_LEASED`, `E_PORT_BUSY`, `E_NO_PORT`, `E_LOCK_TIMEOUT`, …
   * @throws {TypeError | RangeError} on bad input, before any I/O.
   * @example
   * import { reserve } from 'portlease';
   *
   * const db = await reserve('postgres');            // { port: 24817, … }, sticky
   * const tmp = await reserve({ label: 'fixture' });  // anonymous
   * const fixed = await reserve('web', { port: [3000, 3001] }); // only these (E_PORT_BUSY otherwise)
   * const near = await reserve('admin', { prefer: 3000 });       // 3000 if free, else from the range
   * await tmp.release();
   */
  reserve(service?: string, options?: ReserveOptions): Promise<HeldLease>;
  reserve(options: ReserveOptions): Promise<HeldLease>;
  /**
   * Reserves several named leases at once: one read, one probe pass and one durable write
   * instead of one locked transaction each — all or nothing, with the same rules as
   * `reserve()` one by one (a failure names the service). Options apply to every service;
   * an item `{ service, …options }` adds its own. The leases come back in the order asked.
   *
   * @throws {PortleaseError} as `reserve()`; nothing is reserved when one service fails.
   * @throws {TypeError | RangeError} on bad input (a service asked twice included), before any I/O.
   * @example
   * import { reserveAll } from 'portlease';
   *
   * const [web, api, db] = await reserveAll(['web', 'api', { service: 'db', prefer: 5432 }]);
   */
  reserveAll(services: readonly ServiceInput[], options?: ReserveOptions): Promise<HeldLease[]>;
  /**
   * Releases leases: a lease, its id, a service name (of the current app and instance), a
   * filter (`{ app }`, `{ port }`, …; an empty filter is refused), or a list of leases and ids
   * (one transaction for all). Sticky memory stays: reserving the name again gets the same
   * port back when it is free.
   *
   * @returns how many live leases were released.
   * @example
   * await release('postgres');
   * await release({ app: 'shop', instance: 'feature-x' });
   */
  release(target: ReleaseTarget, options?: ScopeOptions): Promise<number>;
  /**
   * Extends a ttl lease from now by `ttl` (default: the ttl it was made with).
   *
   * @throws {PortleaseError} `E_NOT_FOUND` when the lease is gone.
   * @example
   * const lease = await reserve('preview', { owner: false, ttl: '1h' });
   * setInterval(() => renew(lease), 30 * 60_000).unref();
   */
  renew(target: Lease | number, ttl?: number | string): Promise<Lease>;
  /**
   * The live lease of a service in the current app and instance (or those given), without
   * taking the lock.
   *
   * @example
   * const api = await lookup('api', { app: 'shop' });
   * if (api) fetch(`http://127.0.0.1:${api.port}/health`);
   */
  lookup(service: string, options?: ScopeOptions): Promise<Lease | undefined>;
  /**
   * Waits until another process has reserved `service`, polling the registry.
   *
   * @throws {PortleaseError} `E_TIMEOUT`
   * @example
   * const { port } = await waitFor('api', { timeout: 30_000 });
   */
  waitFor(service: string, options?: WaitOptions): Promise<Lease>;
  /**
   * Live leases (all apps unless filtered), sorted by id, without taking the lock.
   *
   * @example
   * for (const lease of await list({ app: 'shop' })) console.log(lease.service, lease.port);
   */
  list(filter?: LeaseFilter): Promise<Lease[]>;
  /**
   * Removes expired leases and those whose owner died (unless their port is still bound by
   * a surviving process). Every write does this anyway; `prune()` forces it.
   *
   * @returns the removed leases (with `dryRun`, those that would be removed).
   * @example
   * const removed = await prune();
   */
  prune(options?: { dryRun?: boolean }): Promise<Lease[]>;
  /**
   * Runs `fn` with a reserved port and releases the lease afterwards, even on error.
   *
   * @example
   * const body = await withPort(async (port) => {
   *   const server = http.createServer(handler).listen(port);
   *   try { return await (await fetch(`http://127.0.0.1:${port}`)).text(); } finally { server.close(); }
   * });
   */
  withPort<T>(fn: (port: number, lease: Lease) => T | Promise<T>, options?: WithPortOptions): Promise<T>;
  /**
   * Binds a `net.Server` / `http.Server` on a leased port, retrying with another port when
   * a program outside portlease takes the port before the bind (EADDRINUSE). The lease is
   * released when the server closes.
   *
   * @example
   * const server = http.createServer(app);
   * const { port } = await listen(server, 'web');
   */
  listen(server: Server, service?: string, options?: ListenOptions): Promise<HeldLease>;
  /**
   * Whether a port is leased in the registry and whether the OS has it bound.
   *
   * @example
   * const { free, holder } = await checkPort(24817);
   */
  checkPort(port: number): Promise<PortCheck>;
  /**
   * Reports on the registry without changing it: path, modes, lock state, live, dead and
   * expired leases, and problems found. What `portlease doctor` prints.
   *
   * @example
   * const { problems } = await inspect();
   */
  inspect(): Promise<RegistryReport>;
}

/** The context of every registry opened here, for {@link contextOf}. */
const contexts = new WeakMap<Registry, RegistryContext>();

/**
 * The options of `openRegistry()`: they select a registry (its home, the env it reads
 * `PORTLEASE_*` from, the cwd that names the default app, its lock timings), so no call
 * takes them. What each is, for the message that says where it belongs.
 */
const REGISTRY_OPTIONS = {
  home: 'selects a registry',
  env: 'belongs to the registry (the environment it reads PORTLEASE_* from)',
  cwd: 'belongs to the registry (the folder whose git repository names the default app)',
  lock: 'belongs to the registry (its lock timings)',
} as const;

/**
 * Refuses an option of `openRegistry()` in the options of a call (`call` names it, e.g.
 * `reserve()`): the one check of the rule, made by every method of every registry — the
 * default one's, which the top-level functions are, included — before any I/O. A per-call
 * home would otherwise be ignored (a write to the wrong registry) or open another registry
 * behind the caller's back. Returns `value`.
 *
 * @example
 * perCall({ home: '/tmp/x' }, 'reserve()');
 * // TypeError: reserve(): home selects a registry — pass it to openRegistry({ home }) (or set PORTLEASE_HOME), not to reserve()
 */
function perCall<T>(value: T, call: string): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  for (const [key, what] of Object.entries(REGISTRY_OPTIONS)) {
    if (Object.hasOwn(value, key)) {
      const instead = key === 'home' ? 'openRegistry({ home }) (or set PORTLEASE_HOME)' : `openRegistry({ ${key} })`;
      throw typeError(`${call}: ${key} ${what} — pass it to ${instead}, not to ${call}`);
    }
  }
  return value;
}

/**
 * Refuses arguments after the last one a call takes (`renew`, `checkPort` and `inspect`
 * take no options object): one there would be ignored. `undefined` ones pass.
 *
 * @example
 * noMore([{ home: '/tmp/x' }], 'inspect()', 'inspect() takes no arguments'); // TypeError: inspect(): home selects a registry — …
 * noMore([{}], 'inspect()', 'inspect() takes no arguments'); // TypeError: inspect() takes no arguments, got object
 */
function noMore(extra: unknown[], call: string, takes: string): void {
  for (const value of extra) perCall(value, call);
  const surplus = extra.find((value) => value !== undefined);
  if (surplus !== undefined) throw typeError(`${takes}, got ${describe(surplus)}`);
}

/**
 * Opens a registry: the same functions as the top-level ones, bound to one home, one
 * environment and one working folder. Handy for tests (a temp home) and for embedding.
 * These options select the registry: no call on it (nor a top-level call) takes them.
 *
 * @example
 * const registry = openRegistry({ home: await mkdtemp(join(tmpdir(), 'ports-')) });
 * const { port } = await registry.reserve('db');
 */
export function openRegistry(options: ContextOptions = {}): Registry {
  checkKnownKeys(options, Object.keys(REGISTRY_OPTIONS), 'openRegistry()');
  const ctx = createContext(options);
  const release = async (target: ReleaseTarget, scope: ScopeOptions = {}) =>
    releaseIn(ctx, toFilter(perCall(target, 'release()'), perCall(scope, 'release()'), ctx));
  const reserve = (async (first?: unknown, second?: unknown) =>
    reserveIn(ctx, perCall(first, 'reserve()'), perCall(second, 'reserve()'))) as Registry['reserve'];
  const registry: Registry = {
    home: ctx.paths.dir,
    file: ctx.paths.registry,
    reserve,
    async reserveAll(services, shared) {
      // Each item's own options too: `{ service, home }` would otherwise name a second registry.
      if (Array.isArray(services)) for (const item of services) perCall(item, 'reserveAll()');
      return reserveAllIn(ctx, services, perCall(shared, 'reserveAll()'));
    },
    release,
    async renew(target, ttl, ...extra: unknown[]) {
      noMore(extra, 'renew()', 'renew() takes a lease (or its id) and a ttl, nothing after them');
      return renewIn(ctx, target, ttl);
    },
    lookup: async (service, scope) => lookupIn(ctx, service, perCall(scope, 'lookup()')),
    waitFor: async (service, wait) => waitForIn(ctx, service, perCall(wait, 'waitFor()')),
    list: async (filter) => listIn(ctx, perCall(filter, 'list()')),
    async prune(prune = {}) {
      checkKnownKeys(perCall(prune, 'prune()'), ['dryRun'], 'prune()');
      return pruneIn(ctx, prune.dryRun ?? false);
    },
    async withPort(fn, withOptions = {}) {
      const { service, ...rest } = perCall(withOptions, 'withPort()');
      const lease = await reserve(service, rest);
      try {
        return await fn(lease.port, lease);
      } finally {
        await lease.release();
      }
    },
    listen: async (server, service, listenOptions) =>
      listenWith((name, opts) => reserve(name, opts), server, perCall(service, 'listen()'), perCall(listenOptions, 'listen()')),
    async checkPort(port, ...extra: unknown[]) {
      noMore(extra, 'checkPort()', 'checkPort() takes a port, nothing after it');
      return checkPortIn(ctx, port);
    },
    async inspect(...extra: unknown[]) {
      noMore(extra, 'inspect()', 'inspect() takes no arguments');
      return inspectIn(ctx);
    },
  };
  contexts.set(registry, ctx);
  return registry;
}

/**
 * The app and instance a call on `registry` uses when it names none (or only one): its
 * env's PORTLEASE_APP / PORTLEASE_INSTANCE, else the git repository and worktree of its
 * cwd, or of `options.cwd` (`portlease import ../other` names the app after that project).
 * For the CLI's messages and default filters; not part of the public API.
 *
 * @example
 * defaultScope(openRegistry({ cwd: '/work/shop' })); // { app: 'shop', instance: 'default' }
 */
export function defaultScope(registry: Registry, options: { app?: string | undefined; instance?: string | undefined; cwd?: string | undefined } = {}): Scope {
  return scopeIn(contextOf(registry), options);
}

/**
 * What `registry` was opened with: its paths, env, cwd and lock timings. For internal
 * layers that act for the same user (`importPorts` reads compose files with its env).
 *
 * @example
 * const { env, cwd } = contextOf(registry);
 */
export function contextOf(registry: Registry): RegistryContext {
  const ctx = contexts.get(registry);
  if (ctx === undefined) throw typeError('expected a registry from openRegistry()');
  return ctx;
}
