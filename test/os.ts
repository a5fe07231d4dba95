/**
 * Why a test cannot run on this OS, in one place: CI runs the suite on Linux, macOS and
 * Windows, and a test skipped there says why (the README lists what is tested where).
 * Each value is the reason, or `undefined` when the test runs here.
 */
const os = process.platform;

/** Skip reasons by what the test needs. */
export const NEEDS = {
  /** `/proc` (a stopped process's state, `/proc` as a home, `sh` + zombie reaping checks). */
  proc: os === 'linux' ? undefined : 'reads /proc, which only Linux has',
  /** POSIX signals a process can catch or be paused by (SIGSTOP/SIGCONT, SIGTERM/SIGHUP handlers, process groups). */
  signals: os === 'win32' ? 'Windows has no POSIX signals: a process cannot be paused, nor catch SIGTERM/SIGHUP (it is ended)' : undefined,
  /** Linux's special files as odd targets (`/proc`, `/dev/full`, FIFOs) and the `true` command. */
  linuxFiles: os === 'linux' ? undefined : 'uses /proc, /dev/full, FIFOs and `true`, which are Linux (or POSIX) only',
  /** POSIX file modes (0600/0700/sticky) and symlinks without privileges. */
  modes: os === 'win32' ? 'Windows has no POSIX file modes (its ACLs decide) and needs a privilege for symlinks' : undefined,
  /** A boot id that is part of owner identity. */
  bootId:
    os === 'win32'
      ? "Windows' LastBootUpTime moves with the clock, so it is not part of the identity: a previous boot's owner is told by its absolute start time (test/platform/owner-rules.test.ts)"
      : undefined,
} as const;
