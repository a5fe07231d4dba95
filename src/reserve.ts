/**
 * `reserve()`: probe outside the lock (binding many busy ports can take a while), then
 * commit under the lock only if nobody leased the chosen port meanwhile (and probe again
 * if the transaction itself reclaimed a lease of that port).
 */
import { candidates } from './choose.js';
import { PortleaseError } from './errors.js';
import { displayKey } from './names.js';
import { isAlive, isSelf } from './owner.js';
import { probePort } from './probe.js';
import { deadReason, snapshot, transaction, type RegistryContext } from './registry.js';
import { splitArgs, toRequest, type ReserveInput, type ReserveRequest } from './request.js';
import { copyLease, leaseKey, type RegistryData } from './schema.js';
import type { HeldLease, Lease } from './types.js';

// Keep the sticky memory bounded: the oldest keys are forgotten first.
const MAX_STICKY = 10_000;
// A commit that loses its port to a concurrent reserve tries again with a fresh view.
const MAX_ROUNDS = 25;

/** What the commit step decided. */
type Outcome = { kind: 'granted'; lease: Lease } | { kind: 'taken'; holder: Lease } | { kind: 'busy' };

function keyOf(lease: Lease): string | undefined {
  return lease.service === null ? undefined : leaseKey(lease.app, lease.instance, lease.service);
}

/** The live lease of a key, if any (expired or dead-owner leases do not count). */
function liveByKey(data: RegistryData, key: string, now: number): Lease | undefined {
  return data.leases.find((lease) => keyOf(lease) === key && deadReason(lease, now) === null);
}

/**
 * Whether asking again for a key returns its lease ("ensure"): when it is durable,
 * ttl-only, or owned by the calling process. A lease whose owner died but whose port is
 * still bound (kept by the prune) is in the way too: the port is not ours to serve on.
 */
function returnable(existing: Lease, request: ReserveRequest): Lease {
  const owner = existing.owner;
  if (request.exclusive || (owner !== null && !isSelf(owner))) {
    const who =
      owner === null
        ? 'a lease without owner'
        : isAlive(owner)
          ? `process ${owner.pid}`
          : `process ${owner.pid}, which died while something it started still listens there`;
    throw new PortleaseError(
      'E_SERVICE_LEASED',
      `${displayKey(request.app, request.instance, request.service ?? '')} is already leased on port ${existing.port} by ${who} (lease ${existing.id}). Release it first, or use another service name or instance.`,
      { holder: copyLease(existing), port: existing.port },
    );
  }
  if (request.exact && !request.exact.includes(existing.port)) {
    throw new PortleaseError(
      'E_SERVICE_LEASED',
      `${displayKey(request.app, request.instance, request.service ?? '')} already holds port ${existing.port}, not ${request.exact.join(', ')}. Release it first to move it.`,
      { holder: copyLease(existing), port: existing.port },
    );
  }
  return existing;
}

function newLease(data: RegistryData, request: ReserveRequest, port: number, now: number): Lease {
  const lease: Lease = {
    id: data.nextId,
    port,
    app: request.app,
    instance: request.instance,
    service: request.service,
    owner: request.owner,
    expiresAt: request.ttl === undefined ? null : new Date(now + request.ttl).toISOString(),
    createdAt: new Date(now).toISOString(),
  };
  if (request.label !== undefined) lease.label = request.label;
  if (request.ttl !== undefined) lease.ttl = request.ttl;
  if (request.claim) lease.claimed = true;
  if (request.path !== undefined) lease.path = request.path;
  if (request.stripPath) lease.stripPath = true;
  data.nextId += 1;
  data.leases.push(lease);
  if (request.key !== undefined) remember(data, request.key, port);
  return lease;
}

/** Records a key's port for stickiness, most recent last. */
function remember(data: RegistryData, key: string, port: number): void {
  const index = data.sticky.findIndex((entry) => entry.key === key);
  if (index !== -1) data.sticky.splice(index, 1);
  data.sticky.push({ key, port });
  if (data.sticky.length > MAX_STICKY) data.sticky.splice(0, data.sticky.length - MAX_STICKY);
}

