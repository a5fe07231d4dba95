/** Facts about a registry and a port, for `doctor`, `check` and the HTTP server. */
import { promises as fs } from 'node:fs';
import { type LockState, lockState } from './lock-holder.js';
import { cachedLiveness, deadReason, snapshot, type RegistryContext } from './registry.js';
import { load } from './storage.js';
import { probePort } from './probe.js';
import { copyLease } from './schema.js';
import type { Lease } from './types.js';
import { checkPort } from './validate.js';

/** What `inspect()` reports. */
export interface RegistryReport {
  home: string;
  /** The newest readable revision file, or the registry directory when there is none yet. */
  file: string;
  /** The file exists (or cannot be looked at, which a missing file does not cause). */
  exists: boolean;
  /** Permission bits of the newest revision file and of the home directory, or `null` when missing. */
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
  lock: LockState;
  /** Anything wrong, in words; empty when all is well. */
  problems: string[];
}

/** Permission bits of a path, `null` when it does not exist, or the error code when it cannot be looked at. */
async function modeOf(path: string): Promise<number | null | string> {
  try {
    return (await fs.lstat(path)).mode & 0o7777;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : (code ?? String(error));
  }
}

/** Reports on the registry without changing it. */
export async function inspectIn(ctx: RegistryContext): Promise<RegistryReport> {
  const { paths } = ctx;
  const [dirStat, registryStat, lock] = await Promise.all([modeOf(paths.dir), modeOf(paths.registry), lockState(paths)]);
  const problems: string[] = [];
  // A registry we may not look at exists all the same: "not created yet" would send the user the wrong way.
  for (const [path, stat] of [
    [paths.dir, dirStat],
    [paths.registry, registryStat],
  ] as const) {
    if (typeof stat === 'string') problems.push(`Cannot look at ${path} (${stat}): check that it belongs to you`);
  }
  const dirMode = typeof dirStat === 'number' ? dirStat : null;
  // Windows reports every writable folder as 0666: its ACLs, not modes, say who may write.
  if (process.platform === 'win32') {
    // nothing to judge from a mode
  } else if (dirMode !== null && (dirMode & 0o022) !== 0 && (dirMode & 0o1000) === 0) {
    problems.push(
      `${paths.dir} has mode ${(dirMode & 0o777).toString(8)}: other users can write to it, so portlease refuses to write there (chmod go-w ${paths.dir})`,
    );
  } else if (dirMode !== null && (dirMode & 0o077) !== 0) {
    problems.push(`${paths.dir} has mode ${(dirMode & 0o777).toString(8)}: others can read your leases (chmod 700 ${paths.dir})`);
  }
  if (lock.held && lock.ageMs !== null && lock.ageMs > 60_000) problems.push(`the lock ${paths.lock} has been held for ${Math.round(lock.ageMs / 1000)} s`);
  const report: RegistryReport = {
    home: paths.dir,
    file: paths.registry,
    exists: registryStat !== null || (await modeOf(paths.legacy)) !== null,
    fileMode: null,
    dirMode: dirMode === null ? null : dirMode & 0o777,
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
    const { data, file, recovered } = await load(paths);
    if (recovered) problems.push(recovered);
    if (file !== null) {
      report.file = file;
      const mode = await modeOf(file);
      report.fileMode = typeof mode === 'number' ? mode & 0o777 : null;
      if (process.platform !== 'win32' && report.fileMode !== null && report.fileMode !== 0o600)
        problems.push(`${file} has mode ${report.fileMode.toString(8)}, expected 600`);
      if (file === paths.legacy || file.startsWith(`${paths.legacy}.`))
        problems.push(`${file} is portlease 0.1's registry: the next write moves it into ${paths.registry}`);
    }
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
