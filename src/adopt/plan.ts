/**
 * The import planner: from what the scanners found and what the registry and the OS say
 * now, decide per port whether to register it, claim it, leave it (already registered),
 * report a conflict, or skip it. Pure: no files, no sockets, no registry.
 */
import type { Lease } from '../types.js';
import type { FoundPort, PortSource } from './found.js';

/**
 * - `register`: a new durable lease on a port nothing uses now;
 * - `claim`: a new durable lease on a port bound right now (by the service itself, we
 *   assume: no lease holds it);
 * - `exists`: this app already holds this service on this port (import is idempotent);
 * - `conflict`: another lease holds the port, or this service is leased on another port;
 * - `skip`: nothing to register (a container-only port, an unset variable, a duplicate…).
 */
export type ImportAction = 'register' | 'claim' | 'exists' | 'conflict' | 'skip';

/** One line of the import table. */
export interface ImportRow {
  service: string;
  port: number | null;
  action: ImportAction;
  /** Why: the holder of a conflict, the reason of a skip, `bound now` for a claim. */
  reason: string | null;
  /** Every place this port was found, the one that named it first. */
  sources: PortSource[];
  /** The variable that sets this port in compose or `.env`, if any. */
  variable?: string;
  /** The lease in the way, for conflicts. */
  holder?: Lease;
  /** The lease, for `exists` (and, after importing, `register` and `claim`). */
  lease?: Lease;
}

/** What the planner needs to know about the world. */
export interface PlanState {
  app: string;
  instance: string;
  /** Live leases of the registry (all apps). */
  leases: readonly Lease[];
  /** Ports the OS reports bound right now. */
  bound: ReadonlySet<number>;
}

/** A host port with every finding that names it (before the registry is consulted). */
export interface Candidate {
  service: string;
  port: number;
  sources: PortSource[];
  variable?: string;
}

/**
 * Merges findings: one candidate per host port (the first finding names it, so a compose
 * service wins over a `.env` entry, which wins over a script), and one port per service
 * name (a second, different port under a name already taken is skipped with the reason).
 *
 * @example
 * mergeFound(found); // [{ service: 'postgres', port: 5432, sources: [compose, .env] }, …]
 */
export function mergeFound(found: readonly FoundPort[]): Array<Candidate | ImportRow> {
  const out: Array<Candidate | ImportRow> = [];
  const byPort = new Map<number, Candidate>();
  const byName = new Map<string, Candidate>();
  for (const item of found) {
    if (item.port === null || item.skip !== undefined) {
      out.push({
        service: item.service,
        port: item.port,
        action: 'skip',
        reason: item.skip ?? 'no host port',
        sources: [item.source],
        ...(item.variable ? { variable: item.variable } : {}),
      });
      continue;
    }
    const samePort = byPort.get(item.port);
    if (samePort !== undefined) {
      samePort.sources.push(item.source);
      if (samePort.variable === undefined && item.variable !== undefined) samePort.variable = item.variable;
      continue;
    }
    const sameName = byName.get(item.service);
    if (sameName !== undefined) {
      out.push({
        service: item.service,
        port: item.port,
        action: 'skip',
        reason: `${item.service} is already imported with port ${sameName.port} (${where(sameName.sources[0])}); register this one under another name: portlease reserve <name> --port ${item.port}`,
        sources: [item.source],
      });
      continue;
    }
    const candidate: Candidate = {
      service: item.service,
      port: item.port,
      sources: [item.source],
      ...(item.variable ? { variable: item.variable } : {}),
    };
    byPort.set(item.port, candidate);
    byName.set(item.service, candidate);
    out.push(candidate);
  }
  return out;
}

/**
 * Plans an import: one row per port found (and per entry skipped), in the order found.
 *
 * @example
 * planImport(found, { app: 'shop', instance: 'default', leases: await list(), bound: new Set([5432]) });
 */
export function planImport(found: readonly FoundPort[], state: PlanState): ImportRow[] {
  return mergeFound(found).map((entry) => ('action' in entry ? entry : decide(entry, state)));
}

function decide(candidate: Candidate, state: PlanState): ImportRow {
  const row: ImportRow = {
    service: candidate.service,
    port: candidate.port,
    action: 'register',
    reason: null,
    sources: candidate.sources,
    ...(candidate.variable ? { variable: candidate.variable } : {}),
  };
  const mine = state.leases.find((lease) => lease.app === state.app && lease.instance === state.instance && lease.service === candidate.service);
  if (mine !== undefined && mine.port === candidate.port) {
    return { ...row, action: 'exists', reason: `already registered (id ${mine.id})`, lease: mine };
  }
  if (mine !== undefined) {
    return {
      ...row,
      action: 'conflict',
      reason: `${candidate.service} is already leased on port ${mine.port} (id ${mine.id}); release it first to import ${candidate.port}`,
      holder: mine,
    };
  }
  const holder = state.leases.find((lease) => lease.port === candidate.port);
  if (holder !== undefined) {
    return { ...row, action: 'conflict', reason: `port ${candidate.port} is leased by ${describeHolder(holder)}`, holder };
  }
  if (state.bound.has(candidate.port)) return { ...row, action: 'claim', reason: 'bound now: claimed as its own' };
  return row;
}

/**
 * Names a lease for a message: `shop/default/web (id 3)`, `anonymous lease "vitest" (id 9)`.
 *
 * @example
 * describeHolder(lease); // 'other-app/default/postgres (id 4)'
 */
export function describeHolder(lease: Lease): string {
  const who =
    lease.service === null
      ? `anonymous lease${lease.label === undefined ? '' : ` ${JSON.stringify(lease.label)}`} of ${lease.app}`
      : `${lease.app}/${lease.instance}/${lease.service}`;
  return `${who} (id ${lease.id})`;
}

/**
 * Where a finding comes from, for messages and tables: `file:line`, or the file alone
 * when the line is unknown.
 *
 * @example
 * where({ kind: 'env', file: '.env', line: 3, origin: 'API_PORT', text: 'API_PORT=4000' }); // '.env:3'
 */
export function where(source: PortSource | undefined): string {
  if (source === undefined) return '?';
  return source.line === null ? source.file : `${source.file}:${source.line}`;
}
