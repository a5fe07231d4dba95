/**
 * Random names for things on disk that only need to differ from every other one: the
 * holder entry of the lock, a commit's token (its lineage), a temp file (a revision's, or
 * writeFileAtomic's for `.env`, `--port-file` and the pid file, opened with O_EXCL).
 * Nothing is protected by them being secret (the registry belongs to one user, who can
 * read it all), so they come from Math.random, which node seeds per process from the
 * system's CSPRNG; node:crypto would cost the CLI ~1.7 ms to load for them (see sha1.ts).
 */

/** `bytes` random bytes (at most 6) as lowercase hex: 12 characters for 6. */
export function randomToken(bytes: number): string {
  return Math.floor(Math.random() * 2 ** (8 * bytes))
    .toString(16)
    .padStart(2 * bytes, '0');
}
