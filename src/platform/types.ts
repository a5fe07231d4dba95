/**
 * What portlease asks of the operating system, behind one small interface so that the
 * rest of `src/` never reads `/proc` or spawns a tool itself. One module per OS
 * implements it (linux.ts, darwin.ts, win32.ts); generic.ts is the weakest fallback.
 */

/** A process as the OS shows it. */
export interface ProcessInfo {
  pid: number;
  /**
   * Start time in the platform's own stable notation, compared for equality only
   * (Linux: clock ticks since boot; macOS: epoch seconds; Windows: FILETIME), or `null`
   * when this process's start time cannot be read (another user's, under `hidepid`).
   */
  start: string | null;
  /** False for a process that exited but still holds its pid (a zombie). */
  running: boolean;
}

/** A pid to look up, with the start time it is expected to have (`null`: any). */
export interface ProcessQuery {
  pid: number;
  start: string | null;
}

/** The identity of the current boot. */
export interface BootIdentity {
  /** The id, or `null` when unknown. */
  id: string | null;
  /**
   * True when the id never changes during one boot. An id derived from the wall clock
   * (macOS `kern.boottime`, Windows `LastBootUpTime`) moves when the clock is stepped, and
   * a moved id would make every live owner look like one of a previous boot: such an id
   * is shown by `doctor` but not used in owner identities.
   */
  stable: boolean;
  /** Where it was read, for `doctor`. */
  source: string;
}

/** One listening TCP socket. */
export interface Listener {
  /** Local address, e.g. `0.0.0.0`, `::`, `127.0.0.1`. */
  address: string;
  port: number;
  /** Owning process, when visible (other users' processes usually are not). */
  pid: number | null;
  /** Its command line (shortened), when visible. */
  command: string | null;
}

/** An inclusive port span and where it was read. */
export interface PortSpan {
  from: number;
  to: number;
  source: string;
}

/**
 * The OS facts portlease uses. Sync where the callers are sync (owner identity, request
 * checks); every external command has a timeout, runs at most once per transaction, and
 * a missing or failing tool gives the documented weaker answer with a one-time warning.
 */
export interface Platform {
  /** Which module answers: `linux`, `darwin`, `win32` or `generic`. */
  readonly name: string;
  /** Identity of this boot. */
  boot(): BootIdentity;
  /** The pid namespace of this process (Linux), else `null`. */
  pidNamespace(): string | null;
  /**
   * The processes among `queries` that exist, keyed by pid (absent: no such process), in
   * one batched look-up; `null` when the OS cannot be asked (callers fall back to
   * `kill(pid, 0)`, which cannot tell a reused pid). An answer may come from a table read
   * earlier in the same transaction, but a pid is only reported missing by a table read
   * after the queried process started.
   */
  processes(queries: readonly ProcessQuery[]): ReadonlyMap<number, ProcessInfo> | null;
  /** The command line of `pid` as words; `[]` when it does not run; `null` when the OS cannot tell. */
  commandLine(pid: number): string[] | null;
  /** Listening TCP sockets (on `port` only when given). Never throws: `[]` when unknown. */
  listeners(port?: number): Promise<Listener[]>;
  /** The range the OS takes outgoing connections' source ports from. */
  ephemeralRange(): PortSpan;
  /** Ports the OS reserves or excludes (Windows Hyper-V/WinNAT exclusions, Linux `ip_local_reserved_ports`). */
  reservedRanges(): PortSpan[];
  /**
   * Passes `signal` on to `pid`. Windows has no signals, and `run`'s child there is often
   * `cmd.exe` running a `.cmd` shim: the whole tree is ended (`taskkill /T /F`), else the
   * real program would outlive it.
   */
  terminate(pid: number, signal: NodeJS.Signals): void;
  /** Warnings given so far (tools missing, outputs not understood), for `doctor`. */
  warnings(): string[];
}

/** IANA's suggested ephemeral range, which macOS and Windows follow by default. */
export const IANA_EPHEMERAL: PortSpan = { from: 49_152, to: 65_535, source: 'IANA default' };
