/**
 * `reserve()`: probe outside the lock (binding many busy ports can take a while), then
 * commit under the lock only if nobody leased the chosen port meanwhile (and probe again
 * if the transaction itself reclaimed a lease of that port).
 */
import { candidates, type PortSet } from './choose.js';
import { releaseIn } from './leases.js';
import { PortleaseError, typeError } from './errors.js';
import { describe } from './validate.js';
import { displayKey } from './names.js';
import { scopeIn, type Scope } from './identity.js';
import { isAlive, isSelf, sameOwner } from './owner.js';
import { probePort } from './probe.js';
import { cachedLiveness, confirmPeek, deadReason, peek, transaction, type RegistryContext } from './registry.js';
import type { Loaded } from './storage.js';
import { splitArgs, toRequest, type ReserveRequest } from './request.js';
import { copyLease, leaseKey, type RegistryData } from './schema.js';
import type { HeldLease, Lease, ReserveOptions } from './types.js';

// Keep the sticky memory bounded: the oldest keys are forgotten first.
const MAX_STICKY = 10_000;
// A commit that loses its port to a concurrent reserve tries again with a fresh view.
const MAX_ROUNDS = 25;

/** What the commit step decided. */

function keyOf(lease: Lease): string | undefined {
  return lease.service === null ? undefined : leaseKey(lease.app, lease.instance, lease.service);
}

/** The live lease of a key, if any (expired or dead-owner leases do not count). */
function liveByKey(data: RegistryData, key: string, now: number): Lease | undefined {
  return data.leases.find((lease) => keyOf(lease) === key && deadReason(lease, now) === null);
}

/** Whether the caller may have a live lease of its key back: it is durable, ttl-only, or owned by the process the caller is or names. */
function mayReturn(existing: Lease, request: ReserveRequest): boolean {
  const owner = existing.owner;
  return owner === null || isSelf(owner) || (request.owner !== null && sameOwner(owner, request.owner));
}

/**
 * Whether asking again for a key returns its lease ("ensure"): when it is durable,
 * ttl-only, owned by the calling process, or owned by the very process the request names
 * (`--owner-pid $$` twice from one shell). A lease whose owner died but whose port is
 * still bound (kept by the prune) is in the way too: the port is not ours to serve on.
 */
