/**
 * What the dashboard shows of a lease (pure): one flat row per lease, and the difference
 * between two sets of rows, which is all the server pushes after the first snapshot.
 * Times stay ISO strings: the page counts ages and time left down itself, so the clock
 * alone never makes the server push anything.
 */
import type { Lease } from '../../types.js';

/** How a lease ends: never (durable), with its owner, at a time, or whichever comes first. */
export type LeaseKind = 'durable' | 'owner' | 'ttl' | 'owner+ttl';

/** `live`, or why the lease is stale: its ttl ran out, or its owner died. */
export type LeaseState = 'live' | 'expired' | 'dead';

/** The owning process as the page shows it. */
export interface OwnerView {
  pid: number;
  /** Command line from `/proc/<pid>/cmdline`; `null` where the OS does not tell. */
  command: string | null;
  alive: boolean;
  /** False for an owner on another host or pid namespace (judged by its ttl only). */
  local: boolean;
}

/** One lease, as the page shows it. */
export interface Row {
  id: number;
  port: number;
  app: string;
  instance: string;
  /** Service of a named lease; `null` for an anonymous one. */
  service: string | null;
  label: string | null;
  kind: LeaseKind;
  /** Registered as already bound by its own service (`claim`). */
  claimed: boolean;
  expiresAt: string | null;
  createdAt: string;
  owner: OwnerView | null;
  state: LeaseState;
  /** Something listens on the port right now; `null` when unknown. */
  listening: boolean | null;
  /** Where the proxy routes the service, when it can. */
  url: string | null;
}

/** Facts about the machine a row needs beyond the lease itself. */
export interface RowFacts {
  state: LeaseState;
  owner: OwnerView | null;
  listening: boolean | null;
  url: string | null;
}

/**
 * The kind of a lease, from which lifetimes it has.
 *
 * @example
 * kindOf({ owner: null, expiresAt: null }); // 'durable'
 */
export function kindOf(lease: Pick<Lease, 'owner' | 'expiresAt'>): LeaseKind {
  if (lease.owner !== null) return lease.expiresAt !== null ? 'owner+ttl' : 'owner';
  return lease.expiresAt !== null ? 'ttl' : 'durable';
}

/**
 * The row of `lease`.
 *
 * @example
 * toRow(lease, { state: 'live', owner: null, listening: true, url: null });
 */
export function toRow(lease: Lease, facts: RowFacts): Row {
  return {
    id: lease.id,
    port: lease.port,
    app: lease.app,
    instance: lease.instance,
    service: lease.service,
    label: lease.label ?? null,
    kind: kindOf(lease),
    claimed: lease.claimed === true,
    expiresAt: lease.expiresAt,
    createdAt: lease.createdAt,
    owner: facts.owner,
    state: facts.state,
    listening: facts.listening,
    url: facts.url,
  };
}

/** What changed between two sets of rows. */
export interface RowDiff {
  added: Row[];
  changed: Row[];
  /** Ids of rows that are gone. */
  removed: number[];
}

/**
 * The rows added, changed and removed from `before` to `after` (both keyed by id).
 *
 * @example
 * diffRows(new Map(), new Map([[1, row]])); // { added: [row], changed: [], removed: [] }
 */
export function diffRows(before: ReadonlyMap<number, Row>, after: ReadonlyMap<number, Row>): RowDiff {
  const diff: RowDiff = { added: [], changed: [], removed: [] };
  for (const [id, row] of after) {
    const old = before.get(id);
    if (old === undefined) diff.added.push(row);
    else if (!sameRow(old, row)) diff.changed.push(row);
  }
  for (const id of before.keys()) if (!after.has(id)) diff.removed.push(id);
  return diff;
}

/** True when a diff holds nothing. */
export function isEmptyDiff(diff: RowDiff): boolean {
  return diff.added.length === 0 && diff.changed.length === 0 && diff.removed.length === 0;
}

function sameRow(a: Row, b: Row): boolean {
  // Rows are small flat JSON built in one fixed key order: comparing their text is exact.
  return JSON.stringify(a) === JSON.stringify(b);
}
