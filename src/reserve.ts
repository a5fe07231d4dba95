/**
 * `reserve()`: probe outside the lock (binding many busy ports can take a while), then
 * commit under the lock only if nobody leased the chosen port meanwhile (and probe again
 * if the transaction itself reclaimed a lease of that port).
 */
import { candidates, type PortSet } from './choose.js';
import { changes, ensure, keyOf, liveByKey, mayReturn, newLease, noPort, returnable } from './grant.js';
import { releaseIn } from './leases.js';
import { PortleaseError, typeError } from './errors.js';
import { describe } from './validate.js';
import { scopeIn, type Scope } from './identity.js';
import { probePort } from './probe.js';
import { cachedLiveness, confirmPeek, deadReason, peek, transaction, type RegistryContext } from './registry.js';
import type { Loaded } from './storage.js';
import { splitArgs, toRequest, type ReserveRequest } from './request.js';
import { copyLease, type RegistryData } from './schema.js';
import type { HeldLease, Lease, ReserveOptions } from './types.js';

// A commit that loses its port to a concurrent reserve tries again with a fresh view.
const MAX_ROUNDS = 25;

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
      const blocked = new Set([...request.exclude(), ...busy, ...chosen.values()]);
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
