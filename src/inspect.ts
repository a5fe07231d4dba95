/** Facts about a registry and a port, for `doctor`, `check` and the HTTP server. */
import { promises as fs } from 'node:fs';
import { lockState } from './lock.js';
import { cachedLiveness, deadReason, snapshot, type RegistryContext } from './registry.js';
import { probePort } from './probe.js';
import { copyLease } from './schema.js';
import type { Lease, Owner } from './types.js';
import { checkPort } from './validate.js';

/** What `inspect()` reports. */
export interface RegistryReport {
  home: string;
  file: string;
  /** The file exists (or cannot be looked at, which a missing file does not cause). */
  exists: boolean;
  /** Permission bits of the file and its directory, or `null` when missing or unreadable. */
  fileMode: number | null;
  dirMode: number | null;
  schema: number | null;
  rev: number;
  /** Number of lease records in the file, live or not. */
  leases: number;
  live: Lease[];
  /** Leases whose owner died (kept while their port is still bound). */
  dead: Lease[];
  expired: Lease[];
  lock: { held: boolean; holder: Owner | null; ageMs: number | null };
  /** Anything wrong, in words; empty when all is well. */
  problems: string[];
}

/** Permission bits of a path, `null` when it does not exist, or the error code when it cannot be looked at. */
async function modeOf(path: string): Promise<number | null | string> {
  try {
    return (await fs.stat(path)).mode & 0o777;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : (code ?? String(error));
  }
}

/** Reports on the registry without changing it. */
export async function inspectIn(ctx: RegistryContext): Promise<RegistryReport> {
  const { paths } = ctx;
  const [fileStat, dirStat, lock] = await Promise.all([modeOf(paths.file), modeOf(paths.dir), lockState(paths)]);
  const problems: string[] = [];
  // A registry we may not look at exists all the same: "not created yet" would send the user the wrong way.
  for (const [path, stat] of [[paths.dir, dirStat], [paths.file, fileStat]] as const) {
    if (typeof stat === 'string') problems.push(`Cannot look at ${path} (${stat}): check that it belongs to you`);
  }
  const fileMode = typeof fileStat === 'number' ? fileStat : null;
  const dirMode = typeof dirStat === 'number' ? dirStat : null;
  if (fileMode !== null && fileMode !== 0o600) problems.push(`${paths.file} has mode ${fileMode.toString(8)}, expected 600`);
  if (dirMode !== null && dirMode !== 0o700) problems.push(`${paths.dir} has mode ${dirMode.toString(8)}, expected 700`);
  if (lock.held && lock.ageMs !== null && lock.ageMs > 60_000) problems.push(`the lock ${paths.lock} has been held for ${Math.round(lock.ageMs / 1000)} s`);
  const report: RegistryReport = {
    home: paths.dir,
    file: paths.file,
    exists: fileStat !== null,
    fileMode,
    dirMode,
    schema: null,
    rev: 0,
    leases: 0,
    live: [],
    dead: [],
    expired: [],
    lock,
    problems,
  };
  try {
    const data = await snapshot(ctx);
    const now = Date.now();
    const alive = cachedLiveness();
    Object.assign(report, { schema: data.schema, rev: data.rev, leases: data.leases.length });
    for (const lease of data.leases.map(copyLease)) {
      const reason = deadReason(lease, now, alive);
      (reason === null ? report.live : reason === 'expired' ? report.expired : report.dead).push(lease);
    }
  } catch (error) {
    problems.push((error as Error).message);
  }
  return report;
}

/** Whether a port is free, to the registry and to the OS. */
export interface PortCheck {
  port: number;
  /** Neither leased nor bound. */
  free: boolean;
  /** The OS reports it in use on at least one address. */
  bound: boolean;
  /** Addresses where it is bound. */
  busyOn: string[];
  /** The live lease on it, if any. */
  holder: Lease | null;
}

/** Checks one port against the registry and the OS. */
export async function checkPortIn(ctx: RegistryContext, port: number): Promise<PortCheck> {
  checkPort(port);
  const now = Date.now();
  const [data, probe] = await Promise.all([snapshot(ctx), probePort(port)]);
  const found = data.leases.find((lease) => lease.port === port && deadReason(lease, now) === null);
  const holder = found === undefined ? null : copyLease(found);
  return { port, free: holder === null && probe.free, bound: !probe.free, busyOn: probe.busyOn, holder };
}
