/**
 * `importPorts()`: the effectful half of adopting a project. Reads its compose, `.env` and
 * package.json files (never writes them), asks the registry and the OS what holds each
 * port now, and registers the ports as durable named leases through the public API.
 */
import { resolve } from 'node:path';
import { contextOf, defaultScope, type Registry } from '../api.js';
import { isPortleaseError, typeError } from '../errors.js';
import { probePort } from '../probe.js';
import type { Lease, ScopeOptions } from '../types.js';
import { describeHolder, planImport, type ImportRow } from './plan.js';
import { scanProjects } from './scan.js';

/** Options of {@link importPorts}: what to scan (from the registry's cwd) and the names to register under. */
export interface ImportOptions extends ScopeOptions {
  /**
   * Project directories or single files (compose, `.env*`, package.json) to scan, relative
   * to the registry's cwd. The first one's git repository names the app.
   * @default [cwd]
   */
  paths?: readonly string[];
  /** Plan only: read the registry and probe the ports, register nothing. @default false */
  dryRun?: boolean;
}

/** What {@link importPorts} found and did. */
export interface ImportResult {
  app: string;
  instance: string;
  dryRun: boolean;
  /** The files scanned, relative to `cwd`. */
  files: string[];
  /** One row per port (and per entry skipped), in the order found. */
  rows: ImportRow[];
}

/**
 * Finds the host ports a project hard-codes and registers each as a durable named lease
 * of its app: `claim`ed when the port is bound right now (the service itself runs),
 * reported as a `conflict` when another lease holds it. Every file is parsed before the
 * registry is touched, so a malformed file (a `SyntaxError` naming file and line) leaves
 * the registry as it was. Importing twice changes nothing the second time.
 *
 * @example
 * const registry = openRegistry({ cwd: '/work/shop' });
 * const { rows } = await importPorts(registry, { dryRun: true });
 * for (const row of rows) console.log(row.action, row.service, row.port);
 */
export async function importPorts(registry: Registry, options: ImportOptions = {}): Promise<ImportResult> {
  // The registry's env and cwd are the user's: compose interpolation reads that env (its
  // shell variables win over the project's .env, as with `docker compose`).
  const { env, cwd: opened } = contextOf(registry);
  const cwd = resolve(opened ?? process.cwd());
  const paths = options.paths === undefined || options.paths.length === 0 ? ['.'] : options.paths;
  for (const path of paths) {
    if (typeof path !== 'string' || path === '') throw typeError(`paths must be non-empty strings, got ${JSON.stringify(path)}`);
  }
  // Scan everything first: a malformed file fails the import before any registry I/O.
  const { found, files, roots } = await scanProjects({ paths, cwd, env });
  const { app, instance } = defaultScope(registry, { app: options.app, instance: options.instance, cwd: roots[0] ?? cwd });
  const leases = await registry.list();
  const held = new Set(leases.map((lease) => lease.port));
  const ports = [...new Set(found.flatMap((item) => (item.port === null || held.has(item.port) ? [] : [item.port])))];
  const bound = new Set<number>();
  for (const port of ports) {
    // Any failure to bind (EADDRINUSE, or EACCES on a privileged port) means the probe in
    // reserve() would refuse the port: such a port can only be claimed.
    if (!(await probePort(port)).free) bound.add(port);
  }
  const rows = planImport(found, { app, instance, leases, bound });
  const result: ImportResult = { app, instance, dryRun: options.dryRun === true, files, rows };
  if (options.dryRun === true) return result;

  const todo = [...rows.entries()].filter(([, row]) => (row.action === 'register' || row.action === 'claim') && row.port !== null);
  // All at once first (one transaction); when any row fails, one by one to tell which.
  if (todo.length > 1) {
    try {
      const leases = await registry.reserveAll(
        todo.map(([, row]) => ({ service: row.service, port: row.port!, claim: row.action === 'claim' })),
        { app, instance, durable: true },
      );
      for (const [k, [index, row]] of todo.entries()) rows[index] = { ...row, lease: { ...leases[k]! } };
      return result;
    } catch {
      // a conflict, a port bound meanwhile: the rows below say which
    }
  }
  for (const [index, row] of todo) rows[index] = await register(registry, row, app, instance);
  return result;
}

/** Registers one planned row, turning races (the port got taken meanwhile) into conflicts. */
async function register(registry: Registry, row: ImportRow, app: string, instance: string): Promise<ImportRow> {
  const attempt = (claim: boolean) => registry.reserve(row.service, { app, instance, port: row.port ?? 0, durable: true, claim });
  try {
    let lease: Lease;
    try {
      lease = await attempt(row.action === 'claim');
    } catch (error) {
      // Bound between our probe and reserve's: the service started meanwhile. Claim it.
      if (!isPortleaseError(error, 'E_PORT_BUSY')) throw error;
      lease = await attempt(true);
      row = { ...row, action: 'claim', reason: 'bound now: claimed as its own' };
    }
    const plain = { ...lease } as Lease;
    if (lease.port !== row.port) {
      return { ...row, action: 'conflict', reason: `${row.service} is already leased on port ${lease.port} (id ${lease.id})`, holder: plain };
    }
    return { ...row, lease: plain };
  } catch (error) {
    if (isPortleaseError(error, 'E_PORT_LEASED') || isPortleaseError(error, 'E_SERVICE_LEASED')) {
      const holder = error.holder as Lease | undefined;
      return {
        ...row,
        action: 'conflict',
        reason:
          holder === undefined
            ? error.message
            : error.code === 'E_SERVICE_LEASED'
              ? `${row.service} is held by ${describeHolder(holder)} on port ${holder.port}`
              : `port ${row.port} is leased by ${describeHolder(holder)}`,
        ...(holder === undefined ? {} : { holder }),
      };
    }
    if (error instanceof RangeError || error instanceof TypeError) {
      return { ...row, action: 'skip', reason: error.message };
    }
    throw error;
  }
}
