/**
 * Turns `reserve()` arguments into a checked request (pure but for the OS facts it reads:
 * the caller's identity, the OS's port ranges): every misuse is a
 * `TypeError`/`RangeError` here, before any file or socket is touched.
 */
import { typeError, rangeError } from './errors.js';
import { osBlockedPorts } from './choose.js';
import { resolveScope, type Scope } from './identity.js';
import { isPidAlive, ownerOf } from './owner.js';
import { currentPlatform } from './platform/index.js';
import { leaseKey } from './schema.js';
import type { Owner, PortRange, ReserveOptions } from './types.js';
import { routePathProblem } from './url.js';
import { SKIPPED_PORTS, checkKnownKeys, checkLabel, checkName, checkPort, checkPortList, describe, parseDuration, resolveRange } from './validate.js';

/** A checked reserve request. */
export interface ReserveRequest {
  service: string | null;
  app: string;
  instance: string;
  key: string | undefined;
  label: string | undefined;
  exact: number[] | undefined;
  /** Ports to try first, before the range (`prefer`): a wish, not a demand. */
  prefer: number[] | undefined;
  range: PortRange;
  /**
   * Ports the caller excluded plus the skip lists and the OS's reserved ports (the latter
   * only for non-exact requests). Only a port being chosen needs it, so it is built on
   * first call: the OS's ranges are files to read, and a request answered by the lease it
   * already has (most CLI calls) chooses nothing.
   */
  exclude(): ReadonlySet<number>;
  owner: Owner | null;
  ttl: number | undefined;
  /**
   * True when the caller chose the lifetime (`owner`, `ttl` or `durable` given): asking
   * again for a live lease then sets that lifetime on it instead of leaving it as it was.
   */
  lifetime: boolean;
  claim: boolean;
  exclusive: boolean;
  /** Route prefix for the named URL, checked. */
  path: string | undefined;
  stripPath: boolean;
}

const KNOWN = ['port', 'prefer', 'range', 'exclude', 'app', 'instance', 'label', 'owner', 'ttl', 'durable', 'claim', 'exclusive', 'path', 'stripPath'] as const;

function checkBoolean(value: unknown, what: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw typeError(`${what} must be a boolean, got ${describe(value)}`);
  return value;
}

/** Splits `reserve(service?, options?)` / `reserve(options)` into its two parts. */
export function splitArgs(first: unknown, second: unknown): { service: unknown; options: ReserveOptions } {
  if (first !== null && typeof first === 'object') {
    if (second !== undefined) throw typeError('reserve(options) takes one argument; use reserve(service, options) to name it');
    return { service: undefined, options: first as ReserveOptions };
  }
  if (second !== undefined && (second === null || typeof second !== 'object')) {
    throw typeError(`options must be an object, got ${describe(second)}`);
  }
  return { service: first, options: (second ?? {}) as ReserveOptions };
}

/**
 * Checks and resolves a reserve request. `scope` resolves app and instance from the names
 * given (the registry's env and cwd fill in the rest; see `scopesOf` in reserve.ts).
 */
export function toRequest(
  serviceArg: unknown,
  options: ReserveOptions,
  env: Record<string, string | undefined>,
  scope: (named: { app: string | undefined; instance: string | undefined }) => Scope = (named) => resolveScope(named, env),
): ReserveRequest {
  checkKnownKeys(options, KNOWN, 'reserve()');
  const service = serviceArg === undefined || serviceArg === null ? null : checkName(serviceArg, 'service');
  const exact = options.port === undefined ? undefined : checkPortList(options.port, 'port');
  const prefer = options.prefer === undefined ? undefined : checkPortList(options.prefer, 'prefer');
  // `port` is the whole list of acceptable ports: a range beside it would be ignored.
  if (exact && options.range !== undefined) {
    throw typeError('port and range cannot be combined: port lists the only acceptable ports. For "this port if free, else one from the range" use prefer');
  }
  if (exact && prefer) throw typeError('port and prefer cannot be combined: port demands its ports, prefer only wishes for them');
  const range = resolveRange(options.range, env);
  const excluded = new Set(options.exclude === undefined ? [] : [...checkIterable(options.exclude)].map((port) => checkPort(port, 'exclude')));
  const isDefaultRange = options.range === undefined && !env['PORTLEASE_RANGE'];
  // A port asked for by number is not an automatic choice: nothing more to exclude.
  let complete = exact !== undefined;
  const exclude = () => {
    if (complete) return excluded;
    // The skip lists keep well-known ports out of automatic choices.
    for (const port of SKIPPED_PORTS) if (!prefer?.includes(port)) excluded.add(port);
    // The OS's reserved ranges (a bind there fails) and, for the default range, its ephemeral ports.
    const platform = currentPlatform();
    const facts = { ephemeral: platform.ephemeralRange(), reserved: platform.reservedRanges() };
    for (const port of osBlockedPorts(range, facts, isDefaultRange)) excluded.add(port);
    complete = true;
    return excluded;
  };
  const label = options.label === undefined ? undefined : checkLabel(options.label);
  const durable = checkBoolean(options.durable, 'durable');
  const claim = checkBoolean(options.claim, 'claim');
  const exclusive = checkBoolean(options.exclusive, 'exclusive');
  if (claim && !exact) throw typeError('claim needs an explicit port: claim registers a port the service already has bound');
  const ttl = options.ttl === undefined ? undefined : parseDuration(options.ttl, 'ttl');
  if (durable && (options.ttl !== undefined || (options.owner !== undefined && options.owner !== false))) {
    throw typeError('durable leases have neither owner nor ttl: drop durable, or drop owner/ttl');
  }
  let owner: Owner | null;
  const ownerOption = options.owner ?? !durable;
  if (typeof ownerOption === 'boolean') owner = ownerOption ? ownerOf() : null;
  else if (typeof ownerOption === 'number') {
    if (!Number.isInteger(ownerOption) || ownerOption < 1) throw rangeError(`owner must be a positive pid, got ${ownerOption}`);
    if (!isPidAlive(ownerOption)) throw rangeError(`owner: no process with pid ${ownerOption}`);
    owner = ownerOf(ownerOption);
  } else throw typeError(`owner must be true, false or a pid, got ${describe(ownerOption)}`);
  const path = checkRoutePath(options.path);
  const stripPath = checkBoolean(options.stripPath, 'stripPath');
  if (stripPath && path === undefined) throw typeError('stripPath needs a path: it removes the path prefix before forwarding');
  if (path !== undefined && service === null) throw typeError('path needs a service name: anonymous leases have no named URL');
  const { app, instance } = scope({ app: options.app, instance: options.instance });
  return {
    service,
    app,
    instance,
    key: service === null ? undefined : leaseKey(app, instance, service),
    label,
    exact,
    prefer,
    range,
    exclude,
    owner,
    ttl,
    lifetime: options.owner !== undefined || options.ttl !== undefined || options.durable !== undefined,
    claim,
    exclusive,
    path,
    stripPath,
  };
}

function checkRoutePath(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw typeError(`path must be a string, got ${describe(value)}`);
  const problem = routePathProblem(value);
  if (problem) throw rangeError(`path ${JSON.stringify(value)} cannot be a route prefix: ${problem}`);
  return value;
}

function checkIterable(value: unknown): Iterable<unknown> {
  if (typeof value === 'number') return [value];
  if (value === null || typeof value !== 'object' || !(Symbol.iterator in value)) {
    throw typeError(`exclude must be a list of ports, got ${describe(value)}`);
  }
  return value as Iterable<unknown>;
}