/** Message for "nothing found", saying what was tried. */
function noPort(request: ReserveRequest, leased: Lease[], busy: number[]): PortleaseError {
  if (request.exact) {
    const holder = leased[0];
    if (busy.length === 0 && holder) {
      return new PortleaseError(
        'E_PORT_LEASED',
        `Port ${holder.port} is leased to ${holder.service === null ? `anonymous lease ${holder.id}` : displayKey(holder.app, holder.instance, holder.service)}. Release it first or choose another port.`,
        { holder, port: holder.port },
      );
    }
    const port = busy[0] ?? request.exact[0]!;
    return new PortleaseError('E_PORT_BUSY', `Port ${port} is in use on this machine (not by a portlease lease). Stop what listens there, or use claim if it is the service itself.`, {
      port,
    });
  }
  const [from, to] = request.range;
  return new PortleaseError(
    'E_NO_PORT',
    `No free port in ${from}-${to} (${leased.length} leased, ${busy.length} busy on this machine). Widen the range or release leases (portlease prune).`,
  );
}

/** Attaches the non-enumerable `release()` and `Symbol.asyncDispose` to a lease. */
export function hold(lease: Lease, release: (lease: Lease) => Promise<number>): HeldLease {
  const held = copyLease(lease) as HeldLease;
  const releaseOnce = async () => (await release(held)) > 0;
  Object.defineProperty(held, 'release', { value: releaseOnce, enumerable: false });
  Object.defineProperty(held, Symbol.asyncDispose, {
    value: async () => {
      await releaseOnce();
    },
    enumerable: false,
  });
  return held;
}

/**
 * Reserves a port. See the public `reserve()` for the contract.
 */
export async function reserveIn(
  ctx: RegistryContext,
  first: unknown,
  second: unknown,
  release: (lease: Lease) => Promise<number>,
): Promise<HeldLease> {
  const { service, options } = splitArgs(first, second);
  const request = toRequest(service, options, ctx.env);
  let view = await snapshot(ctx);
  const now = Date.now();
  // Ensure without a write: the key is already live and ours to return.
  if (request.key !== undefined && !request.exclusive) {
    const existing = liveByKey(view, request.key, now);
    if (existing && (existing.owner === null || isSelf(existing.owner))) return hold(returnable(existing, request), release);
  }
  const busy = new Set<number>();
  const leasedBy = new Map<number, Lease>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const leasedNow = new Map(view.leases.filter((lease) => deadReason(lease, now) === null).map((lease) => [lease.port, lease]));
    const blocked = new Set([...request.exclude, ...busy]);
    // Exact ports are probed even when leased: the OS's answer comes first (as in port-registry).
    if (!request.exact) for (const port of leasedNow.keys()) blocked.add(port);
    else for (const port of leasedBy.keys()) blocked.add(port);
    const sticky = request.key === undefined ? undefined : view.sticky.find((entry) => entry.key === request.key)?.port;
    const others = new Set(view.sticky.filter((entry) => entry.key !== request.key).map((entry) => entry.port));
    let chosen: number | undefined;
    for (const port of candidates({ range: request.range, exact: request.exact, key: request.key, sticky, blocked, reserved: others, random: Math.random() })) {
      if (request.claim || (await probePort(port)).free) {
        chosen = port;
        break;
      }
      busy.add(port);
    }
    if (chosen === undefined) {
      const leased = request.exact ? [...leasedBy.values()] : [...leasedNow.values()];
      throw noPort(request, leased, [...busy]);
    }
    const port = chosen;
    const outcome = await transaction<Outcome | Lease>(ctx, async (data, at, reclaimed) => {
      if (request.key !== undefined) {
        // After the prune, any lease left with this key is in force (or kept for its bound port).
        const existing = data.leases.find((lease) => keyOf(lease) === request.key);
        if (existing) return { value: returnable(existing, request), changed: false };
      }
      const holder = data.leases.find((lease) => lease.port === port);
      if (holder) {
        view = data;
        return { value: { kind: 'taken', holder: copyLease(holder) }, changed: false };
      }
      // The probe above ran before this transaction reclaimed a lease of this port (it
      // expired, or its owner died): whoever held it may serve there still. Ask the OS again.
      if (!request.claim && reclaimed.some((lease) => lease.port === port) && !(await probePort(port)).free) {
        return { value: { kind: 'busy' }, changed: false };
      }
      return { value: { kind: 'granted', lease: newLease(data, request, port, at) }, changed: true };
    });
    if (!('kind' in outcome)) return hold(outcome, release);
    if (outcome.kind === 'granted') return hold(outcome.lease, release);
    if (outcome.kind === 'busy') busy.add(port);
    else leasedBy.set(outcome.holder.port, outcome.holder);
  }
  throw new PortleaseError('E_NO_PORT', `Gave up after ${MAX_ROUNDS} rounds: other processes kept taking the chosen ports.`);
}

export type { ReserveInput };
