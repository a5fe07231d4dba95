/**
 * What a reserve grants, decided on the registry's data (the OS is asked only whether an
 * owner lives): a key's live lease back to its caller ("ensure", renewed or
 * rerouted when the caller asks so), a new lease, or the error that says why there is none.
 * `reserve.ts` takes these decisions under the lock.
 */
import { PortleaseError } from './errors.js';
import { displayKey } from './names.js';
import { isAlive, isSelf, sameOwner } from './owner.js';
import { deadReason } from './registry.js';
import type { ReserveRequest } from './request.js';
import { copyLease, leaseKey, type RegistryData } from './schema.js';
import type { Lease } from './types.js';

// Keep the sticky memory bounded: the oldest keys are forgotten first.
const MAX_STICKY = 10_000;

/** The key of a named lease (`undefined` for an anonymous one). */
export function keyOf(lease: Lease): string | undefined {
  return lease.service === null ? undefined : leaseKey(lease.app, lease.instance, lease.service);
}

/** The live lease of a key, if any (expired or dead-owner leases do not count). */
export function liveByKey(data: RegistryData, key: string, now: number): Lease | undefined {
  return data.leases.find((lease) => keyOf(lease) === key && deadReason(lease, now) === null);
}

/** Whether the caller may have a live lease of its key back: it is durable, ttl-only, or owned by the process the caller is or names. */
export function mayReturn(existing: Lease, request: ReserveRequest): boolean {
  const owner = existing.owner;
  return owner === null || isSelf(owner) || (request.owner !== null && sameOwner(owner, request.owner));
}

/**
 * Whether asking again for a key returns its lease ("ensure"): when it is durable,
 * ttl-only, owned by the calling process, or owned by the very process the request names
 * (`--owner-pid $$` twice from one shell). A lease whose owner died but whose port is
 * still bound (kept by the prune) is in the way too: the port is not ours to serve on.
 */
export function returnable(existing: Lease, request: ReserveRequest): Lease {
  const owner = existing.owner;
  if (request.exclusive || !mayReturn(existing, request)) {
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

/**
 * Whether a re-ask rewrites the lease's lifetime: only when the caller chose one, and it
 * differs from the lease's or is a ttl (asking again with a ttl renews it).
 */
function relives(existing: Lease, request: ReserveRequest): boolean {
  if (!request.lifetime) return false;
  if (request.ttl !== undefined || existing.expiresAt !== null) return true;
  const [a, b] = [existing.owner, request.owner];
  return a === null || b === null ? a !== b : !sameOwner(a, b);
}

/** Whether a re-ask names a route (`path`, `stripPath`) other than the lease's: it moves the route. */
function reroutes(existing: Lease, request: ReserveRequest): boolean {
  return request.path !== undefined && (request.path !== existing.path || request.stripPath !== (existing.stripPath === true));
}

/** Whether asking again changes the lease: its lifetime or its route. */
export function changes(existing: Lease, request: ReserveRequest): boolean {
  return relives(existing, request) || reroutes(existing, request);
}

/**
 * Returns a key's live lease to its caller, with the lifetime and the route the caller
 * asked for. The lease is replaced in `data`, never changed in place: lease objects are
 * shared with this process's readers (see cache.ts).
 */
export function ensure(data: RegistryData, existing: Lease, request: ReserveRequest, now: number): { value: Lease; changed: boolean } {
  const lease = returnable(existing, request);
  if (!changes(lease, request)) return { value: copyLease(lease), changed: false };
  const renewed: Lease = { ...lease };
  if (relives(lease, request)) {
    renewed.owner = request.owner;
    renewed.expiresAt = request.ttl === undefined ? null : new Date(now + request.ttl).toISOString();
    if (request.ttl === undefined) delete renewed.ttl;
    else renewed.ttl = request.ttl;
  }
  if (reroutes(lease, request)) {
    renewed.path = request.path!;
    if (request.stripPath) renewed.stripPath = true;
    else delete renewed.stripPath;
  }
  data.leases[data.leases.indexOf(lease)] = renewed;
  return { value: copyLease(renewed), changed: true };
}

/** Writes a new lease of `port` into `data` (and remembers its key's port for stickiness). */
export function newLease(data: RegistryData, request: ReserveRequest, port: number, now: number): Lease {
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
export function noPort(request: ReserveRequest, leased: Lease[], busy: number[]): PortleaseError {
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
    return new PortleaseError(
      'E_PORT_BUSY',
      `Port ${port} is in use on this machine (not by a portlease lease). Stop what listens there, or use claim if it is the service itself.`,
      {
        port,
      },
    );
  }
  // Only what stands in the range counts: leases elsewhere (or a preferred port outside it) did not block it.
  const [from, to] = request.range;
  const inRange = (port: number) => port >= from && port <= to;
  return new PortleaseError(
    'E_NO_PORT',
    `No free port in ${from}-${to} (${leased.filter((lease) => inRange(lease.port)).length} leased, ${busy.filter(inRange).length} busy on this machine). Widen the range or release leases.`,
  );
}
