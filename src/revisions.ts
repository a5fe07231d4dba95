/**
 * Names inside the registry directory (pure). The registry is a sequence of immutable
 * revision files, `rev-<N>.json`; the newest is the registry. See commit.ts for why.
 */

/** Revisions kept behind the newest: the previous one is the backup. */
export const KEEP_BEHIND = 1;

const REVISION = /^rev-(\d{1,15})\.json$/;
const TEMP = /^\.tmp-(\d+)-([0-9a-f]+)-[0-9a-f]+$/;

/** File name of revision `rev` (zero-padded, so that `ls` lists them in order). */
export function revisionName(rev: number): string {
  return `rev-${String(rev).padStart(12, '0')}.json`;
}

/** A temp file name: the pid and place (owner.ts hereTag) let a sweeper tell a dead writer's temp file. */
export function tempName(pid: number, place: string, random: string): string {
  return `.tmp-${pid}-${place}-${random}`;
}

/** What a directory listing holds: revisions (newest first) and temp files with their pid and place. */
export interface Listing {
  revisions: number[];
  temps: Array<{ name: string; pid: number; place: string }>;
}

/** Sorts a directory listing into revisions and temp files; anything else is ignored. */
export function parseListing(names: readonly string[]): Listing {
  const revisions: number[] = [];
  const temps: Listing['temps'] = [];
  for (const name of names) {
    const revision = REVISION.exec(name);
    if (revision) {
      revisions.push(Number(revision[1]));
      continue;
    }
    const temp = TEMP.exec(name);
    if (temp) temps.push({ name, pid: Number(temp[1]), place: temp[2]! });
  }
  revisions.sort((a, b) => b - a);
  return { revisions, temps };
}

/**
 * Revisions a writer that just committed `committed` on top of `base` (the revision its
 * data came from) may delete: those more than KEEP_BEHIND behind the newest, except its
 * base. Never the newest nor the one before it, so the newest name in the directory only
 * ever grows (the commit's safety rests on that); never the base, so that after a recovery
 * (base older than newest - 1) the last readable revision stays as the backup.
 */
export function prunable(revisions: readonly number[], committed: number, base: number | null): number[] {
  const newest = Math.max(committed, ...revisions);
  return revisions.filter((rev) => rev < newest - KEEP_BEHIND && rev !== base);
}
