/**
 * Which ports to try, in order (pure). The probe and the registry then decide which of
 * them is actually free.
 */
import { sha1 } from './sha1.js';
import type { PortRange } from './types.js';

/** A set of ports as {@link candidates} needs it: membership only (a union need not be built). */
export interface PortSet {
  has(port: number): boolean;
}

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
  blocked: PortSet;
  /** Ports remembered by other keys: tried last, so those keys can get theirs back. */
  reserved: PortSet;
  /** Random number in [0, 1) for an anonymous lease's starting point. */
  random: number;
}

/**
 * Stable position of a key in a range: the same key gets the same first port on every
 * machine (FNV would do; SHA-1 spreads well, and changing it would move every key's port).
 */
export function hashPort(key: string, [from, to]: PortRange): number {
  const digest = sha1(key);
  const first = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
  return from + (first % (to - from + 1));
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
  const tried = new Set(preferred);
  const blocked: PortSet = tried.size === 0 ? input.blocked : { has: (port) => tried.has(port) || input.blocked.has(port) };
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

/** The OS facts that rule ports out (see src/platform/). */
export interface OsPortFacts {
  /** The range the OS takes outgoing connections' source ports from. */
  ephemeral: { from: number; to: number };
  /** Ranges the OS reserves or excludes (a bind there fails with EACCES on Windows). */
  reserved: ReadonlyArray<{ from: number; to: number }>;
}

/**
 * Ports of `range` that are not handed out because of the OS (pure): its reserved ranges
 * always, and its ephemeral range when `range` is the default one — unless that would
 * leave nothing of it (an ephemeral range of 1024-65535), where handing out ephemeral
 * ports (with a `doctor` warning) beats failing. A range the user chose is theirs: only
 * `doctor` warns when it overlaps the ephemeral range.
 *
 * @example
 * osBlockedPorts([20000, 29999], { ephemeral: { from: 28000, to: 60999 }, reserved: [] }, true); // 28000…29999
 */
export function osBlockedPorts(range: PortRange, facts: OsPortFacts, isDefault: boolean): number[] {
  const [from, to] = range;
  const blocked = new Set<number>();
  const add = (span: { from: number; to: number }) => {
    for (let port = Math.max(from, span.from); port <= Math.min(to, span.to); port++) blocked.add(port);
  };
  for (const span of facts.reserved) add(span);
  if (isDefault) {
    const ephemeral = facts.ephemeral;
    const covered = Math.max(0, Math.min(to, ephemeral.to) - Math.max(from, ephemeral.from) + 1);
    if (covered < to - from + 1) add(ephemeral);
  }
  return [...blocked];
}