function returnable(existing: Lease, request: ReserveRequest): Lease {
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
function changes(existing: Lease, request: ReserveRequest): boolean {
  return relives(existing, request) || reroutes(existing, request);
}

/**
 * Returns a key's live lease to its caller, with the lifetime and the route the caller
 * asked for. The lease is replaced in `data`, never changed in place: lease objects are
 * shared with this process's readers (see cache.ts).
 */
function ensure(data: RegistryData, existing: Lease, request: ReserveRequest, now: number): { value: Lease; changed: boolean } {
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

/** Attaches the non-enumerable `release()` and `Symbol.asyncDispose` (releasing it from `ctx`'s registry) to a lease. */
export function hold(ctx: RegistryContext, lease: Lease): HeldLease {
  const held = copyLease(lease) as HeldLease;
  const releaseOnce = async () => (await releaseIn(ctx, { id: held.id, port: held.port })) > 0;
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
 * The scope resolver of one call: app and instance from the names given, the registry's
 * env and its cwd; each combination resolved once (the git lookup is not repeated per
 * service of a batch).
 */
function scopesOf(ctx: RegistryContext): (named: { app: string | undefined; instance: string | undefined }) => Scope {
  const resolved = new Map<string, Scope>();
  return (named) => {
    const key = JSON.stringify([named.app, named.instance]);
    let scope = resolved.get(key);
    if (scope === undefined) {
      scope = scopeIn(ctx, named);
      resolved.set(key, scope);
    }
    return scope;
  };
}

/**
 * Reserves a port. See `Registry.reserve` for the contract.
 */
export async function reserveIn(ctx: RegistryContext, first: unknown, second: unknown): Promise<HeldLease> {
  const { service, options } = splitArgs(first, second);
  const [lease] = await reserveBatch(ctx, [toRequest(service, options, ctx.env, scopesOf(ctx))]);
  return lease!;
}

/** One lease of `reserveAll()`: a service name, or options of its own (`service` names it; without, it is anonymous). */
export type ServiceInput = string | (ReserveOptions & { service?: string });

/**
 * Reserves several leases in one transaction. See `Registry.reserveAll`.
 */
export async function reserveAllIn(ctx: RegistryContext, services: unknown, shared: unknown): Promise<HeldLease[]> {
  if (!Array.isArray(services) || services.length === 0) throw typeError(`reserveAll() takes a non-empty list of services, got ${describe(services)}`);
  if (shared !== undefined && (shared === null || typeof shared !== 'object'))
    throw typeError(`reserveAll() options must be an object, got ${describe(shared)}`);
  const scope = scopesOf(ctx);
  const requests = services.map((item: unknown) => {
    if (typeof item === 'string') return toRequest(item, (shared ?? {}) as ReserveOptions, ctx.env, scope);
    if (item === null || typeof item !== 'object') throw typeError(`reserveAll() takes service names or option objects, got ${describe(item)}`);
    const { service, ...own } = item as ReserveOptions & { service?: string };
    return toRequest(service, { ...(shared as ReserveOptions), ...own }, ctx.env, scope);
  });
  return reserveBatch(ctx, requests);
}

/** What the commit step decided for a whole batch. */
type BatchOutcome = { kind: 'granted'; leases: Lease[] } | { kind: 'taken'; holder: Lease } | { kind: 'busy'; port: number } | { kind: 'again' };

/**
 * Reserves several leases at once: one lock-free read, one probe pass, one transaction,
 * one durable write — all or nothing, with the same rules as one by one. Ports chosen for
 * earlier requests of the batch are not offered to later ones.
 */
export async function reserveBatch(ctx: RegistryContext, requests: ReserveRequest[]): Promise<HeldLease[]> {
  const keys = requests.flatMap((request) => (request.key === undefined ? [] : [request.key]));
  const twice = keys.find((key, index) => keys.indexOf(key) !== index);
  if (twice !== undefined) throw typeError(`the same service is asked for twice in one call: ${twice}`);
  const named = (error: unknown, request: ReserveRequest) =>
    requests.length > 1 && request.service !== null && error instanceof PortleaseError && !error.message.includes(request.service)
      ? new PortleaseError(error.code, `${request.service}: ${error.message}`, {
          cause: error,
          ...(error.port === undefined ? {} : { port: error.port }),
          ...(error.holder === undefined ? {} : { holder: error.holder }),
        })
      : error;
  // A view to choose ports from, read without the lock: the transaction checks every choice
  // again, and reuses this read when no revision was made since (see storage.ts, load).
  let peeked: Loaded | null = await peek(ctx);
  let view = peeked.data;
  const now = Date.now();
  // Ensure without a write: every key is already live, ours to return, lifetime unchanged.
  // That answer comes from this read alone, so the read is confirmed first. Not for a ttl
  // lease: whether it is still live is judged under the lock, by the kernel's clock rather
  // than this process's (see lock.ts, Held.now).
  const answers = (data: RegistryData) =>
    requests.map((request) => (request.key === undefined || request.exclusive ? undefined : liveByKey(data, request.key, now)));
  const returnsAll = (live: Array<Lease | undefined>) =>
    live.every(
      (existing, index) =>
        existing !== undefined && existing.expiresAt === null && mayReturn(existing, requests[index]!) && !changes(existing, requests[index]!),
    );
  if (returnsAll(answers(view))) {
    peeked = await confirmPeek(ctx, peeked);
    view = peeked.data;
    const live = answers(view);
    if (returnsAll(live)) return live.map((existing, index) => hold(ctx, returnable(existing!, requests[index]!)));
  }
  const busy = new Set<number>();
  const leasedBy = new Map<number, Lease>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // A plain loop: no array of [port, lease] pairs per lease of a large registry. Liveness
    // is asked of the OS once per owner in this round, not once per lease (a /proc read
    // each: 10,000 leases of one live owner took ~160 ms per reserve).
    const alive = cachedLiveness();
    const leasedNow = new Map<number, Lease>();
    for (const lease of view.leases) if (deadReason(lease, now, alive) === null) leasedNow.set(lease.port, lease);
    // One probe pass: a port for every request that has no live lease of its own to get back.
    const chosen = new Map<number, number>();
    for (const [index, request] of requests.entries()) {
      const existing = request.key === undefined || request.exclusive ? undefined : liveByKey(view, request.key, now);
      if (existing && mayReturn(existing, request)) continue;
      const blocked = new Set([...request.exclude, ...busy, ...chosen.values()]);
      // Exact ports are probed even when leased: the OS's answer comes first (as in port-registry).
      if (request.exact) for (const port of leasedBy.keys()) blocked.add(port);
      // Leased ports block a range as they are: not copied into a new set, lease by lease.
      const blockedNow: PortSet = request.exact ? blocked : { has: (port) => blocked.has(port) || leasedNow.has(port) };
      const sticky = request.key === undefined ? undefined : view.sticky.find((entry) => entry.key === request.key)?.port;
      const others = new Set<number>();
      for (const entry of view.sticky) if (entry.key !== request.key) others.add(entry.port);
      for (const port of candidates({
        range: request.range,
        exact: request.exact,
        prefer: request.prefer,
        key: request.key,
        sticky,
        blocked: blockedNow,
        reserved: others,
        random: Math.random(),
      })) {
        if (request.claim || (await probePort(port)).free) {
          chosen.set(index, port);
          break;
        }
        busy.add(port);
      }
      if (!chosen.has(index)) throw named(noPort(request, request.exact ? [...leasedBy.values()] : [...leasedNow.values()], [...busy]), request);
    }
    const outcome = await transaction<BatchOutcome>(
      ctx,
      async (data, at, reclaimed) => {
        // Check everything first, change nothing until all of it can be granted.
        const plan: Array<{ existing: Lease } | { port: number }> = [];
        for (const [index, request] of requests.entries()) {
          // After the prune, any lease left with this key is in force (or kept for its bound port).
          const existing = request.key === undefined ? undefined : data.leases.find((lease) => keyOf(lease) === request.key);
          if (existing) {
            try {
              returnable(existing, request);
            } catch (error) {
              throw named(error, request);
            }
            plan.push({ existing });
            continue;
          }
          const port = chosen.get(index);
          if (port === undefined) {
            view = data; // its lease went away meanwhile: it needs a port after all
            return { value: { kind: 'again' }, changed: false };
          }
          const holder = data.leases.find((lease) => lease.port === port);
          if (holder) {
            view = data;
            return { value: { kind: 'taken', holder: copyLease(holder) }, changed: false };
          }
          // The probe above ran before this transaction reclaimed a lease of this port (it
          // expired, or its owner died): whoever held it may serve there still. Ask the OS again.
          if (!request.claim && reclaimed.some((lease) => lease.port === port) && !(await probePort(port)).free) {
            return { value: { kind: 'busy', port }, changed: false };
          }
          plan.push({ port });
        }
        let changed = false;
        const leases = plan.map((step, index) => {
          const request = requests[index]!;
          if ('existing' in step) {
            const ensured = ensure(data, step.existing, request, at);
            changed ||= ensured.changed;
            return ensured.value;
          }
          changed = true;
          return copyLease(newLease(data, request, step.port, at));
        });
        return { value: { kind: 'granted', leases }, changed };
      },
      peeked,
    );
    peeked = null; // a later round chooses from the data of this transaction
    if (outcome.kind === 'granted') return outcome.leases.map((lease) => hold(ctx, lease));
    if (outcome.kind === 'busy') busy.add(outcome.port);
    else if (outcome.kind === 'taken') leasedBy.set(outcome.holder.port, outcome.holder);
  }
  throw new PortleaseError('E_NO_PORT', `Gave up after ${MAX_ROUNDS} rounds: other processes kept taking the chosen ports.`);
}
