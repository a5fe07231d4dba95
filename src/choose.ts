/**
 * Which ports to try, in order (pure). The probe and the registry then decide which of
 * them is actually free.
 */
import { createHash } from 'node:crypto';
import type { PortRange } from './types.js';

/** Inputs of {@link candidates}. */
export interface ChoiceInput {
  range: PortRange;
  /** Exact ports asked for: only these are tried, in this order. */
  exact?: readonly number[] | undefined;
  /** Ports to try before the range (a wish: the range follows when none is free). */
  prefer?: readonly number[] | undefined;
  /** Key of a named lease (`app/instance/service`), or undefined for an anonymous one. */
  key?: string | undefined;
  /** Port the key had last time, if any. */
  sticky?: number | undefined;
  /** Ports that must not be returned (leased, excluded by the caller, skip lists, busy). */
  blocked: ReadonlySet<number>;
  /** Ports remembered by other keys: tried last, so those keys can get theirs back. */
  reserved: ReadonlySet<number>;
  /** Random number in [0, 1) for an anonymous lease's starting point. */
  random: number;
}

/**
 * Stable position of a key in a range: the same key gets the same first port on every
 * machine (FNV would do; SHA-1 is at hand and spreads well).
 */
export function hashPort(key: string, [from, to]: PortRange): number {
  const digest = createHash('sha1').update(key).digest();
  return from + (digest.readUInt32BE(0) % (to - from + 1));
}

/**
 * Ports to try, best first: an exact list as given; else the preferred ports, the key's
 * sticky port, then a walk through the range from the key's hash (or a random point for
 * anonymous leases), with ports remembered by other keys pushed to the end.
 */
export function* candidates(input: ChoiceInput): Generator<number> {
  if (input.exact) {
    for (const port of input.exact) if (!input.blocked.has(port)) yield port;
    return;
  }
  const preferred = input.prefer ?? [];
  for (const port of preferred) if (!input.blocked.has(port)) yield port;
  // A preferred port already tried is not tried again as part of the range.
  const blocked = preferred.length === 0 ? input.blocked : new Set([...input.blocked, ...preferred]);
  const [from, to] = input.range;
  if (input.sticky !== undefined && input.sticky >= from && input.sticky <= to && !blocked.has(input.sticky)) {
    yield input.sticky;
  }
  const size = to - from + 1;
  const start = input.key === undefined ? from + Math.floor(input.random * size) : hashPort(input.key, input.range);
  const later: number[] = [];
  for (let offset = 0; offset < size; offset++) {
    const port = from + ((start - from + offset) % size);
    if (blocked.has(port) || port === input.sticky) continue;
    if (input.reserved.has(port)) later.push(port);
    else yield port;
  }
  yield* later;
}
